"""CLI: `mkdata card` and `mkdata stats`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mkdata.cli.common import fail, out_console, user_errors

PlotsOpt = Annotated[
    bool, typer.Option("--plots/--no-plots", help="Draw the charts (PNG, under DIR/images/).")
]


def card(
    directory: Annotated[Path, typer.Argument(help="An mkdata dataset directory.")],
    repo: Annotated[
        str | None, typer.Option(help="Hub repo id used in the loading example.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The card's title (pretty_name); kept for later cards.")
    ] = None,
    plots: PlotsOpt = True,
) -> None:
    """Regenerate DIRECTORY/README.md (the dataset card) and its charts from
    DIRECTORY/mkdata.json and the data."""
    from mkdata.cards import write_card, write_card_of_run
    from mkdata.core.output import ANY_COMMAND, OutputRun, read_marker

    if read_marker(directory) is None:
        raise fail(f"{directory}: not an mkdata dataset directory (no mkdata.json)")
    with user_errors(directory), OutputRun(directory, ANY_COMMAND, prepare_card=plots) as run:
        path = write_card_of_run(run, plots=plots, name=name)
        if repo:
            path = write_card(directory, repo)
    out_console.print(f"wrote {path}", highlight=False)


def stats(
    directory: Annotated[Path, typer.Argument(help="An mkdata dataset directory.")],
    plots: Annotated[
        bool, typer.Option("--plots/--no-plots", help="Also draw the charts into --images.")
    ] = False,
    images: Annotated[
        Path | None, typer.Option(help="Folder for the charts (default: a new DIR-stats/images).")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the statistics as JSON here.")
    ] = None,
    sample_rows: Annotated[
        int, typer.Option(min=1, help="Rows per split checked for exact duplicates.")
    ] = 200_000,
    examples: Annotated[bool, typer.Option("--examples/--no-examples")] = True,
) -> None:
    """Rows, text lengths, languages, top origins, exact duplicates and example rows of every
    config and split of a dataset directory (read only: DIR is never changed)."""
    from mkdata.cards.plots import write_charts
    from mkdata.cards.stats import dataset_stats
    from mkdata.core.atomic import write_json_atomic
    from mkdata.core.manifest import read_manifest

    directory = directory.resolve()
    if json_out is not None and json_out.resolve().is_relative_to(directory):
        raise fail(f"--json {json_out}: inside {directory}; stats never writes there")
    with user_errors():
        st = dataset_stats(directory, sample_rows=sample_rows)
    if not st.splits:
        raise fail(f"{directory}: no rows in any config")
    columns = list(dict.fromkeys(c for s in st.splits for c in s.lengths))[:4]
    table = Table(title=f"{directory} ({st.command})")
    for col in ("config", "split", "rows", *[f"{c} chars p5/p50/p95" for c in columns],
                "words p50", "duplicates", "top origin"):  # fmt: skip
        table.add_column(
            col, justify="left" if col in ("config", "split", "top origin") else "right"
        )
    for s in st.splits:
        cells = []
        for c in columns:
            q = s.lengths.get(c) or {}
            cells.append(
                f"{q['chars_p5']:.0f}/{q['chars_p50']:.0f}/{q['chars_p95']:.0f}" if q else ""
            )
        words = "/".join(f"{(s.lengths.get(c) or {}).get('words_p50', 0):.0f}" for c in columns)
        origin = f"{s.top_origins[0][0]} ({s.top_origins[0][1]})" if s.top_origins else ""
        table.add_row(s.config, s.split, f"{s.rows:,}", *cells, words,
                      f"{s.duplicates:.1%}", origin)  # fmt: skip
    out_console.print(table)
    langs: dict[str, float] = {}
    for s in st.splits:
        for lang, share in s.languages.items():
            langs[lang] = langs.get(lang, 0) + share * s.rows
    total = sum(s.rows for s in st.splits)
    if langs:
        top = sorted(langs.items(), key=lambda x: -x[1])[:15]
        out_console.print(
            "languages: " + ", ".join(f"{k} {v / total:.1%}" for k, v in top), highlight=False
        )
    if examples:
        first = st.splits[0]
        for row in first.examples:
            out_console.print(f"[dim]{first.config}/{first.split}[/dim] {row}", highlight=False)
    if plots:
        folder = images or directory.with_name(directory.name + "-stats") / "images"
        if folder.resolve().is_relative_to(directory.resolve()):
            raise fail(f"--images {folder}: inside {directory}; stats never writes there")
        drawn = write_charts(st, read_manifest(directory), folder)
        out_console.print(f"charts: {', '.join(n for _, n in drawn)} in {folder}", highlight=False)
    if json_out is not None:
        write_json_atomic(json_out, st.to_dict())
