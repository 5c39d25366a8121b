"""MFAQ's page layout: regroup a language's QA-pair shards into one row per page."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import polars as pl

from mkdata.core.schema import FAQ_PAGE, stable_id
from mkdata.core.shards import ShardWriter

PAGE_BATCH = 20_000


def _domain(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def pages_from_pairs(
    pair_dir: Path, page_dir: Path, language: str, max_rows: int, max_bytes: int
) -> int:
    """Write page rows (FAQ_PAGE schema) for the QA-pair shards in ``pair_dir``; return pages.

    A page is one (url, language); its pairs are ordered by pair id, pages by page id,
    so the output is deterministic. One language's pairs are held in memory.
    """
    pairs = pl.scan_parquet(sorted(pair_dir.glob("*.parquet")))
    pages = (
        pairs.sort("id")
        .group_by("url")
        .agg(
            pl.len().cast(pl.Int32).alias("num_pairs"),
            pl.col("source").first(),
            pl.col("title").first(),
            pl.col("description").first(),
            pl.col("page_language").first(),
            pl.struct("question", "answer", "language").alias("qa_pairs"),
        )
        .collect()
    )
    pages = pages.with_columns(
        pl.col("url")
        .map_elements(lambda u: stable_id("page", language, u), return_dtype=pl.String)
        .alias("id"),
        pl.col("url").map_elements(_domain, return_dtype=pl.String).alias("domain"),
        pl.lit(language).alias("language"),
    ).sort("id")
    writer = ShardWriter(page_dir, FAQ_PAGE, "train", max_rows, max_bytes)
    for batch in pages.select(FAQ_PAGE.names).iter_slices(PAGE_BATCH):
        writer.write(batch.to_arrow().cast(FAQ_PAGE))
    writer.close()
    return writer.rows


def to_page_layout(
    data: Path, configs: dict[str, int], max_rows: int, max_bytes: int
) -> dict[str, int]:
    """Replace every config under ``data`` by its page rows; return pages per config."""
    pages: dict[str, int] = {}
    for lang in configs:
        flat, paged = data / lang, data / f".{lang}.pages"
        pages[lang] = pages_from_pairs(flat, paged, lang, max_rows, max_bytes)
        shutil.rmtree(flat)
        paged.rename(flat)
    return pages
