"""CLI: `mkdata build webfaq|mfaq`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from mkdata.builders.build_config import LAYOUTS, QABuildConfig
from mkdata.builders.filters import QAFilterConfig as F
from mkdata.cli.common import (
    Executor,
    ExecutorOpt,
    LangsOpt,
    OutOpt,
    OverwriteOpt,
    RayAddressOpt,
    WorkersOpt,
    choices,
    err_console,
    fail,
    filter_summary,
    out_console,
    parse_langs,
    progress_bar,
    started_before_imports,
    user_errors,
    warn,
)
from mkdata.core.errors import EXIT_FAILED

app = typer.Typer(help="Build QA datasets from crawl sources.", no_args_is_help=True)
Layout = choices("Layout", LAYOUTS)


def _run_build(build: Callable[..., Any], cfg: Any) -> None:
    """Run a QA build with a progress bar, write its card, print the summary; exit 1 on failures."""
    out = cfg.out
    with progress_bar() as progress:
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

        with user_errors(out):
            result = build(cfg, on_event)

    m = result.manifest
    out_console.print(filter_summary(m["filters"], m["configs"]))
    for problem, n in m["problems"].items():
        warn(f"{n} x {problem}")
    for example in m["problem_examples"][:5]:
        err_console.print(f"  {example}", highlight=False, markup=False, soft_wrap=True)
    total = sum(result.configs.values())
    unit = "pages" if m.get("record") == "faq-page" else "rows"
    out_console.print(
        f"wrote {total} {unit} in {len(result.configs)} configs to {out}", highlight=False
    )
    if not result.ok:
        for error in result.failed:
            err_console.print(
                f"[bold red]error:[/] {escape(error)}", highlight=False, soft_wrap=True
            )
        raise fail(
            f"{len(result.failed)} of {len(cfg.sources)} inputs failed; "
            "rows read before each failure are kept; re-run to retry them",
            EXIT_FAILED,
        )


# options every QA builder shares
SampleOpt = Annotated[
    bool, typer.Option(help="Build from the small sample bundled with mkdata (offline).")
]
AppendOpt = Annotated[
    bool,
    typer.Option(
        "--append",
        help="Add these sources to what an earlier build wrote to --out (dedup across all).",
    ),
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
HintsOpt = Annotated[
    bool,
    typer.Option(
        "--language-hints/--no-language-hints",
        help="Keep a pair fastText is unsure of when the page's declared or URL language "
        "fits it (see README).",
    ),
]
HintScoreOpt = Annotated[
    float, typer.Option(min=0.0, max=1.0, help="...with at least this fastText probability.")
]
ShardRowsOpt = Annotated[int, typer.Option(min=1)]
CacheOpt = Annotated[Path | None, typer.Option(help="Download cache (default ~/.cache/mkdata).")]


def _resolve(resolve: Callable[[], list[str]]) -> list[str]:
    from mkdata.core.fetch import CorruptInput, FetchError

    try:
        return resolve()
    except (FileNotFoundError, FetchError, CorruptInput, ValueError) as exc:
        raise fail(str(exc)) from None


def _qa_config(builder: str, sources: list[str], o: dict[str, Any], **extra: Any) -> QABuildConfig:
    """The build config from the options both builders share (``o``: the command's options)."""
    return QABuildConfig(
        builder=builder,
        sources=sources,
        out=o["out"],
        langs=parse_langs(o["langs"]),
        min_rows=o["min_rows"],
        workers=o["workers"],
        executor=o["executor"].value,
        overwrite=o["overwrite"],
        append=o["append"],
        ray_address=o["ray_address"],
        limit=o["limit"],
        filters=F(**{f.name: o[f.name] for f in fields(F)}),
        max_shard_rows=o["max_shard_rows"],
        cache_dir=o["cache_dir"],
        **extra,
    )


@app.command("webfaq")
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
    out: OutOpt = Path("webfaq"),
    overwrite: OverwriteOpt = False,
    sample: SampleOpt = False,
    workers: WorkersOpt = QABuildConfig.workers,
    executor: ExecutorOpt = Executor.local,
    append: AppendOpt = False,
    ray_address: RayAddressOpt = None,
    limit: LimitOpt = None,
    min_rows: MinRowsOpt = QABuildConfig.min_rows,
    min_question_chars: MinQOpt = F.min_question_chars,
    min_answer_chars: MinAOpt = F.min_answer_chars,
    max_question_chars: MaxQOpt = F.max_question_chars,
    max_answer_chars: MaxAOpt = F.max_answer_chars,
    min_lang_score: LangScoreOpt = F.min_lang_score,
    lang_agree_k: AgreeKOpt = F.lang_agree_k,
    min_agree_score: AgreeScoreOpt = F.min_agree_score,
    language_hints: HintsOpt = F.language_hints,
    min_hint_score: HintScoreOpt = F.min_hint_score,
    max_shard_rows: ShardRowsOpt = QABuildConfig.max_shard_rows,
    cache_dir: CacheOpt = None,
    wdc_base_url: Annotated[
        str | None, typer.Option(envvar="MKDATA_WDC_BASE_URL", help="WDC structureddata/ base URL.")
    ] = None,
) -> None:
    """Build a per-language FAQ dataset from Web Data Commons FAQPage N-Quads (WebFAQ recipe)."""
    if sample and source:
        raise fail("--sample and --source are exclusive")
    with started_before_imports(workers, executor.value, "mkdata.builders.webfaq"):
        from mkdata.builders import webfaq

        sources = _resolve(lambda: webfaq.resolve_sources(source, snapshot, sample, wdc_base_url))
        snapshots = snapshot or ([] if (source or sample) else [webfaq.DEFAULT_SNAPSHOT])
        cfg = _qa_config("webfaq", sources, locals(), params={"snapshots": snapshots})
        _run_build(webfaq.build, cfg)


@app.command("mfaq")
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
        Layout,
        typer.Option(help="flat: one row per QA pair; page: one row per page (MFAQ's layout)."),
    ] = Layout[QABuildConfig.layout],
    out: OutOpt = Path("mfaq"),
    overwrite: OverwriteOpt = False,
    sample: SampleOpt = False,
    workers: WorkersOpt = QABuildConfig.workers,
    append: AppendOpt = False,
    executor: ExecutorOpt = Executor.local,
    ray_address: RayAddressOpt = None,
    limit: LimitOpt = None,
    min_rows: MinRowsOpt = QABuildConfig.min_rows,
    min_question_chars: MinQOpt = F.min_question_chars,
    min_answer_chars: MinAOpt = F.min_answer_chars,
    max_question_chars: MaxQOpt = F.max_question_chars,
    max_answer_chars: MaxAOpt = F.max_answer_chars,
    min_lang_score: LangScoreOpt = F.min_lang_score,
    lang_agree_k: AgreeKOpt = F.lang_agree_k,
    min_agree_score: AgreeScoreOpt = F.min_agree_score,
    language_hints: HintsOpt = F.language_hints,
    min_hint_score: HintScoreOpt = F.min_hint_score,
    max_shard_rows: ShardRowsOpt = QABuildConfig.max_shard_rows,
    cache_dir: CacheOpt = None,
    cc_base_url: Annotated[
        str | None,
        typer.Option(
            envvar="MKDATA_CC_BASE_URL", help="Common Crawl base URL (data.commoncrawl.org)."
        ),
    ] = None,
) -> None:
    """Build a per-language FAQ dataset from Common Crawl WARC files (MFAQ recipe)."""
    if sum(map(bool, (sample, source, crawl))) > 1:
        raise fail("--sample, --source and --crawl are exclusive")
    if segments and not crawl:
        raise fail("--segments needs --crawl")
    with started_before_imports(workers, executor.value, "mkdata.builders.mfaq"):
        from mkdata.builders import mfaq

        sources = _resolve(
            lambda: mfaq.resolve_sources(source, crawl, segments, sample, cc_base_url)
        )
        params = {"crawl": crawl, "segments": segments}
        cfg = _qa_config("mfaq", sources, locals(), layout=layout.value, params=params)
        _run_build(mfaq.build, cfg)
