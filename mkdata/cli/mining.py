"""CLI: `mkdata mine bitext|negatives`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mkdata.cli.common import (
    EncoderOpt,
    Executor,
    ExecutorOpt,
    InputsArg,
    OutOpt,
    OverwriteOpt,
    RayAddressOpt,
    choices,
    fail,
    out_console,
    progress_bar,
    user_errors,
    warn,
    warn_malformed,
)
from mkdata.mining.bitext_config import SCOPES, BitextConfig, parse_pairs
from mkdata.mining.margin_params import INDEXES, MARGINS, STRATEGIES
from mkdata.mining.negatives_config import FORMATS as NEGATIVE_FORMATS
from mkdata.mining.negatives_config import METHODS, SAMPLING, NegativesConfig

app = typer.Typer(help="Mine bitext and hard negatives.", no_args_is_help=True)
BitextScope = choices("BitextScope", SCOPES)
Margin = choices("Margin", MARGINS)
Strategy = choices("Strategy", STRATEGIES)
Index = choices("Index", INDEXES)
Method = choices("Method", METHODS)
Sampling = choices("Sampling", SAMPLING)
NegativesFormat = choices("NegativesFormat", NEGATIVE_FORMATS)


@app.command("bitext")
def mine_bitext(
    inputs: InputsArg,
    out: OutOpt,
    pairs: Annotated[
        str, typer.Option(help="'all' (every pair of languages present) or deu-eng,fra-eng.")
    ] = "all",
    scope: Annotated[
        BitextScope, typer.Option(help="global (whole corpus) or origin (within one site).")
    ] = BitextScope[BitextConfig.scope],
    margin: Annotated[Margin, typer.Option(help="ratio, distance or absolute (cosine).")] = Margin[
        BitextConfig.margin
    ],
    k: Annotated[int, typer.Option(min=1, help="Neighbours in the margin.")] = BitextConfig.k,
    strategy: Annotated[
        Strategy, typer.Option(help="One-to-one (max), mutual best, or one direction.")
    ] = Strategy[BitextConfig.strategy],
    threshold: Annotated[
        float | None,
        typer.Option(help="Minimum score (default: calibrated per encoder and margin)."),
    ] = None,
    encoder: EncoderOpt = BitextConfig.encoder,
    text_column: Annotated[
        list[str] | None,
        typer.Option(help="Text column(s) (default question+answer, else text)."),
    ] = None,
    index: Annotated[Index, typer.Option(help="kNN index: flat (exact) or ivf.")] = Index[
        BitextConfig.index
    ],
    nprobe: Annotated[
        int, typer.Option(min=1, help="IVF lists probed per query.")
    ] = BitextConfig.nprobe,
    lid_filter: Annotated[
        bool, typer.Option(help="Drop pairs whose side is not in its language (fastText).")
    ] = BitextConfig.lid_filter,
    copy_threshold: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Drop near-identical sides (trigram Jaccard)."),
    ] = BitextConfig.copy_threshold,
    max_length_ratio: Annotated[
        float,
        typer.Option(min=1.0, help="Drop pairs whose length ratio is this far off the median."),
    ] = BitextConfig.max_length_ratio,
    workers: Annotated[int, typer.Option(min=1, help="Encoding processes.")] = BitextConfig.workers,
    executor: ExecutorOpt = Executor.local,
    ray_address: RayAddressOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Mine translation pairs across languages with margin scoring."""
    from mkdata.mining.bitext import run_bitext

    with user_errors():
        cfg = BitextConfig(
            inputs=list(inputs),
            out=out,
            pairs=parse_pairs(pairs),
            scope=scope.value,
            margin=margin.value,
            k=k,
            strategy=strategy.value,
            threshold=threshold,
            encoder=encoder,
            text_columns=list(text_column) if text_column else None,
            index=index.value,
            nprobe=nprobe,
            lid_filter=lid_filter,
            copy_threshold=copy_threshold,
            max_length_ratio=max_length_ratio,
            workers=workers,
            executor=executor.value,
            ray_address=ray_address,
            overwrite=overwrite,
        )
    if any(out.resolve() == p.resolve() for p in inputs):
        raise fail("--out must differ from the input directory")
    with progress_bar() as progress:
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

        with user_errors(out):
            result = run_bitext(cfg, on_event)
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
    warn_malformed(read.get("malformed", 0), m["bitext"]["malformed_examples"])
    if m["bitext"]["skipped_languages"]:
        skipped = ", ".join(m["bitext"]["skipped_languages"])
        warn(f"{encoder} does not know {skipped}; those rows were not mined")
    threshold_used = m["parameters"]["threshold"]
    out_console.print(
        f"wrote {sum(result.configs.values())} pairs in {len(result.configs)} configs to {out} "
        f"(score >= {threshold_used})",
        highlight=False,
    )


def _parse_range(value: str) -> tuple[int, int]:
    try:
        lo, hi = (int(x) for x in value.split(":"))
    except ValueError:
        raise fail(f"--range: expected MIN:MAX like 10:100, got {value!r}") from None
    return lo, hi


@app.command("negatives")
def mine_negatives_cmd(
    inputs: InputsArg,
    out: OutOpt,
    method: Annotated[
        Method, typer.Option(help="dense, bm25 or hybrid (reciprocal rank fusion).")
    ] = Method[NegativesConfig.method],
    encoder: EncoderOpt = NegativesConfig.encoder,
    num_negatives: Annotated[
        int, typer.Option(min=1, help="Negatives per pair.")
    ] = NegativesConfig.num_negatives,
    range_: Annotated[
        str, typer.Option("--range", help="Candidate ranks MIN:MAX (positives not counted).")
    ] = f"{NegativesConfig.range_min}:{NegativesConfig.range_max}",
    relative_margin: Annotated[
        float | None,
        typer.Option(help="Drop candidates scoring above (1 - M) x the lowest positive score."),
    ] = NegativesConfig.relative_margin,
    absolute_margin: Annotated[
        float | None,
        typer.Option(help="Drop candidates scoring above the lowest positive score - M."),
    ] = NegativesConfig.absolute_margin,
    max_score: Annotated[
        float | None, typer.Option(help="Drop candidates scoring above S.")
    ] = NegativesConfig.max_score,
    sampling: Annotated[
        Sampling, typer.Option(help="top (best first) or random (seeded).")
    ] = Sampling[NegativesConfig.sampling],
    seed: Annotated[int, typer.Option(help="Seed of --sampling random.")] = NegativesConfig.seed,
    near_copy: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Trigram overlap that makes a near-copy of a positive or the query (0: off).",
        ),
    ] = NegativesConfig.near_copy,
    output_format: Annotated[
        NegativesFormat, typer.Option("--format", help="Training layout of the rows.")
    ] = NegativesFormat[NegativesConfig.format],
    scores: Annotated[
        bool, typer.Option(help="Add score columns to n-tuple, triplet, labeled-list.")
    ] = False,
    cross_encoder: Annotated[
        str | None, typer.Option(help="Rescore candidates with this CrossEncoder (st:MODEL).")
    ] = None,
    candidates: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Distillation: keep the top-K candidates unfiltered with the teacher's scores "
            "(--cross-encoder, else --encoder), as n-tuple or flag-jsonl plus runs/*.trec.",
        ),
    ] = None,
    query_prompt: Annotated[
        str | None,
        typer.Option(help="Text put before each query when encoding (default: the model's own)."),
    ] = None,
    passage_prompt: Annotated[
        str | None,
        typer.Option(help="Text put before each document when encoding (default: the model's)."),
    ] = None,
    flag_prompt: Annotated[
        str | None, typer.Option(help="flag-jsonl: the `prompt` field of every record.")
    ] = None,
    flag_type: Annotated[
        str | None, typer.Option(help="flag-jsonl: the `type` field of every record.")
    ] = None,
    corpus: Annotated[
        list[Path] | None, typer.Option(help="Extra corpus file(s) with a text column.")
    ] = None,
    qrels_split: Annotated[
        list[str] | None, typer.Option(help="BEIR input: qrels split(s) to use (default all).")
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Encoding processes.")
    ] = NegativesConfig.workers,
    executor: ExecutorOpt = Executor.local,
    ray_address: RayAddressOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Mine hard negatives with a positive-aware margin (NV-Retriever TopK-PercPos)."""
    from mkdata.mining.negatives_run import run_negatives

    lo, hi = _parse_range(range_)
    with user_errors():
        cfg = NegativesConfig(
            inputs=list(inputs),
            out=out,
            method=method.value,
            encoder=encoder,
            num_negatives=num_negatives,
            range_min=lo,
            range_max=hi,
            relative_margin=relative_margin,
            absolute_margin=absolute_margin,
            max_score=max_score,
            sampling=sampling.value,
            seed=seed,
            near_copy=near_copy or None,
            cross_encoder=cross_encoder,
            candidates=candidates,
            query_prompt=query_prompt,
            passage_prompt=passage_prompt,
            flag_prompt=flag_prompt,
            flag_type=flag_type,
            corpus=list(corpus or []),
            qrels_splits=list(qrels_split) if qrels_split else None,
            format=output_format.value,
            workers=workers,
            executor=executor.value,
            ray_address=ray_address,
            overwrite=overwrite,
        )
    with progress_bar() as progress:
        task = progress.add_task("mine", total=None, info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            progress.update(
                task, total=info["total"], completed=info["index"],
                info=f"{info['name']} ({info['queries']} queries)",
            )  # fmt: skip

        with user_errors(out):
            result = run_negatives(cfg, scores, on_event)
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
    warn_malformed(m["negatives"]["malformed"], m["negatives"]["malformed_examples"])
    for rule, n in m["negatives"].get("dropped", {}).items():
        warn(f"{n} rows dropped ({rule}: a null, non-text or blank query, positive or text)")
    incomplete = sum(c["incomplete"] for c in m["negatives"]["counts"].values())
    if incomplete:
        warn(
            f"{incomplete} pairs got fewer than {cfg.per_row} negatives; "
            f"they are listed in {out / 'rejects'}/ and not in the data"
        )
    out_console.print(
        f"wrote {sum(result.configs.values())} rows ({output_format.value}) in "
        f"{len(result.configs)} configs to {out}",
        highlight=False,
    )
