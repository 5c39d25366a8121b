"""CLI: `mkdata push`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mkdata.cli.common import err_console, fail, out_console
from mkdata.core.errors import EXIT_FAILED


def push_cmd(
    directory: Annotated[Path, typer.Argument(help="An mkdata dataset directory.")],
    repo: Annotated[str, typer.Option(help="Hub dataset repo, ORG/NAME.")],
    private: Annotated[bool, typer.Option("--private", help="Create the repo private.")] = False,
    revision: Annotated[str | None, typer.Option(help="Branch to push to (created).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the files and print the card; upload nothing.")
    ] = False,
    files_per_commit: Annotated[int, typer.Option(min=1, help="Files per Hub commit.")] = 50,
) -> None:
    """Upload the card, manifest and shards to the Hub (token from HF_TOKEN); only what changed."""
    from mkdata.publish.hub import plan_push, push

    if repo.count("/") != 1 or not all(repo.split("/")):
        raise fail(f"--repo: expected ORG/NAME, got {repo!r}")
    try:
        if dry_run:
            plan = plan_push(directory, repo, revision, remote=False)
            for f in plan.files:
                out_console.print(
                    f"would upload {f.path_in_repo} ({f.size:,} bytes)", highlight=False
                )
            out_console.print(f"--- card ({len(plan.files)} files to {repo}) ---", highlight=False)
            out_console.print(plan.card, highlight=False, markup=False, soft_wrap=True)
            return
        if not err_console.is_terminal:
            from huggingface_hub.utils import disable_progress_bars

            disable_progress_bars()
        plan = push(directory, repo, private, revision, files_per_commit)
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None
    except Exception as exc:  # huggingface_hub HTTP and connection errors
        reason = " ".join(str(exc).split()[:40])
        raise fail(
            f"push to {repo} failed: {type(exc).__name__}: {reason}; re-run to resume", EXIT_FAILED
        ) from None
    uploaded = sum(f.size for f in plan.upload)
    out_console.print(
        f"pushed {len(plan.upload)} of {len(plan.files)} files ({uploaded:,} bytes), "
        f"deleted {len(plan.delete)} stale files, to {repo}"
        + ("" if plan.upload or plan.delete else " (nothing changed)"),
        highlight=False,
    )
