"""Margin scoring (Artetxe & Schwenk, 2019) and the candidate selection strategies.

score(x, y) = margin(cos(x, y), (mean of x's k-NN cosines + mean of y's k-NN cosines) / 2)
with margin ``ratio`` (a / b), ``distance`` (a - b) or ``absolute`` (a, plain cosine).
"""

from __future__ import annotations

import numpy as np

from mkdata.mining.knn import knn
from mkdata.mining.margin_params import MARGINS, STRATEGIES, MarginParams  # noqa: F401


def margin_score(cos: np.ndarray, neighbourhood: np.ndarray, kind: str) -> np.ndarray:
    """Apply margin ``kind`` to cosines ``cos`` given the neighbourhood averages."""
    if kind == "ratio":
        return cos / np.maximum(neighbourhood, 1e-6)
    if kind == "distance":
        return cos - neighbourhood
    return cos


def _best(
    sims: np.ndarray, ids: np.ndarray, own_avg: np.ndarray, other_avg: np.ndarray, kind: str
) -> tuple[np.ndarray, np.ndarray]:
    """For each query row: its best-scoring neighbour among its k and that score."""
    scores = margin_score(sims, (own_avg[:, None] + other_avg[ids]) / 2, kind)
    best = np.argmax(scores, axis=1)
    rows = np.arange(len(ids))
    return ids[rows, best], scores[rows, best]


def mine(
    x: np.ndarray, y: np.ndarray, params: MarginParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mine pairs between embeddings ``x`` (source) and ``y`` (target).

    Returns (source rows, target rows, scores), highest score first; k shrinks to the
    smaller pool when a pool has fewer than k rows.
    """
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    if len(x) == 0 or len(y) == 0:
        return empty
    k = min(params.k, len(x), len(y))
    fwd_sims, fwd_ids = knn(x, y, k, params.index, params.nprobe)
    bwd_sims, bwd_ids = knn(y, x, k, params.index, params.nprobe)
    x_avg = fwd_sims.mean(axis=1)
    y_avg = bwd_sims.mean(axis=1)
    f_tgt, f_score = _best(fwd_sims, fwd_ids, x_avg, y_avg, params.margin)
    b_src, b_score = _best(bwd_sims, bwd_ids, y_avg, x_avg, params.margin)
    f_src = np.arange(len(x), dtype=np.int64)
    b_tgt = np.arange(len(y), dtype=np.int64)
    if params.strategy == "forward":
        src, tgt, score = f_src, f_tgt, f_score
    elif params.strategy == "backward":
        src, tgt, score = b_src, b_tgt, b_score
    elif params.strategy == "intersect":
        mutual = b_src[f_tgt] == f_src
        src, tgt, score = f_src[mutual], f_tgt[mutual], f_score[mutual]
    else:
        src, tgt, score = _one_to_one(
            np.r_[f_src, b_src], np.r_[f_tgt, b_tgt], np.r_[f_score, b_score]
        )
    order = np.lexsort((tgt, src, -score))
    return src[order], tgt[order], score[order].astype(np.float32)


def _one_to_one(
    src: np.ndarray, tgt: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy by score: keep a candidate unless its source or target is already taken."""
    order = np.lexsort((tgt, src, -score))
    used_src: set[int] = set()
    used_tgt: set[int] = set()
    keep = []
    for i, s, t in zip(order.tolist(), src[order].tolist(), tgt[order].tolist(), strict=True):
        if s in used_src or t in used_tgt:
            continue
        used_src.add(s)
        used_tgt.add(t)
        keep.append(i)
    idx = np.asarray(keep, dtype=np.int64)
    return src[idx], tgt[idx], score[idx]
