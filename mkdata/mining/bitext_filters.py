"""Post-filters on mined pairs: untranslated copies, length ratio, language ID.

Each returns a boolean mask of the pairs to drop, so the runner can count them.
"""

from __future__ import annotations

import numpy as np

from mkdata.mining.textsim import jaccard, skeleton, trigrams


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
    """Texts that fastText confidently puts in another language than ``expected`` (see
    ``mkdata.core.lang.in_other_language``)."""
    from mkdata.core.lang import in_other_language

    return np.array(in_other_language(texts, [expected] * len(texts)), dtype=bool)
