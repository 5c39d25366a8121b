"""`mkdata dedup`: remove exact, near (MinHash LSH) and semantic duplicates from a dataset
directory, and rows that leak from other datasets (``against``).

Pass 1 (parallel, resumable, one unit per input file) computes keys (see
``keys.py``). Pass 2 decides per config which rows go (``decide.py``). Pass 3
writes the kept rows (same configs, same order) and, optionally, the removed rows
with the id they duplicate.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from mkdata.core.manifest import new_manifest, source_manifest
from mkdata.core.output import OutputRun
from mkdata.core.reader import (
    count_rows,
    file_schema,
    input_configs,
    malformed_records,
    read_file,
    text_columns_for,
)
from mkdata.core.rules import EMPTY_TEXT
from mkdata.core.runner import core_left_free, run_units
from mkdata.core.shards import DATA_DIR, ShardWriter
from mkdata.core.units import done_result, file_identity, unit_key
from mkdata.dedup.config import DedupConfig
from mkdata.dedup.decide import KEPT, METHODS, Keys, decide
from mkdata.dedup.keys import KeySpec, compute_unit


@dataclass
class DedupResult:
    """Rows kept per config, and the manifest written."""

    out: Path
    configs: dict[str, int]
    manifest: dict[str, Any]


def _spec(cfg: DedupConfig, schema: pa.Schema, semantic: bool, where: Path) -> KeySpec:
    columns = text_columns_for(schema.names, cfg.text_columns, where)
    minhash = cfg.near or bool(cfg.against)
    bands, rows = cfg.banding()
    names = set(schema.names)
    question = "question" if "question" in names else columns[0]
    return KeySpec(
        text_columns=tuple(columns),
        norm=cfg.norm,
        minhash=minhash,
        num_perm=cfg.num_perm,
        ngram=cfg.ngram,
        shingle=cfg.shingle,
        hash=cfg.hash,
        seed=cfg.seed,
        bands=bands,
        rows=rows,
        semantic=semantic,
        encoder=cfg.encoder,
        question_column=question if semantic else None,
        answer_column="answer" if semantic and "answer" in names else None,
    )


def _unit_key(path: Path, spec: KeySpec) -> str:
    return unit_key([*file_identity(path), spec.to_dict()])


def compute_keys(
    files: list[Path],
    spec: KeySpec,
    state: Path,
    workers: int,
    executor: str = "local",
    address: str | None = None,
) -> list[Path]:
    """Run (or reuse) pass 1 for ``files``; return their unit directories, in file order."""
    units, todo, first = [], [], 0
    for f in files:
        unit = state / _unit_key(f, spec)
        units.append(unit)
        if done_result(unit) is None:
            todo.append((str(f), first, spec, str(unit)))
        first += count_rows(f)
    for _ in run_units(compute_unit, todo, workers, executor, address):
        pass
    return units


ADDED_COLUMNS = ("qa_similarity", "duplicate_of", "removed_by")  # what dedup writes itself


def _config_schema(files: list[Path], cfg: DedupConfig) -> pa.Schema:
    """The columns of a config's files together, in the order met (a column a file lacks is
    null in its rows; types merged, string views stored as strings). ValueError naming the
    files where a column's types do not merge, or an input column has the name of one dedup
    adds."""
    schema = _stored(file_schema(files[0]))
    for f in files[1:]:
        try:
            schema = pa.unify_schemas(
                [schema, _stored(file_schema(f))], promote_options="permissive"
            )
        except (pa.ArrowTypeError, pa.ArrowInvalid) as exc:
            raise ValueError(
                f"{f}: its columns do not merge with those of {files[0].name} and the files "
                f"before it ({str(exc).splitlines()[0]})"
            ) from None
    adds = [cfg.qa_filter or cfg.semantic, cfg.write_removed, cfg.write_removed]
    for name, added in zip(ADDED_COLUMNS, adds, strict=True):
        if added and name in schema.names:
            raise ValueError(
                f"{files[0]}: has a column {name!r}, which dedup adds; rename it, or run "
                "without the option that adds it"
            )
    return schema


def _stored(schema: pa.Schema) -> pa.Schema:
    """``schema`` with string and binary views as plain strings and binaries (what the
    output's parquet holds, and what pyarrow's filters take)."""
    views = {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}
    return pa.schema([f.with_type(views.get(f.type, f.type)) for f in schema])


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with the columns of ``schema``, in its order and types (nulls where absent)."""
    return pa.table(
        [
            table[f.name].cast(f.type)
            if f.name in table.column_names
            else pa.nulls(table.num_rows, f.type)
            for f in schema
        ],
        schema=schema,
    )


def _write_rows(
    files: list[Path],
    schema: pa.Schema,
    method: np.ndarray,
    target: list[str | None],
    qa: np.ndarray | None,
    kept_writer: ShardWriter,
    removed_writer: ShardWriter | None,
) -> None:
    """Split the rows of ``files`` (as ``schema``) into the kept and the removed writer, in
    input order."""
    at = 0
    for f in files:
        table = _conform(read_file(f), schema)
        n = table.num_rows
        m = method[at : at + n]
        if qa is not None:
            table = table.append_column("qa_similarity", pa.array(qa[at : at + n], pa.float32()))
        kept_writer.write(table.filter(pa.array(m == KEPT)))
        if removed_writer is not None:
            idx = np.flatnonzero(m != KEPT)
            removed = table.take(pa.array(idx))
            removed = removed.append_column(
                "duplicate_of", pa.array([target[at + i] for i in idx.tolist()], pa.string())
            ).append_column("removed_by", pa.array([METHODS[m[i]] for i in idx], pa.string()))
            removed_writer.write(removed)
        at += n


def run_dedup(cfg: DedupConfig, progress: Any = None) -> DedupResult:
    """Run (or resume) a dedup of ``cfg.input`` into ``cfg.out``; return rows kept per config."""
    notify = progress or (lambda event, info: None)
    shards = input_configs([cfg.input])
    if cfg.out.resolve() == Path(cfg.input).resolve():
        raise ValueError("--out must differ from the input directory")
    other_shards = [input_configs([a]) for a in cfg.against]
    read = [f for c in (shards, *other_shards) for fs in c.values() for f in fs]
    spare = core_left_free(cfg.workers, cfg.executor)  # the card's chart library loads meanwhile
    with OutputRun(cfg.out, "dedup", cfg.overwrite, read, spare) as run:
        state = run.state("dedup")
        scratch = run.state("scratch")
        others = []
        for i, (a, cfg_shards) in enumerate(zip(cfg.against, other_shards, strict=True)):
            files = [f for fs in cfg_shards.values() for f in fs]
            spec = _spec(cfg, file_schema(files[0]), False, a)
            notify("against", {"dir": str(a), "files": len(files)})
            units = compute_keys(
                files, spec, state / "against", cfg.workers, cfg.executor, cfg.ray_address
            )
            others.append(Keys(units, spec, scratch / f"against-{i}"))
        filters: dict[str, Counter[str]] = {}
        clusters: dict[str, Any] = {}
        configs: dict[str, int] = {}
        columns: dict[str, pa.Field] = {}  # of every config, for the card of a foreign input
        for config, files in shards.items():
            notify("config", {"config": config, "files": len(files)})
            configs[config], filters[config], clusters[config], schema = _dedup_config(
                cfg, config, files, others, state, scratch, run.staging
            )
            columns.update((f.name, f) for f in schema if f.name not in columns)
        shutil.rmtree(scratch, ignore_errors=True)
        manifest = _manifest(cfg, configs, filters, clusters, run.started, list(columns.values()))
        bad = malformed_records(read)
        manifest["dedup"]["malformed"] = sum(bad.skipped.values())
        manifest["dedup"]["malformed_examples"] = list(bad.first_problem.values())[:5]
        run.publish(manifest)
    return DedupResult(cfg.out, configs, manifest)


def _dedup_config(
    cfg: DedupConfig,
    config: str,
    files: list[Path],
    others: list[Keys],
    state: Path,
    scratch: Path,
    staging: Path,
) -> tuple[int, Counter[str], dict[str, Any], pa.Schema]:
    """Dedup one config into ``staging``; return rows kept, counts per method, clusters and
    the input's columns."""
    columns = schema = _config_schema(files, cfg)
    semantic = cfg.semantic or cfg.qa_filter
    spec = _spec(cfg, schema, semantic, files[0])
    units = compute_keys(files, spec, state / "units", cfg.workers, cfg.executor, cfg.ray_address)
    keys = Keys(units, spec, scratch / config)
    qa = keys.qa
    method, target, stats = decide(keys, cfg, others, qa)
    if qa is not None:
        schema = schema.append(pa.field("qa_similarity", pa.float32()))
    kept = ShardWriter(staging / DATA_DIR / config, schema)
    removed = None
    if cfg.write_removed:
        removed_schema = schema.append(pa.field("duplicate_of", pa.string())).append(
            pa.field("removed_by", pa.string())
        )
        removed = ShardWriter(staging / "removed" / DATA_DIR / config, removed_schema)
    _write_rows(files, columns, method, target, qa, kept, removed)
    kept.close()
    if removed is not None:
        removed.close()
    counts = Counter({"input": keys.n, "kept": kept.rows})
    enabled = {
        "exact": cfg.exact,
        "near": cfg.near,
        "semantic": cfg.semantic,
        "qa_inconsistent": cfg.qa_filter,
        "against": bool(cfg.against),
        EMPTY_TEXT: True,
    }
    for code, name in enumerate(METHODS):
        if enabled[name]:
            counts[name] = int((method == code).sum())
    shutil.rmtree(scratch / config, ignore_errors=True)
    return kept.rows, counts, stats, columns


def _manifest(
    cfg: DedupConfig,
    configs: dict[str, int],
    filters: dict[str, Counter[str]],
    clusters: dict[str, Any],
    started: float,
    columns: list[pa.Field],
) -> dict[str, Any]:
    source = source_manifest([cfg.input])
    bands, rows = cfg.banding()
    params = {
        "input": str(cfg.input),
        "methods": [
            m
            for m, on in (("exact", cfg.exact), ("near", cfg.near), ("semantic", cfg.semantic))
            if on
        ],
        "threshold": cfg.threshold,
        "ngram": cfg.ngram,
        "shingle": cfg.shingle,
        "hash": cfg.hash,
        "num_perm": cfg.num_perm,
        "bands": bands,
        "rows": rows,
        "seed": cfg.seed,
        "semantic_threshold": cfg.semantic_threshold,
        "scope": cfg.scope,
        "encoder": cfg.encoder,
        "qa_threshold": cfg.qa_threshold,
        "qa_filter": cfg.qa_filter,
        "against": [str(a) for a in cfg.against],
        "text_columns": cfg.text_columns or "default",
        "normalization": cfg.norm.to_dict(),
        "write_removed": cfg.write_removed,
    }
    m = new_manifest("dedup", params)
    m.update(
        {
            "builder": source.get("builder", ""),
            "record": source.get("record", "qa-pair"),
            "inputs": [{"source": str(cfg.input), "manifest": source.get("command", "")}],
            "configs": {c: {"train": n} for c, n in configs.items()},
            "filters": {c: dict(v) for c, v in filters.items()},
            "dedup": {"clusters": clusters},
            "stages": {"dedup": {"status": "done"}},
            "timings": {"total_seconds": round(time.perf_counter() - started, 3)},
        }
    )
    if not source:  # not an mkdata dataset: its card lists the input's own columns
        m["columns"] = [[f.name, f"as in the input ({f.type})"] for f in columns]
    return m
