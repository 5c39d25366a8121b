"""Post-filters on mined pairs: untranslated copies, length ratio, language ID.

Each returns a boolean mask of the pairs to drop, so the runner can count them.
"""

from __future__ import annotations

import numpy as np

from mkdata.mining.textsim import jaccard, skeleton, trigrams

LID_TOP = 3  # the expected language must be among LID's top predictions...
LID_TRUSTED = 0.5  # ...when LID is at least this sure of its top one (short texts fool it)


def copies(src: list[str], tgt: list[str], threshold: float) -> np.ndarray:
    """Pairs whose sides are identical or near-identical (character trigram Jaccard >=
    ``threshold`` after case-folding and dropping spaces and punctuation)."""
    return np.array(
        [
            skeleton(a) == skeleton(b) or jaccard(trigrams(a), trigrams(b)) >= threshold
            for a, b in zip(src, tgt, strict=True)
        ],
        dtype=bool,
    )


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
