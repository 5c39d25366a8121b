"""CLI: `mkdata card`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mkdata.cli.common import fail, out_console, user_errors


def card(
    directory: Annotated[Path, typer.Argument(help="An mkdata dataset directory.")],
    repo: Annotated[
        str | None, typer.Option(help="Hub repo id used in the loading example.")
    ] = None,
) -> None:
    """Regenerate DIRECTORY/README.md (the dataset card) from DIRECTORY/mkdata.json."""
    from mkdata.cards import write_card
    from mkdata.core.output import ANY_COMMAND, OutputRun, read_marker

    if read_marker(directory) is None:
        raise fail(f"{directory}: not an mkdata dataset directory (no mkdata.json)")
    with user_errors(directory), OutputRun(directory, ANY_COMMAND):
        path = write_card(directory, repo)
    out_console.print(f"wrote {path}", highlight=False)
