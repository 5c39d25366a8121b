"""Surface similarity of two texts: character trigrams of their letters and digits.

Used to catch untranslated copies (bitext) and near-copies of positives (negatives).
"""

from __future__ import annotations

import unicodedata


def skeleton(text: str) -> str:
    """``text`` case-folded (NFKC) with everything but letters and digits removed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def trigrams(text: str) -> set[str]:
    """Character trigrams of ``skeleton(text)`` (the skeleton itself when shorter)."""
    s = skeleton(text)
    return {s[i : i + 3] for i in range(max(1, len(s) - 2))}


def jaccard(a: set[str], b: set[str]) -> float:
    """|a & b| / |a | b| (1.0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


def containment(a: set[str], b: set[str]) -> float:
    """Share of the smaller set found in the larger one (1.0 when either is empty)."""
    small = min(len(a), len(b))
    return len(a & b) / small if small else 1.0
