"""Read a fastText supervised model file (``.bin`` / ``.ftz``, format version 12) into the
arrays the compiled predictor (``_fasttext_predict.c``) needs.

Only what prediction reads is kept: the dictionary (words, then labels), the pruned-bucket
index, the input matrix expanded to float32 rows (a quantized matrix's rows are built once,
``norm * centroid`` per sub-vector in float32, the products fastText adds at prediction),
the output matrix, and the Huffman tree over the labels (fastText's ``buildTree``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = 793712314
VERSION = 12
LOSS_HS = 1
MODEL_SUPERVISED = 3
KSUB = 256  # centroids per sub-quantizer


class UnsupportedModel(ValueError):
    """The file is a fastText model the compiled predictor does not handle."""


@dataclass(frozen=True)
class FastTextModel:
    """A supervised hierarchical-softmax fastText model as flat arrays."""

    entries: tuple[bytes, ...]  # words, then labels (with their "__label__" prefix)
    types: bytes  # one per entry: 0 word, 1 label
    nwords: int
    prune: bytes | None  # int32 pairs (bucket, row offset); None when not pruned
    rows: np.ndarray  # float32 [rows x dim]
    output: np.ndarray  # float32 [labels x dim]
    left: np.ndarray  # int32 [2 labels - 1]
    right: np.ndarray
    minn: int
    maxn: int
    bucket: int

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels' names in the model's order (``__label__en``, ...)."""
        return tuple(e.decode() for e in self.entries[self.nwords :])


class _Cursor:
    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.at, self.path = data, 0, path

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.at + size > len(self.data):
            raise UnsupportedModel(f"{self.path}: truncated fastText model at byte {self.at}")
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += size
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        if count < 0 or self.at + size > len(self.data):
            raise UnsupportedModel(f"{self.path}: truncated fastText model at byte {self.at}")
        out = np.frombuffer(self.data, dtype, count, self.at)
        self.at += size
        return out

    def cstring(self) -> bytes:
        end = self.data.find(b"\0", self.at)
        if end < 0:
            raise UnsupportedModel(f"{self.path}: truncated fastText model at byte {self.at}")
        out = self.data[self.at : end]
        self.at = end + 1
        return out


def _quantizer(cur: _Cursor) -> np.ndarray:
    """A product quantizer's centroids as [sub-quantizers][KSUB][dsub] (last one padded)."""
    dim, nsubq, dsub, lastdsub = cur.take("4i")
    flat = cur.array("<f4", dim * KSUB)
    out = np.zeros((nsubq, KSUB, dsub), np.float32)
    for m in range(nsubq):
        d = lastdsub if m == nsubq - 1 else dsub
        start = m * KSUB * dsub
        out[m, :, :d] = flat[start : start + KSUB * d].reshape(KSUB, d)
    return out


def _quantized_rows(cur: _Cursor) -> np.ndarray:
    qnorm = cur.take("?")[0]
    m, n = cur.take("2q")
    codes = cur.array("u1", cur.take("i")[0])
    centroids = _quantizer(cur)
    nsubq, _, dsub = centroids.shape
    if codes.size != m * nsubq:
        raise UnsupportedModel(f"{cur.path}: quantized codes do not match the matrix")
    codes = codes.reshape(m, nsubq)
    parts = np.stack([centroids[q, codes[:, q]] for q in range(nsubq)], axis=1)
    rows = parts.reshape(m, nsubq * dsub)[:, :n]
    if qnorm:
        norm_codes = cur.array("u1", m)
        norms = _quantizer(cur)[0, :, 0][norm_codes]
        rows = rows * norms[:, None]  # float32 products, as fastText's addcode computes them
    return np.ascontiguousarray(rows, np.float32)


def _dense(cur: _Cursor) -> np.ndarray:
    m, n = cur.take("2q")
    return cur.array("<f4", m * n).reshape(m, n).astype(np.float32)


def _huffman(counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """fastText's HierarchicalSoftmaxLoss::buildTree: (left, right) child of each node."""
    osz = len(counts)
    count = counts + [10**15] * (osz - 1)
    left = np.full(2 * osz - 1, -1, np.int32)
    right = np.full(2 * osz - 1, -1, np.int32)
    leaf, node = osz - 1, osz
    for i in range(osz, 2 * osz - 1):
        mini = [0, 0]
        for j in range(2):
            if leaf >= 0 and count[leaf] < count[node]:
                mini[j], leaf = leaf, leaf - 1
            else:
                mini[j], node = node, node + 1
        left[i], right[i] = mini
        count[i] = count[mini[0]] + count[mini[1]]
    return left, right


def read_fasttext_model(path: str | Path) -> FastTextModel:
    """Read ``path``; raise :class:`UnsupportedModel` for anything but a version-12
    supervised model with a hierarchical-softmax output and no word n-grams."""
    path = Path(path)
    cur = _Cursor(path.read_bytes(), path)
    magic, version = cur.take("2i")
    if magic != MAGIC or version != VERSION:
        raise UnsupportedModel(f"{path}: not a fastText model of format version {VERSION}")
    dim, _ws, _epoch, _min_count, _neg, word_ngrams, loss, model, bucket, minn, maxn, _lr = (
        cur.take("12i")
    )
    cur.take("d")
    if model != MODEL_SUPERVISED or loss != LOSS_HS or word_ngrams != 1 or dim <= 0:
        raise UnsupportedModel(f"{path}: only supervised hierarchical-softmax models")
    size, nwords, nlabels = cur.take("3i")
    _ntokens, prune_size = cur.take("2q")
    entries, counts, types = [], [], bytearray()
    for _ in range(size):
        entries.append(cur.cstring())
        counts.append(cur.take("q")[0])
        types.append(cur.take("b")[0])
    if size != nwords + nlabels or nlabels < 1:
        raise UnsupportedModel(f"{path}: dictionary sizes do not add up")
    prune = cur.array("<i4", 2 * prune_size).tobytes() if prune_size >= 0 else None
    if prune_size == 0:
        raise UnsupportedModel(f"{path}: a model pruned of every n-gram")
    quantized = cur.take("?")[0]
    if not quantized and prune_size > 0:  # fastText refuses it too
        raise UnsupportedModel(f"{path}: a pruned dictionary with a dense input matrix")
    rows = _quantized_rows(cur) if quantized else _dense(cur)
    if cur.take("?")[0]:
        raise UnsupportedModel(f"{path}: a quantized output matrix")
    output = _dense(cur)
    if rows.shape[1] != dim or output.shape != (nlabels, dim) or cur.at != len(cur.data):
        raise UnsupportedModel(f"{path}: matrix sizes do not match the model")
    try:  # the labels are returned as str
        for label in entries[nwords:]:
            label.decode()
    except UnicodeDecodeError as exc:
        raise UnsupportedModel(f"{path}: a label that is not UTF-8") from exc
    left, right = _huffman(counts[nwords:])
    return FastTextModel(
        tuple(entries), bytes(types), nwords, prune, rows, output, left, right, minn, maxn, bucket
    )
