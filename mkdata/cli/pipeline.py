"""CLI: `mkdata run PIPELINE.toml`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mkdata.cli.common import choices, err_console, fail, out_console, user_errors
from mkdata.core.errors import EXIT_FAILED

LogFormat = choices("LogFormat", ("text", "json"))


def stage_checker(root: Any) -> Callable[[str, dict[str, Any]], str | None]:
    """A check of a stage's command and args against the real command line of ``root``."""

    def check(command: str, args: dict[str, Any], has_out: bool) -> str | None:
        cmd = root
        for word in command.split():
            sub = getattr(cmd, "commands", {}).get(word)
            if sub is None:
                return f"unknown command `mkdata {command}`"
            cmd = sub
        if getattr(cmd, "commands", None):
            return f"`mkdata {command}` needs a sub-command ({', '.join(sorted(cmd.commands))})"
        if command == "run":
            return "a pipeline cannot run a pipeline"
        options = {
            o
            for p in cmd.params
            if p.param_type_name == "option"
            for o in (*p.opts, *p.secondary_opts)
        }
        if has_out and "--out" not in options:
            return f"`mkdata {command}` writes no output directory: remove the stage's out"
        for key, value in args.items():
            flag = "--" + ("no-" if value is False else "") + str(key).replace("_", "-")
            if flag not in options:
                return f"unknown option {flag} for `mkdata {command}`"
            if flag == "--out":
                return "give the output as the stage's `out`, not as an argument"
        return None

    return check


def run_cmd(
    ctx: typer.Context,
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

    from mkdata.core.pipeline import load_pipeline, run_pipeline

    as_json = log_format.value == "json"

    def log(event: dict[str, Any]) -> None:
        if as_json:
            sys.stderr.write(json.dumps(event) + "\n")
            sys.stderr.flush()
        elif event["event"] == "stage_start":
            err_console.print(
                f"[bold]{event['stage']}[/]: running ({event['reason']}); log: {event['log']}",
                highlight=False,
            )

    with user_errors():
        pipeline = load_pipeline(pipeline_file, stage_checker(ctx.find_root().command))
        results = run_pipeline(pipeline, dry_run, log)
    table = Table(title=f"pipeline {pipeline_file.name}" + (" (dry run)" if dry_run else ""))
    for col in ("stage", "status", "why", "seconds"):
        table.add_column(col, justify="right" if col == "seconds" else "left")
    for r in results:
        table.add_row(r.name, r.status, r.reason, f"{r.seconds:.1f}" if r.seconds else "")
    if not as_json:
        out_console.print(table)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        f = failed[0]
        raise fail(
            f"stage {f.name} failed (exit {f.returncode}): {f.reason} (log: {f.log})", EXIT_FAILED
        )
