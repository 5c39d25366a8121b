"""The command line: builds the typer app from one module per command family.

The command modules only parse options, call the library's ``run_x(cfg, progress)`` and
print; they import :mod:`mkdata.cli.common`, never this module.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mkdata import __version__
from mkdata.cli import build, card, dedup, evaluate, exports, mining, pipeline, publish, synth
from mkdata.cli.common import out_console

app = typer.Typer(
    help="mkdata: build multilingual retrieval training data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback(invoke_without_command=True)
def main(
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
app.add_typer(exports.app, name="export")
app.command("push")(publish.push_cmd)
app.command("run")(pipeline.run_cmd)
app.command("card")(card.card)
