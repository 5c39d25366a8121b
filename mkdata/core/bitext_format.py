"""Reading a `mine bitext` output in either of its layouts (text rows: ``src_lang``,
``src_text``...; QA rows: WebFAQ's ``language1``, ``question1``, ``answer1``...) as one
table: config, ids, languages, margin score and each side's text."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mkdata.core.shards import DATA_DIR


def _side(columns: list[str], n: str) -> pl.Expr:
    """Side ``n``'s text: question and answer joined by a newline (QA layout), else its text."""
    if f"question{n}" in columns:
        return pl.concat_str([f"question{n}", f"answer{n}"], separator="\n", ignore_nulls=True)
    return pl.col("src_text" if n == "1" else "tgt_text")


def bitext_files(out: Path) -> list[Path]:
    """The shards of a bitext output; ValueError when it has none."""
    files = sorted((Path(out) / DATA_DIR).glob("*/*.parquet"))
    if not files:
        raise ValueError(f"{out}: not a dataset directory (no data/<config>/*.parquet)")
    return files


def read_bitext(files: list[Path], texts: bool = False) -> pl.DataFrame:
    """The pairs of ``files`` as ``config, src_id, tgt_id, src_lang, tgt_lang, score``
    (Float64) and, with ``texts``, ``source, target``. ValueError naming a shard that is
    not a bitext shard."""
    frames = []
    for f in files:
        try:
            df = pl.read_parquet(f)
            qa = "language1" in df.columns
            columns = [
                pl.lit(f.parent.name).alias("config"), "src_id", "tgt_id",
                pl.col("language1" if qa else "src_lang").alias("src_lang"),
                pl.col("language2" if qa else "tgt_lang").alias("tgt_lang"),
                pl.col("score").cast(pl.Float64),
            ]  # fmt: skip
            if texts:
                columns += [
                    _side(df.columns, "1").alias("source"),
                    _side(df.columns, "2").alias("target"),
                ]
            frames.append(df.select(columns))
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise ValueError(f"{f}: not a bitext shard ({exc})") from None
    return pl.concat(frames)
