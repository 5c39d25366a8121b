"""The command line: builds the typer app from one module per command family.

The command modules only parse options, call the library's ``run_x(cfg, progress)`` and
print; they import :mod:`mkdata.cli.common`, never this module.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mkdata import __version__
from mkdata.cli import (
    build,
    card,
    dedup,
    evaluate,
    exports,
    label,
    mining,
    pipeline,
    publish,
    synth,
)
from mkdata.cli.common import fail, out_console
from mkdata.core.errors import EXIT_USAGE

app = typer.Typer(
    help="mkdata: build multilingual retrieval training data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """mkdata: build multilingual retrieval training data."""
    if version:
        out_console.print(f"mkdata {__version__}")
        raise typer.Exit()


app.add_typer(build.app, name="build")
app.command("dedup")(dedup.dedup)
app.add_typer(mining.app, name="mine")
app.add_typer(evaluate.app, name="eval")
app.add_typer(synth.app, name="synth")
app.command("label")(label.label)
app.add_typer(exports.app, name="export")
app.command("push")(publish.push_cmd)
app.command("run")(pipeline.run_cmd)
app.command("card")(card.card)
app.command("stats")(card.stats)


def main() -> None:
    """The ``mkdata`` entry point: the app, with usage errors on one line (exit 2)."""
    command = typer.main.get_command(app)
    try:
        code = command.main(prog_name="mkdata", standalone_mode=False)
    except typer.Abort:
        raise SystemExit(130) from None
    except Exception as exc:  # click's (or typer's vendored click's) usage errors
        message = getattr(exc, "format_message", None)
        exit_code = getattr(exc, "exit_code", None)
        if message is None or not isinstance(exit_code, int):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # `mkdata` or `mkdata mine` alone
            out_console.print(message(), highlight=False, markup=False)
            raise SystemExit(exit_code) from None
        ctx = getattr(exc, "ctx", None)
        where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        raise SystemExit(fail(message() + where, exit_code or EXIT_USAGE).exit_code) from None
    raise SystemExit(code if isinstance(code, int) else 0)
