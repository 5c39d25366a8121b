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


def read_bitext(files: list[Path]) -> pl.DataFrame:
    """The pairs of ``files`` as ``config, file, row, src_id, tgt_id, src_lang, tgt_lang,
    score`` (Float64; ``file`` indexes ``files``, ``row`` the row in it), texts left on
    disk. ValueError naming a shard that is not a bitext shard."""
    frames = []
    for i, f in enumerate(files):
        try:
            qa = "language1" in pl.read_parquet_schema(f)
            langs = ("language1", "language2") if qa else ("src_lang", "tgt_lang")
            df = pl.read_parquet(f, columns=["src_id", "tgt_id", *langs, "score"])
            frames.append(
                df.with_row_index("row").select(
                    pl.lit(f.parent.name).alias("config"),
                    pl.lit(i).alias("file"),
                    "row",
                    "src_id",
                    "tgt_id",
                    pl.col(langs[0]).alias("src_lang"),
                    pl.col(langs[1]).alias("tgt_lang"),
                    pl.col("score").cast(pl.Float64),
                )
            )
        except (pl.exceptions.PolarsError, OSError) as exc:
            raise ValueError(f"{f}: not a bitext shard ({exc})") from None
    return pl.concat(frames)


def read_texts(path: Path, rows: list[int]) -> pl.DataFrame:
    """``source`` and ``target`` texts of the given rows of one bitext shard, in that order."""
    qa = "question1" in pl.read_parquet_schema(path)
    columns = ["question1", "answer1", "question2", "answer2"] if qa else ["src_text", "tgt_text"]
    df = pl.read_parquet(path, columns=columns)[rows]
    return df.select(_side(df.columns, "1").alias("source"), _side(df.columns, "2").alias("target"))
