"""Row rules shared by every command: a rule drops rows and counts them under its name."""

from __future__ import annotations

from collections import Counter

import polars as pl

EMPTY_TEXT = "empty_text"  # a text column is null, not text, or blank


def non_empty(df: pl.DataFrame, columns: list[str], counts: Counter[str]) -> pl.DataFrame:
    """The rows of ``df`` whose ``columns`` all hold non-blank text; the others are counted in
    ``counts[EMPTY_TEXT]``."""
    ok = pl.all_horizontal([pl.col(c).fill_null("").str.strip_chars() != "" for c in columns])
    kept = df.filter(ok)
    if kept.height != df.height:
        counts[EMPTY_TEXT] += df.height - kept.height
    return kept
