"""Connected components over duplicate edges; every row's cluster root is its smallest member."""

from __future__ import annotations

import numpy as np


def components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Return ``root`` (length ``n``): the smallest row index connected to each row.

    Min-label propagation with pointer jumping over the edge arrays (numpy, no
    Python loop per edge); memory is O(n + edges).
    """
    label = np.arange(n, dtype=np.int64)
    if len(src) == 0:
        return label
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    while True:
        before = label.copy()
        low = np.minimum(label[src], label[dst])
        np.minimum.at(label, src, low)
        np.minimum.at(label, dst, low)
        while True:  # pointer jumping: follow labels to their own labels
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label


def size_histogram(root: np.ndarray) -> dict[str, int]:
    """Clusters (of 2 or more rows) by size bucket: ``2``, ``3-5``, ``6-10``, ``11-100``, ``>100``."""
    sizes = np.bincount(root)
    sizes = sizes[sizes > 1]
    buckets = {"2": (2, 2), "3-5": (3, 5), "6-10": (6, 10), "11-100": (11, 100)}
    hist = {k: int(((sizes >= lo) & (sizes <= hi)).sum()) for k, (lo, hi) in buckets.items()}
    hist[">100"] = int((sizes > 100).sum())
    return hist
