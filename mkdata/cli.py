"""Command line: a thin typer layer over the library (one sub-command group per part)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mkdata import __version__

app = typer.Typer(
    help="mkdata: build multilingual retrieval training data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
build_app = typer.Typer(help="Build QA datasets from crawl sources.", no_args_is_help=True)
app.add_typer(build_app, name="build")

out_console = Console()
err_console = Console(stderr=True)

EXIT_FAILED = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print a one-line error to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def parse_langs(value: str) -> list[str] | None:
    """Parse ``--langs``: ``all`` -> None, else ISO 639-3 codes (639-1 codes are mapped)."""
    from mkdata.lang import to_iso639_3

    value = value.strip()
    if value.lower() == "all":
        return None
    langs = [to_iso639_3(x.strip().lower()) for x in value.split(",") if x.strip()]
    bad = [x for x in langs if not (x.isalpha() and len(x) == 3)]
    if not langs or bad:
        raise fail(f"--langs: expected 'all' or ISO 639-3 codes like deu,fra,eng; got {value!r}")
    return sorted(set(langs))


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """mkdata: build multilingual retrieval training data."""
    if version:
        out_console.print(f"mkdata {__version__}")
        raise typer.Exit()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=err_console,
        disable=not err_console.is_terminal,
    )


def _summary(filters: dict[str, dict[str, int]], configs: dict[str, Any]) -> Table:
    rules = sorted({r for c in filters.values() for r in c} - {"input", "kept", "passed"})
    table = Table(title="rows per language and filter", show_lines=False)
    for col in ["language", "input", *rules, "kept"]:
        table.add_column(col, justify="left" if col == "language" else "right")
    for lang, c in filters.items():
        mark = "" if lang in configs else " (not emitted)"
        table.add_row(
            lang + mark,
            str(c.get("input", 0)),
            *(str(c.get(r, 0)) for r in rules),
            str(c.get("kept", 0)),
        )
    return table


@build_app.command("webfaq")
def build_webfaq(
    langs: Annotated[str, typer.Option(help="'all' or ISO 639-3 codes, e.g. deu,fra,eng.")] = "all",
    source: Annotated[
        list[str] | None,
        typer.Option(
            help="N-Quads file, directory, glob or http(s) URL (.gz or plain); repeatable."
        ),
    ] = None,
    snapshot: Annotated[
        list[str] | None,
        typer.Option(
            help="WDC snapshot(s) to list parts from when no --source: 2022-12, 2023-12, 2024-12."
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Output dataset directory.")] = Path("webfaq"),
    sample: Annotated[
        bool, typer.Option(help="Build from the small sample bundled with mkdata (offline).")
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, help="Parallel processes (one input file each).")
    ] = 1,
    limit: Annotated[
        int | None, typer.Option(min=1, help="Read at most N FAQ pages per input (quick look).")
    ] = None,
    min_rows: Annotated[
        int, typer.Option(min=0, help="With --langs all: emit languages with at least N rows.")
    ] = 10,
    min_question_chars: Annotated[int, typer.Option(min=0)] = 10,
    min_answer_chars: Annotated[int, typer.Option(min=0)] = 30,
    max_question_chars: Annotated[int, typer.Option(min=1)] = 1_000,
    max_answer_chars: Annotated[int, typer.Option(min=1)] = 30_000,
    min_lang_score: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="fastText confidence on question+answer.")
    ] = 0.63,
    lang_agree_k: Annotated[
        int,
        typer.Option(min=1, help="Joint language must be in the top k of question and of answer."),
    ] = 3,
    min_agree_score: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="...with at least this probability on each side."),
    ] = 0.1,
    max_shard_rows: Annotated[int, typer.Option(min=1)] = 250_000,
    cache_dir: Annotated[
        Path | None, typer.Option(help="Download cache (default ~/.cache/mkdata).")
    ] = None,
    wdc_base_url: Annotated[
        str | None, typer.Option(envvar="MKDATA_WDC_BASE_URL", help="WDC structureddata/ base URL.")
    ] = None,
) -> None:
    """Build a per-language FAQ dataset from Web Data Commons FAQPage N-Quads (WebFAQ recipe)."""
    from mkdata.builders import webfaq
    from mkdata.builders.filters import QAFilterConfig
    from mkdata.builders.qa_build import QABuildConfig
    from mkdata.cards import write_card
    from mkdata.fetch import FetchError

    lang_list = parse_langs(langs)
    if sample and source:
        raise fail("--sample and --source are exclusive")
    try:
        sources = webfaq.resolve_sources(source, snapshot, sample, wdc_base_url)
    except (FileNotFoundError, FetchError, ValueError) as exc:
        raise fail(str(exc)) from None
    cfg = QABuildConfig(
        builder="webfaq",
        sources=sources,
        out=out,
        langs=lang_list,
        min_rows=min_rows,
        workers=workers,
        limit=limit,
        filters=QAFilterConfig(
            min_question_chars=min_question_chars,
            min_answer_chars=min_answer_chars,
            max_question_chars=max_question_chars,
            max_answer_chars=max_answer_chars,
            min_lang_score=min_lang_score,
            lang_agree_k=lang_agree_k,
            min_agree_score=min_agree_score,
        ),
        max_shard_rows=max_shard_rows,
        cache_dir=cache_dir,
        params={"snapshots": snapshot or ([] if (source or sample) else [webfaq.DEFAULT_SNAPSHOT])},
    )
    with _progress() as progress:
        task = progress.add_task("parts", total=len(sources), info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            if event == "start":
                progress.update(task, completed=info["done"], info=f"{info['done']} already done")
            elif event == "unit":
                pairs = info["result"]["report"]["counts"].get("raw_pairs", 0)
                progress.update(task, advance=1, info=f"{Path(info['source']).name}: {pairs} pairs")
            elif event == "merge":
                progress.update(task, info="dedup + shards")

        try:
            result = webfaq.build(cfg, on_event)
        except OSError as exc:
            raise fail(f"{out}: {exc}") from None
    write_card(out)

    m = result.manifest
    out_console.print(_summary(m["filters"], m["configs"]))
    for problem, n in m["problems"].items():
        err_console.print(f"[yellow]warning:[/] {n} x {problem}", highlight=False)
    for example in m["problem_examples"][:5]:
        err_console.print(f"  {example}", highlight=False, soft_wrap=True)
    total = sum(result.configs.values())
    out_console.print(
        f"wrote {total} rows in {len(result.configs)} configs to {out}", highlight=False
    )
    if not result.ok:
        for error in result.failed:
            err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        err_console.print(
            f"[bold red]error:[/] {len(result.failed)} of {len(sources)} inputs failed; "
            "rows read before each failure are kept; re-run to retry them",
            highlight=False,
        )
        raise typer.Exit(EXIT_FAILED)


@app.command("card")
def card(
    directory: Annotated[Path, typer.Argument(help="An mkdata dataset directory.")],
    repo: Annotated[
        str | None, typer.Option(help="Hub repo id used in the loading example.")
    ] = None,
) -> None:
    """Regenerate DIRECTORY/README.md (the dataset card) from DIRECTORY/mkdata.json."""
    from mkdata.cards import write_card

    try:
        path = write_card(directory, repo)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    out_console.print(f"wrote {path}", highlight=False)
