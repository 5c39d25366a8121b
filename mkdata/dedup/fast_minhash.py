"""MinHash signatures in compiled code (numba), straight from normalized texts: `--hash fast`.

Each text's UTF-32 code points are shingled (character n-grams, or n-grams of the words
between single spaces, which is what normalized text holds) and every shingle is hashed
(FNV-1a over its code points, then the splitmix64 finalizer, folded to 32 bits) inside
the same loop that applies the ``num_perm`` affine permutations mod 2**32 and keeps the
minimum, so no shingle string or token array is ever built. Documents run in parallel
threads. A text shorter than n (characters or words) is one shingle; an empty text gets the
empty signature (all 0xFFFFFFFF), as with datasketch.

The signatures are not datasketch's (its SHA-1 shingle hashes are ~20x slower): estimates of
Jaccard similarity have the same accuracy. `--hash datasketch` (``minhash.signatures``)
keeps datasketch's values exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from mkdata.dedup.minhash import EMPTY, permutations

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
SPACE = 32


@njit(cache=True, inline="always")
def _finish(h: np.uint64) -> np.uint32:
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    h = h ^ (h >> np.uint64(31))
    return np.uint32((h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF))


@njit(cache=True, inline="always")
def _permute(token: np.uint32, a: np.ndarray, b: np.ndarray, row: np.ndarray) -> None:
    t = np.uint64(token)
    for p in range(a.shape[0]):
        v = np.uint32((np.uint64(a[p]) * t + np.uint64(b[p])) & np.uint64(0xFFFFFFFF))  # mod 2**32
        if v < row[p]:
            row[p] = v


@njit(cache=True)
def _doc_shingles(codes: np.ndarray, lo: int, hi: int, ngram: int, words: bool) -> np.ndarray:
    """The 64-bit FNV-1a hashes of one text's shingles (with repeats), in order: character
    n-grams, or n-grams of the words between single spaces; a text shorter than n is one
    shingle, an empty one none."""
    units = np.empty(hi - lo + 1, dtype=np.uint64)  # code points, or word hashes
    count = 0
    if words:
        h = FNV_OFFSET
        in_word = False
        for i in range(lo, hi):
            if codes[i] == SPACE:
                if in_word:
                    units[count] = h
                    count += 1
                    h = FNV_OFFSET
                    in_word = False
            else:
                h = (h ^ np.uint64(codes[i])) * FNV_PRIME
                in_word = True
        if in_word:
            units[count] = h
            count += 1
    else:
        for i in range(lo, hi):
            units[count] = np.uint64(codes[i])
            count += 1
    if count == 0:
        return np.empty(0, dtype=np.uint64)
    width = ngram if count >= ngram else count
    grams = np.empty(count - width + 1, dtype=np.uint64)
    for i in range(count - width + 1):
        g = FNV_OFFSET
        for k in range(width):
            g = (g ^ units[i + k]) * FNV_PRIME
        grams[i] = g
    return grams


@njit(cache=True, parallel=True)
def _signatures(
    codes: np.ndarray, starts: np.ndarray, ngram: int, words: bool, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    n_docs = starts.shape[0] - 1
    out = np.full((n_docs, a.shape[0]), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    for d in prange(n_docs):
        grams = _doc_shingles(codes, starts[d], starts[d + 1], ngram, words)
        for g in grams:
            _permute(_finish(g), a, b, out[d])
    return out


def fast_signatures(
    normalized: list[str], ngram: int, unit: str, num_perm: int = 128, seed: int = 1
) -> np.ndarray:
    """MinHash signatures (``len(normalized)`` x ``num_perm`` uint32) of normalized texts,
    shingled by ``unit`` (``char`` or ``word``) ``ngram``-grams."""
    a, b = permutations(num_perm, seed)
    codes, starts = _encode(normalized)
    out = _signatures(codes, starts, ngram, unit == "word", a, b)
    assert out.dtype == np.uint32 and (len(normalized) == 0 or out.max() <= EMPTY)
    return out


@njit(cache=True)
def _shingle_sets(
    codes: np.ndarray, starts: np.ndarray, ngram: int, words: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Each text's distinct 64-bit shingle hashes, sorted: (flat hashes, row offsets)."""
    n_docs = starts.shape[0] - 1
    parts = []
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    for d in range(n_docs):
        grams = np.unique(_doc_shingles(codes, starts[d], starts[d + 1], ngram, words))
        parts.append(grams)
        offsets[d + 1] = offsets[d] + grams.shape[0]
    flat = np.empty(offsets[n_docs], dtype=np.uint64)
    for d in range(n_docs):
        flat[offsets[d] : offsets[d + 1]] = parts[d]
    return flat, offsets


@njit(cache=True, parallel=True)
def _pair_jaccard(
    fa: np.ndarray, oa: np.ndarray, fb: np.ndarray, ob: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    out = np.empty(x.shape[0], dtype=np.float64)
    for p in prange(x.shape[0]):
        i, j = oa[x[p]], ob[y[p]]
        i_end, j_end = oa[x[p] + 1], ob[y[p] + 1]
        size = (i_end - i) + (j_end - j)
        common = 0
        while i < i_end and j < j_end:
            if fa[i] == fb[j]:
                common += 1
                i += 1
                j += 1
            elif fa[i] < fb[j]:
                i += 1
            else:
                j += 1
        union = size - common
        out[p] = common / union if union else 1.0
    return out


def _encode(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    return np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), "<u4"), starts


def pair_jaccard(
    x_texts: list[str], y_texts: list[str], x: np.ndarray, y: np.ndarray, ngram: int, unit: str
) -> np.ndarray:
    """Jaccard similarity of the shingle sets (``unit`` ``ngram``-grams, the sets
    ``minhash.shingles`` gives, compared by 64-bit hashes) of each pair ``x_texts[x[p]]``,
    ``y_texts[y[p]]``."""
    fa, oa = _shingle_sets(*_encode(x_texts), ngram, unit == "word")
    fb, ob = _shingle_sets(*_encode(y_texts), ngram, unit == "word")
    return _pair_jaccard(fa, oa, fb, ob, np.asarray(x, np.int64), np.asarray(y, np.int64))
