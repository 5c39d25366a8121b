"""`mkdata eval bitext`: precision, recall and F1 of mined pairs against gold pairs.

Gold: ``src_id``/``tgt_id`` columns (parquet, JSON Lines, CSV or TSV with a header),
optionally ``src_lang``/``tgt_lang``, or a headerless two-column TSV (the BUCC
``.gold`` format). Without languages, each gold id's language is looked up in the
input the pairs were mined from. A pair matches in either orientation.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from mkdata.core.bitext_format import bitext_files, read_bitext
from mkdata.core.lang import to_iso639_3
from mkdata.core.manifest import read_manifest
from mkdata.core.reader import input_files, read_table


@dataclass(frozen=True)
class PairScore:
    """Scores of one config (or of everything, config ``all``)."""

    config: str
    gold: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "config": self.config,
            "gold": self.gold,
            "predicted": self.predicted,
            "correct": self.correct,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def _key(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """An orientation-free pair key."""
    return (
        pl.when(a <= b)
        .then(pl.concat_str(a, b, separator="\t"))
        .otherwise(pl.concat_str(b, a, separator="\t"))
    )


def _lang_key(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return (
        pl.when(a <= b)
        .then(pl.concat_str(a, b, separator="-"))
        .otherwise(pl.concat_str(b, a, separator="-"))
    )


def load_gold(path: Path) -> pl.DataFrame:
    """Gold pairs as (src_id, tgt_id, key, langs); langs is ``deu-eng`` (sorted) or null.

    ValueError (naming the file) when it has no usable pairs.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such gold file")
    name = path.name.lower()
    if name.endswith((".tsv", ".csv", ".txt", ".gold")):
        df = _read_delimited(path)
    else:
        table = read_table(input_files([path]), ["src_id", "tgt_id"], ("src_lang", "tgt_lang"))
        df = pl.from_arrow(table)
        assert isinstance(df, pl.DataFrame)
    df = df.filter(pl.col("src_id").is_not_null() & pl.col("tgt_id").is_not_null())
    if df.is_empty():
        raise ValueError(f"{path}: no gold pairs")
    has_langs = "src_lang" in df.columns and df["src_lang"].null_count() < df.height
    langs = _lang_key(pl.col("src_lang"), pl.col("tgt_lang")) if has_langs else pl.lit(None)
    return df.select(
        "src_id",
        "tgt_id",
        _key(pl.col("src_id"), pl.col("tgt_id")).alias("key"),
        langs.cast(pl.String).alias("langs"),
    ).unique("key", maintain_order=True)


def _id_languages(out: Path) -> pl.DataFrame:
    """(id, language) of every row of the input ``out`` was mined from (per its manifest)."""
    try:
        files = [Path(i["source"]) for i in read_manifest(out).get("inputs", [])]
        table = read_table(files, ["id", "language"])
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise ValueError(
            f"the gold has no src_lang/tgt_lang and the input of {out} cannot be read ({exc})"
        ) from None
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    codes = {c: to_iso639_3(c.strip().lower()) for c in df["language"].drop_nulls().unique()}
    return df.with_columns(pl.col("language").replace(codes)).unique("id", keep="first")


def with_languages(gold: pl.DataFrame, out: Path) -> pl.DataFrame:
    """Fill the gold's missing language pairs from the languages of the mined input rows."""
    if gold["langs"].null_count() == 0:
        return gold
    ids = _id_languages(out)
    src = ids.rename({"id": "src_id", "language": "sl"})
    tgt = ids.rename({"id": "tgt_id", "language": "tl"})
    df = gold.join(src, on="src_id", how="left").join(tgt, on="tgt_id", how="left")
    unknown = df.filter(pl.col("sl").is_null() | pl.col("tl").is_null())
    if not unknown.is_empty():
        row = unknown.row(0, named=True)
        missing = row["src_id"] if row["sl"] is None else row["tgt_id"]
        raise ValueError(
            f"gold id {missing!r} is not in the input {out} was mined from "
            "(give the gold src_lang/tgt_lang columns)"
        )
    return df.with_columns(
        pl.coalesce("langs", _lang_key(pl.col("sl"), pl.col("tl"))).alias("langs")
    ).drop("sl", "tl")


def _read_delimited(path: Path) -> pl.DataFrame:
    delimiter = "," if path.name.lower().endswith(".csv") else "\t"
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.reader(fh, delimiter=delimiter) if r]
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    if not rows:
        raise ValueError(f"{path}: no gold pairs")
    header = [h.strip() for h in rows[0]]
    if {"src_id", "tgt_id"} <= set(header):
        data = {c: [r[i] if i < len(r) else None for r in rows[1:]] for i, c in enumerate(header)}
        return pl.DataFrame(data).select(
            [c for c in ("src_id", "tgt_id", "src_lang", "tgt_lang") if c in header]
        )
    bad = next((n for n, r in enumerate(rows, 1) if len(r) < 2), None)
    if bad is not None:
        raise ValueError(f"{path}:{bad}: expected two columns (src_id, tgt_id)")
    return pl.DataFrame({"src_id": [r[0] for r in rows], "tgt_id": [r[1] for r in rows]})


def load_predictions(out: Path) -> tuple[pl.DataFrame, list[str]]:
    """Mined pairs of dataset directory ``out`` as (config, key, langs, score), and the
    names of its configs (empty ones included)."""
    files = bitext_files(out)
    df = read_bitext(files).drop("file", "row")
    configs = sorted({f.parent.name for f in files})
    return df.select(
        "config",
        _key(pl.col("src_id"), pl.col("tgt_id")).alias("key"),
        _lang_key(pl.col("src_lang"), pl.col("tgt_lang")).alias("langs"),
        "score",
    ), configs


@dataclass
class _Config:
    name: str
    gold: int
    scores: np.ndarray  # scores of predictions, descending
    correct: np.ndarray  # cumulative number of correct predictions in that order


def _configs(
    loaded: tuple[pl.DataFrame, list[str]], gold: pl.DataFrame, only: list[str] | None
) -> list[_Config]:
    pred, names_mined = loaded
    if only:
        missing = sorted(set(only) - set(names_mined))
        if missing:
            raise ValueError(f"no config {missing[0]!r} in the mined output")
        pred = pred.filter(pl.col("config").is_in(only))
    mined_langs = {"-".join(sorted(c.split("-"))) for c in (only or names_mined)}
    names = sorted(set(gold["langs"].unique().to_list()) & mined_langs)
    if not names:
        raise ValueError("no language pair of the gold was mined")
    return [
        _score_table(
            langs, pred.filter(pl.col("langs") == langs), gold.filter(pl.col("langs") == langs)
        )
        for langs in names
    ]


def _score_table(name: str, pred: pl.DataFrame, gold: pl.DataFrame) -> _Config:
    golden = set(gold["key"].to_list())
    p = pred.sort("score", descending=True)
    hit = np.array([k in golden for k in p["key"].to_list()], dtype=np.int64)
    return _Config(name, len(golden), p["score"].to_numpy(), np.cumsum(hit))


def _at(c: _Config, threshold: float | None) -> PairScore:
    n = len(c.scores) if threshold is None else int((c.scores >= threshold).sum())
    correct = int(c.correct[n - 1]) if n else 0
    return PairScore(c.name, c.gold, n, correct)


def evaluate(
    out: Path, gold_path: Path, threshold: float | None = None, configs: list[str] | None = None
) -> list[PairScore]:
    """Scores of the pairs mined into ``out`` (those scoring >= ``threshold`` when given)."""
    gold = with_languages(load_gold(gold_path), out)
    return [_at(c, threshold) for c in _configs(load_predictions(out), gold, configs)]


def pick_threshold(
    out: Path, gold_path: Path, configs: list[str] | None = None
) -> tuple[float, float]:
    """The threshold that maximizes mean F1 over the gold's language pairs, and that F1.

    The pairs in ``out`` must have been mined with a threshold at most as high as any
    worth trying (e.g. ``--threshold 0``). Among equally good thresholds the middle of
    the best range is returned.
    """
    cs = _configs(load_predictions(out), with_languages(load_gold(gold_path), out), configs)
    candidates = np.unique(np.concatenate([c.scores for c in cs] + [np.zeros(0)]))
    if not len(candidates):
        raise ValueError(f"{out}: no mined pairs to pick a threshold from")
    mean_f1 = np.zeros(len(candidates))
    for c in cs:
        asc = c.scores[::-1]
        n = len(asc) - np.searchsorted(asc, candidates, side="left")
        correct = np.where(n > 0, c.correct[np.maximum(n - 1, 0)], 0)
        p = np.where(n > 0, correct / np.maximum(n, 1), 0.0)
        r = correct / c.gold if c.gold else np.zeros(len(candidates))
        mean_f1 += np.where(p + r > 0, 2 * p * r / np.maximum(p + r, 1e-12), 0.0)
    mean_f1 /= len(cs)
    best = np.flatnonzero(mean_f1 >= mean_f1.max() - 1e-12)
    lo_i, hi_i = best.min(), best.max()
    # the best range runs from the lowest best candidate to just below the next candidate
    upper = candidates[hi_i + 1] if hi_i + 1 < len(candidates) else candidates[hi_i]
    lower = candidates[lo_i - 1] if lo_i > 0 else candidates[lo_i]
    mid = float((lower + upper) / 2)
    score = float(np.mean([_at(c, mid).f1 for c in cs]))
    if score + 1e-9 < float(mean_f1.max()):
        mid = float(candidates[lo_i])
        score = float(mean_f1.max())
    return mid, score
