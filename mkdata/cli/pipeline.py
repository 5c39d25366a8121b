"""CLI: `mkdata run PIPELINE.toml`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mkdata.cli.common import choices, err_console, fail, out_console
from mkdata.core.errors import EXIT_FAILED

LogFormat = choices("LogFormat", ("text", "json"))


def run_cmd(
    pipeline_file: Annotated[Path, typer.Argument(help="A pipeline TOML file (see examples/).")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show which stages would run and why.")
    ] = False,
    log_format: Annotated[
        LogFormat, typer.Option(help="text, or json (one event per line on stderr).")
    ] = LogFormat.text,
) -> None:
    """Run a pipeline's missing or stale stages. Exit 0 done, 1 a stage failed, 2 bad
    pipeline file, 75 another run holds the lock."""
    import json
    import sys

    from mkdata.core.errors import EXIT_LOCKED
    from mkdata.core.pipeline import LockedError, PipelineError, load_pipeline, run_pipeline

    as_json = log_format.value == "json"

    def log(event: dict[str, Any]) -> None:
        if as_json:
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
    if not as_json:
        out_console.print(table)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise fail(f"stage {failed[0].name} failed: {failed[0].reason}", EXIT_FAILED)
