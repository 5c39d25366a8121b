"""Post-filters on mined pairs: untranslated copies, length ratio, language ID.

Each returns a boolean mask of the pairs to drop, so the runner can count them.
"""

from __future__ import annotations

import unicodedata

import numpy as np

LID_TOP = 3  # the expected language must be among LID's top predictions...
LID_TRUSTED = 0.5  # ...when LID is at least this sure of its top one (short texts fool it)


def _skeleton(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def _trigrams(text: str) -> set[str]:
    return {text[i : i + 3] for i in range(max(1, len(text) - 2))}


def copies(src: list[str], tgt: list[str], threshold: float) -> np.ndarray:
    """Pairs whose sides are identical or near-identical (character trigram Jaccard >=
    ``threshold`` after case-folding and dropping spaces and punctuation)."""
    drop = np.zeros(len(src), dtype=bool)
    for i, (a, b) in enumerate(zip(src, tgt, strict=True)):
        sa, sb = _skeleton(a), _skeleton(b)
        if sa == sb:
            drop[i] = True
            continue
        ta, tb = _trigrams(sa), _trigrams(sb)
        drop[i] = len(ta & tb) >= threshold * len(ta | tb)
    return drop


def length_outliers(src: list[str], tgt: list[str], max_ratio: float) -> np.ndarray:
    """Pairs whose character-length ratio is more than ``max_ratio`` times above or below
    the median ratio of all the pairs given (scripts differ in characters per word)."""
    if not src:
        return np.zeros(0, dtype=bool)
    ratio = np.array([max(len(a), 1) / max(len(b), 1) for a, b in zip(src, tgt, strict=True)])
    rel = ratio / float(np.median(ratio))
    return (rel > max_ratio) | (rel < 1 / max_ratio)


def language_mismatch(texts: list[str], expected: str) -> np.ndarray:
    """Texts that fastText confidently puts in another language: its top prediction scores
    at least LID_TRUSTED and the expected language (ISO 639-3) is not in its top LID_TOP."""
    from mkdata.lang import get_identifier

    if not texts:
        return np.zeros(0, dtype=bool)
    predictions = get_identifier().predict(texts, k=LID_TOP)
    return np.array([p.score >= LID_TRUSTED and expected not in p.langs for p in predictions])
