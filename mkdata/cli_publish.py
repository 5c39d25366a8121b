"""CLI: `mkdata export beir`, `mkdata push` and `mkdata run` (pipelines)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mkdata.cli import (
    EXIT_FAILED,
    app,
    err_console,
    fail,
    out_console,
)

export_app = typer.Typer(help="Export datasets to other tools' layouts.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("beir")
def export_beir(
    input_dir: Annotated[Path, typer.Argument(help="An mkdata QA dataset directory.")],
    out: Annotated[Path, typer.Option(help="Output directory.")],
    test_size: Annotated[
        float, typer.Option(help="Test queries per language (a fraction when < 1).")
    ] = 10_000,
    max_test_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Cap on the test share of a language.")
    ] = 0.5,
    split_by: Annotated[
        str, typer.Option(help="origin (no site in both splits) or none (by query).")
    ] = "origin",
    seed: Annotated[int, typer.Option(help="Seed of the split.")] = 0,
) -> None:
    """Write corpus, queries and train/test qrels per language (WebFAQ / BEIR layout)."""
    from mkdata.cards import write_card
    from mkdata.exports.beir import BeirExportConfig, run_export_beir

    try:
        m = run_export_beir(
            BeirExportConfig(input_dir, out, test_size, max_test_share, split_by, seed)
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{out}: {exc}") from None
    write_card(out)
    table = Table(title="retrieval benchmark per language")
    for col in ("language", "corpus", "queries", "train qrels", "test qrels", "test groups"):
        table.add_column(col, justify="left" if col == "language" else "right")
    for lang, info in m["beir"]["splits"].items():
        c = m["configs"]
        table.add_row(
            lang,
            str(c[f"{lang}-corpus"]["corpus"]),
            str(c[f"{lang}-queries"]["queries"]),
            str(c[f"{lang}-qrels"]["train"]),
            str(c[f"{lang}-qrels"]["test"]),
            str(info["groups"]["test"]),
        )
    out_console.print(table)
    out_console.print(
        f"wrote {len(m['beir']['splits'])} languages to {out} and {out / 'beir'}/", highlight=False
    )


@app.command("push")
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


@app.command("run")
def run_cmd(
    pipeline_file: Annotated[Path, typer.Argument(help="A pipeline TOML file (see examples/).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show which stages would run and why.")
    ] = False,
    log_format: Annotated[str, typer.Option(help="text, or json (one event per line).")] = "text",
) -> None:
    """Run a pipeline's missing or stale stages. Exit 0 done, 1 a stage failed, 2 bad
    pipeline file, 75 another run holds the lock."""
    import json
    import sys

    from mkdata.pipeline import EXIT_LOCKED, LockedError, PipelineError, load_pipeline, run_pipeline

    if log_format not in ("text", "json"):
        raise fail(f"--log-format: expected text or json, got {log_format!r}")

    def log(event: dict[str, Any]) -> None:
        if log_format == "json":
            sys.stderr.write(json.dumps(event) + "\n")
            sys.stderr.flush()
        elif event["event"] == "stage_start":
            err_console.print(
                f"[bold]{event['stage']}[/]: running ({event['reason']})", highlight=False
            )

    try:
        pipeline = load_pipeline(pipeline_file)
        results = run_pipeline(pipeline, dry_run, log)
    except PipelineError as exc:
        raise fail(str(exc)) from None
    except LockedError as exc:
        raise fail(str(exc), EXIT_LOCKED) from None
    table = Table(title=f"pipeline {pipeline_file.name}" + (" (dry run)" if dry_run else ""))
    for col in ("stage", "status", "why", "seconds"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for r in results:
        table.add_row(r.name, r.status, r.reason, f"{r.seconds:.1f}" if r.seconds else "")
    if log_format == "text":
        out_console.print(table)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise fail(f"stage {failed[0].name} failed: {failed[0].reason}", EXIT_FAILED)
