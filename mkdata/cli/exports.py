"""CLI: `mkdata export beir`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mkdata.cli.common import (
    Executor,
    ExecutorOpt,
    InputArg,
    OutOpt,
    OverwriteOpt,
    RayAddressOpt,
    WorkersOpt,
    choices,
    out_console,
    started_before_imports,
    user_errors,
    warn,
    warn_malformed,
)
from mkdata.exports.beir_config import SPLITS_BY, BeirExportConfig

app = typer.Typer(help="Export datasets to other tools' layouts.", no_args_is_help=True)
SplitBy = choices("SplitBy", SPLITS_BY)


@app.command("beir")
def export_beir(
    input_dir: InputArg,
    out: OutOpt,
    test_size: Annotated[
        float, typer.Option(help="Test queries per language (a fraction when < 1).")
    ] = BeirExportConfig.test_size,
    max_test_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Cap on the test share of a language.")
    ] = BeirExportConfig.max_test_share,
    split_by: Annotated[
        SplitBy, typer.Option(help="origin (no site in both splits) or none (by query).")
    ] = SplitBy[BeirExportConfig.split_by],
    seed: Annotated[int, typer.Option(help="Seed of the split.")] = BeirExportConfig.seed,
    trec: Annotated[
        bool,
        typer.Option(
            "--trec/--no-trec",
            help="Also write OUT/trec/<lang>/: documents.jsonl, queries.jsonl, qrels.<split>.txt.",
        ),
    ] = BeirExportConfig.trec,
    workers: WorkersOpt = BeirExportConfig.workers,
    executor: ExecutorOpt = Executor.local,
    ray_address: RayAddressOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Write corpus, queries and train/test qrels per language (WebFAQ / BEIR layout)."""
    with started_before_imports(workers, executor.value, "mkdata.exports.beir"):
        from mkdata.exports.beir import run_export_beir

        with user_errors(out):
            cfg = BeirExportConfig(
                input_dir, out, test_size, max_test_share, split_by.value, seed, trec, overwrite,
                workers, executor.value, ray_address,
            )  # fmt: skip
            m = run_export_beir(cfg)
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
    for lang, info in m["beir"]["splits"].items():
        if info.get("split_by") == "query" and m["parameters"]["split_by"] == "origin":
            warn(f"{lang}: no site fits the test share; split by query instead (sites may be "
                 "in both splits)")  # fmt: skip
        for rule, n in info.get("dropped", {}).items():
            warn(f"{lang}: {n} rows dropped ({rule}: a null, non-text or blank question or answer)")
        warn_malformed(info.get("malformed", 0), info.get("malformed_examples", []))
    out_console.print(
        f"wrote {len(m['beir']['splits'])} languages to {out} and {out / 'beir'}/", highlight=False
    )
