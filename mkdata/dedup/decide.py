"""Pass 2 of `mkdata dedup`: which rows go, and what each removed row duplicates.

Candidate pairs come from grouping band hashes on disk with polars' streaming engine,
are screened on their signatures and verified on the exact Jaccard similarity of their
shingles, and are joined into clusters whose smallest row survives; exact, near, semantic, QA-consistency and ``--against`` decisions are made
in that order, a row keeping the first method that removes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from mkdata.core.rules import EMPTY_TEXT
from mkdata.core.text import exact_hash, normalize
from mkdata.dedup.clusters import components, size_histogram
from mkdata.dedup.fast_minhash import pair_jaccard
from mkdata.dedup.keys import KeySpec
from mkdata.dedup.minhash import estimated_jaccard

if TYPE_CHECKING:
    from pathlib import Path

    from mkdata.dedup.config import DedupConfig

METHODS = ("exact", "near", "semantic", "qa_inconsistent", "against", EMPTY_TEXT)
KEPT = -1
VERIFY_BATCH = 200_000
EXACT_BATCH = 100_000  # candidate pairs whose texts are loaded at once
SIGNATURE_SLACK = 0.1  # candidates whose estimate is this far below the threshold are exact-checked


class Keys:
    """The pass-1 output of one set of units: key table, signatures, embeddings."""

    def __init__(self, units: list[Path], spec: KeySpec, scratch: Path) -> None:
        self.files = [u / "keys.parquet" for u in units]
        self.spec = spec
        qa = ["qa_similarity"] if spec.answer_column else []
        columns = ["row", "exact", "id", "origin", "empty", *qa]
        table = pl.read_parquet(self.files, columns=columns)
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

    def norm_texts(self, rows: np.ndarray) -> dict[int, str]:
        """The normalized text of each of ``rows``."""
        wanted = pl.Series("row", np.unique(rows), dtype=pl.Int64)
        found = (
            pl.scan_parquet(self.files)
            .select("row", "norm")
            .filter(pl.col("row").is_in(wanted))
            .collect()
        )
        return dict(found.iter_rows())

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


def _verified_exactly(
    keys: Keys, other: Keys, x: np.ndarray, y: np.ndarray, threshold: float
) -> np.ndarray:
    """Which candidate pairs are near duplicates: signature estimate within
    ``SIGNATURE_SLACK`` of the threshold, then exact Jaccard of the shingles >= threshold."""
    ok = _verified(keys.sigs, other.sigs, x, y, threshold - SIGNATURE_SLACK)
    candidates = np.flatnonzero(ok)
    for s in range(0, len(candidates), EXACT_BATCH):  # memory bounded by a batch of pairs
        idx = candidates[s : s + EXACT_BATCH]
        xs, x_local = np.unique(x[idx], return_inverse=True)
        ys, y_local = np.unique(y[idx], return_inverse=True)
        if other is keys:  # pairs within one dataset: read each text once
            x_texts = y_texts = keys.norm_texts(np.union1d(xs, ys))
        else:
            x_texts, y_texts = keys.norm_texts(xs), other.norm_texts(ys)
        sims = pair_jaccard(
            [x_texts.get(r) or "" for r in xs.tolist()],
            [y_texts.get(r) or "" for r in ys.tolist()],
            x_local, y_local, keys.spec.ngram, keys.spec.shingle,
        )  # fmt: skip
        ok[idx] = sims >= threshold
    return ok


def _near_edges(keys: Keys, threshold: float) -> tuple[np.ndarray, np.ndarray]:
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
    ok = _verified_exactly(keys, keys, src, dst, threshold)
    return src[ok], dst[ok]


def _exact_edges(keys: Keys) -> tuple[np.ndarray, np.ndarray]:
    t = keys.table.select("row", "exact")
    root = t.group_by("exact").agg(pl.col("row").min().alias("root"))
    edges = t.join(root, on="exact").filter(pl.col("row") != pl.col("root"))
    return edges["row"].to_numpy(), edges["root"].to_numpy()


def _semantic_edges(
    keys: Keys, alive: np.ndarray, threshold: float, scope: str
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


def _against(keys: Keys, other: Keys, threshold: float) -> dict[int, str]:
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
        ok = _verified_exactly(keys, other, src, dst, threshold)
        for row, orow in zip(src[ok].tolist(), dst[ok].tolist(), strict=True):
            found.setdefault(row, other_ids[orow])
    return found


def decide(
    keys: Keys, cfg: DedupConfig, others: list[Keys], qa: np.ndarray | None
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

    # rows with no text to compare (a text column null, blank or not text, or nothing left
    # after normalization) are removed under their own rule: every command skips them, and
    # they would all be "duplicates" of each other
    nothing = keys.table["exact"] == exact_hash(normalize("", keys.spec.norm))
    empty = (nothing | keys.table["empty"]).to_numpy()
    method[empty] = METHODS.index(EMPTY_TEXT)
    exact_src, exact_dst = _exact_edges(keys) if cfg.exact or cfg.near else (np.zeros(0),) * 2
    if cfg.exact:
        apply("exact", components(n, exact_src, exact_dst))
    if cfg.near:
        src, dst = _near_edges(keys, cfg.threshold)
        root = components(n, np.r_[src, exact_src], np.r_[dst, exact_dst])
        apply("near", root)
        stats["near_clusters"] = size_histogram(root[~empty])
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
