"""Batched MinHash signatures equal to datasketch's ``MinHash`` (scheme affine32, sha1_hash32),
LSH band parameters and band hashes.

datasketch hashes each shingle with SHA-1, pre-mixes it with the MurmurHash3
finalizer and applies ``num_perm`` affine permutations mod 2**32, one document at
a time. Here the permutations run over the shingles of thousands of documents at
once and the per-document minimum is one ``np.minimum.reduceat``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

_FMIX32 = (16, np.uint32(0x85EBCA6B), 13, np.uint32(0xC2B2AE35), 16)
EMPTY = np.uint32(0xFFFFFFFF)


def shingles(normalized: str, ngram: int, unit: str = "word") -> list[bytes]:
    """Word (or character) n-grams of a normalized text as UTF-8 bytes, de-duplicated in order.

    A text shorter than n gives one shingle, the whole text.
    """
    if unit == "char":
        n = len(normalized)
        if n <= ngram:
            return [normalized.encode()] if normalized else []
        return list(dict.fromkeys(normalized[i : i + ngram].encode() for i in range(n - ngram + 1)))
    words = normalized.split()
    if len(words) <= ngram:
        return [" ".join(words).encode()] if words else []
    return [" ".join(words[i : i + ngram]).encode() for i in range(len(words) - ngram + 1)]


def _fmix32(hv: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    hv = hv ^ (hv >> np.uint32(s1))
    hv = hv * m1
    hv = hv ^ (hv >> np.uint32(s2))
    hv = hv * m2
    return hv ^ (hv >> np.uint32(s3))


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutation parameters datasketch's affine32 MinHash draws for a seed."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def signatures(
    docs: list[list[bytes]], num_perm: int = 128, seed: int = 1, chunk: int = 65536
) -> np.ndarray:
    """MinHash signatures (``len(docs)`` x ``num_perm`` uint32) of shingle lists.

    A document without shingles gets the empty signature (all 0xFFFFFFFF), as in datasketch.
    """
    a, b = permutations(num_perm, seed)
    out = np.full((len(docs), num_perm), EMPTY, dtype=np.uint32)
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    flat = [h for d in docs for h in d]
    if not flat:
        return out
    hv = np.frombuffer(b"".join(hashlib.sha1(s).digest()[:4] for s in flat), dtype="<u4")
    hv = _fmix32(hv.astype(np.uint32))
    owner = np.repeat(np.arange(len(docs)), lengths)
    for start in range(0, len(hv), chunk):
        part = hv[start : start + chunk]
        phv = part[:, None] * a[None, :] + b[None, :]  # wraps mod 2**32, as datasketch
        rows = owner[start : start + chunk]
        cuts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        mins = np.minimum.reduceat(phv, cuts, axis=0)
        np.minimum.at(out, rows[cuts], mins)
    return out


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for ``threshold``: datasketch's optimiser (false positives weighted 0.05,
    false negatives 0.95), its integrals computed on a fine grid in numpy.

    Banding favours recall: every candidate pair is verified on its signatures
    afterwards, so a false positive costs a comparison, a false negative a kept duplicate.
    """
    pairs = np.array([(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)])
    b, r = pairs[:, :1].astype(float), pairs[:, 1:].astype(float)
    grid = 4001
    low = np.linspace(0.0, threshold, grid)[None, :]
    high = np.linspace(threshold, 1.0, grid)[None, :]
    fp = np.trapezoid(1 - (1 - low**r) ** b, low, axis=1)
    fn = np.trapezoid((1 - high**r) ** b, high, axis=1)
    error = 0.05 * fp + 0.95 * fn
    best = int(np.argmin(error))  # first minimum, as datasketch's strict "<" keeps the first
    return int(pairs[best, 0]), int(pairs[best, 1])


def band_hashes(sigs: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit hash per band (``len(sigs)`` x ``bands`` int64) of signature rows."""
    n = sigs.shape[0]
    out = np.empty((n, bands), dtype=np.uint64)
    mult = np.uint64(0x9E3779B97F4A7C15)
    for band in range(bands):
        part = sigs[:, band * rows : (band + 1) * rows].astype(np.uint64)
        h = np.full(n, ((band + 1) * 0xC2B2AE3D27D4EB4F) % (1 << 64), dtype=np.uint64)
        for col in range(rows):
            h = (h ^ part[:, col]) * mult
            h ^= h >> np.uint64(29)
        out[:, band] = h
    return out.view(np.int64)


def estimated_jaccard(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise Jaccard estimate of two equally shaped signature arrays."""
    return (x == y).mean(axis=1)
