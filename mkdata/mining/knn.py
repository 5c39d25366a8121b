"""k-nearest-neighbour search by inner product (cosine on L2-normalized vectors) with faiss.

Exact search (``flat``) by default; ``ivf`` trades a little recall for speed on
large pools. Queries go in batches so memory is bounded by the batch, not the pool.
"""

from __future__ import annotations

import numpy as np

from mkdata.mining.margin_params import INDEXES

QUERY_BATCH = 16384
SMALL_POOL = 2048  # below this, one numpy product beats building a faiss index
IVF_MIN_POOL = 20_000  # IVF needs enough points to train its centroids


def knn(
    queries: np.ndarray,
    base: np.ndarray,
    k: int,
    index: str = "flat",
    nprobe: int = 16,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` most similar rows of ``base`` for each row of ``queries``, best first.

    Returns (similarities float32 (n, k'), ids int64 (n, k')) with k' = min(k, len(base)).
    """
    if index not in INDEXES:
        raise ValueError(f"unknown index {index!r}: expected one of {', '.join(INDEXES)}")
    k = min(k, len(base))
    n = len(queries)
    if k == 0 or n == 0:
        return np.zeros((n, k), np.float32), np.zeros((n, k), np.int64)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    base = np.ascontiguousarray(base, dtype=np.float32)
    if len(base) <= SMALL_POOL and n <= SMALL_POOL:
        return _numpy_knn(queries, base, k)
    faiss_index = _build(base, index, nprobe)
    sims = np.empty((n, k), np.float32)
    ids = np.empty((n, k), np.int64)
    for s in range(0, n, QUERY_BATCH):
        sims[s : s + QUERY_BATCH], ids[s : s + QUERY_BATCH] = faiss_index.search(
            queries[s : s + QUERY_BATCH], k
        )
    return sims, ids


def _numpy_knn(queries: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sims = queries @ base.T
    if k < base.shape[0]:
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    else:
        top = np.broadcast_to(np.arange(base.shape[0]), sims.shape).copy()
    top_sims = np.take_along_axis(sims, top, axis=1)
    # best first; equal similarities by smaller id, as faiss does
    order = np.lexsort((top, -top_sims), axis=1)
    return np.take_along_axis(top_sims, order, 1), np.take_along_axis(top, order, 1).astype(
        np.int64
    )


def _build(base: np.ndarray, index: str, nprobe: int):
    import faiss

    d = base.shape[1]
    if index == "ivf" and len(base) >= IVF_MIN_POOL:
        nlist = int(min(4 * np.sqrt(len(base)), len(base) // 39))
        quantizer = faiss.IndexFlatIP(d)
        ivf = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = base[np.sort(rng.choice(len(base), min(len(base), 256 * nlist), replace=False))]
        ivf.cp.seed = 1234
        ivf.train(sample)
        ivf.add(base)
        ivf.nprobe = nprobe
        return ivf
    flat = faiss.IndexFlatIP(d)
    flat.add(base)
    return flat
