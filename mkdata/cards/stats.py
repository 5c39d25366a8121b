"""What is in a dataset directory: per config and split, rows, text lengths, languages,
origins, the share of exact duplicates and a few example rows; plus the distributions the
card's charts draw (lengths, scores).

Lengths are computed on every row (polars); duplicates are exact on the comparison form
every mkdata command uses (``mkdata.core.text.normalize`` of the row's text columns), on
the first ``sample_rows`` rows of each config and split.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import polars.selectors as cs

from mkdata.cards.stats_records import DatasetStats, SplitStats
from mkdata.core.manifest import read_manifest
from mkdata.core.shards import DATA_DIR
from mkdata.core.text import normalize


def config_languages(config: str) -> list[str]:
    """The ISO 639-3 languages a config name stands for: ``deu``, ``deu-eng`` (bitext),
    ``deu-corpus`` (benchmark); none for ``default`` or ``all``."""
    from mkdata.core.lang import known_languages

    known = known_languages()
    return [part for part in config.split("-") if part in known]


# columns that hold ids, codes or provenance, not text to measure
NOT_TEXT = {
    "id", "_id", "origin", "url", "language", "source", "model", "prompt_mode", "code",
    "lang", "src_lang", "tgt_lang", "query_language", "passage_language", "removed_by",
    "duplicate_of", "domain", "page_language", "query-id", "corpus-id", "query_id", "positive_id",
    "negative_ids", "src_id", "tgt_id", "passage_id", "doc_id", "type", "prompt",
    "language1", "language2",
}  # fmt: skip
SCORED = ("negatives", "bitext")  # kinds whose scores mean something to plot
PERCENTILES = (5, 50, 95)
EXAMPLES = 3
EXAMPLE_CHARS = 160


def data_files(directory: Path, m: dict[str, Any]) -> dict[tuple[str, str], list[Path]]:
    """(config, split) -> its data files, for every non-empty split in the manifest."""
    ext = m.get("file_extension", "parquet")
    out: dict[tuple[str, str], list[Path]] = {}
    for config, splits in (m.get("configs") or {}).items():
        for split, rows in splits.items():
            files = sorted((Path(directory) / DATA_DIR / config).glob(f"{split}-*.{ext}"))
            if rows and files:
                out[(config, split)] = files
    return out


def read_frame(files: list[Path], max_rows: int | None = None) -> pl.DataFrame:
    """The rows of a split's files (parquet, or JSON Lines for flag-jsonl outputs), the first
    ``max_rows`` only when given."""
    if files[0].suffix == ".jsonl":
        frame = pl.concat([pl.scan_ndjson(f) for f in files], how="diagonal_relaxed")
    else:
        frame = pl.scan_parquet(files)
    frame = frame.head(max_rows) if max_rows is not None else frame
    # a dictionary-encoded (categorical) column holds text like any other
    return frame.with_columns(cs.categorical().cast(pl.String)).collect()


def text_columns(df: pl.DataFrame) -> list[str]:
    """The columns holding text: strings, or lists of strings, not ids or codes."""
    return [
        c
        for c, t in df.schema.items()
        if c not in NOT_TEXT and (t == pl.String or t == pl.List(pl.String))
    ]


def text_values(df: pl.DataFrame) -> dict[str, pl.Series]:
    """Every text value per text column: strings, lists of strings flattened, and the string
    fields of lists of records (``qa_pairs.question`` of FAQ pages)."""
    out: dict[str, pl.Series] = {}
    for c, t in df.schema.items():
        if c in NOT_TEXT:
            continue
        if t == pl.String:
            out[c] = df[c].drop_nulls()
        elif t == pl.List(pl.String):
            out[c] = df[c].explode().drop_nulls()
        elif isinstance(t, pl.List) and isinstance(t.inner, pl.Struct):
            inner = df[c].explode().drop_nulls().struct.unnest()
            for f in inner.columns:
                if inner[f].dtype == pl.String and f not in NOT_TEXT:
                    out[f"{c}.{f}"] = inner[f].drop_nulls()
    return out


def _percentiles(values: pl.Series) -> dict[str, float]:
    if values.is_empty():
        return {}
    return {f"p{p}": float(values.quantile(p / 100, "nearest") or 0) for p in PERCENTILES}


def split_stats(
    config: str, split: str, df: pl.DataFrame, language_configs: bool
) -> tuple[SplitStats, dict[str, pl.Series]]:
    """The statistics of one split but its duplicate share (:func:`duplicate_share`), and the
    character lengths of each text column."""
    st = SplitStats(config, split, df.height)
    lengths: dict[str, pl.Series] = {}
    texts = text_columns(df)
    for c, values in text_values(df).items():
        chars = values.str.len_chars()
        words = values.str.count_matches(r"\S+")
        lengths[c] = chars
        st.lengths[c] = {f"chars_{k}": v for k, v in _percentiles(chars).items()} | {
            f"words_{k}": v for k, v in _percentiles(words).items()
        }
    if "language" in df.columns and df["language"].dtype == pl.String:
        counts = df["language"].fill_null("?").value_counts(sort=True)
        st.languages = {str(lang): round(n / df.height, 4) for lang, n in counts.iter_rows()}
    elif language_configs and df.height and (langs := config_languages(config)):
        st.languages = {"-".join(langs): 1.0}
    if "origin" in df.columns and df["origin"].dtype == pl.String:
        top = df["origin"].drop_nulls().value_counts(sort=True).head(5)
        st.top_origins = [(str(o), int(n)) for o, n in top.iter_rows()]
    for row in df.head(EXAMPLES).select(texts or df.columns[:3]).iter_rows(named=True):
        st.examples.append({k: _short(v) for k, v in row.items()})
    return st, lengths


def duplicate_share(st: SplitStats, head: pl.DataFrame) -> None:
    """Set ``st``'s duplicate share from ``head``, the split's first rows to check."""
    plain = [c for c in text_columns(head) if head.schema[c] == pl.String]
    if plain:
        st.duplicates_checked = head.height
        dup = duplicate_rows(head.select(plain))
        st.duplicates = round(dup / head.height, 4) if head.height else 0.0


def duplicate_rows(df: pl.DataFrame) -> int:
    """How many rows of ``df`` (string columns; null reads as "") equal an earlier row on
    every column, compared in their normalized form (:func:`mkdata.core.text.normalize`)."""
    # rows are split into groups equal on one column after another, the column whose distinct
    # values are the fewest characters to normalize first: a row alone in its group is no
    # duplicate, and its other columns (long answers, most often) are never normalized
    order = sorted(df.columns, key=lambda c: df[c].unique().str.len_chars().sum())
    groups = [range(df.height)] if df.height > 1 else []
    for column in order:
        if not groups:  # no row equals another on the columns so far
            break
        values = df[column].to_list()
        forms: dict[str, str] = {}  # titles, questions repeat: each value normalized once
        split: list[range | list[int]] = []
        for group in groups:
            by_form: dict[str, list[int]] = {}
            for i in group:
                v = values[i]
                form = (forms.get(v) or forms.setdefault(v, normalize(v))) if v else ""
                by_form.setdefault(form, []).append(i)
            split.extend(g for g in by_form.values() if len(g) > 1)
        groups = split
    return sum(len(g) - 1 for g in groups)


def _short(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= EXAMPLE_CHARS else value[: EXAMPLE_CHARS - 1] + "…"
    if isinstance(value, list):
        return [_short(v) for v in value[:3]] + (["…"] if len(value) > 3 else [])
    return value


def score_distributions(df: pl.DataFrame) -> dict[str, list[float]]:
    """Scores by role: ``positive`` / ``negative`` (training tuples, where the first score is
    the positive's) or ``score`` (bitext margins, labeled pairs)."""
    out: dict[str, list[float]] = {}
    if "scores" in df.columns and df["scores"].dtype in (pl.List(pl.Float64), pl.List(pl.Float32)):
        firsts = df["scores"].list.first().drop_nulls().to_list()
        rest = df["scores"].list.slice(1).explode().drop_nulls().to_list()
        out = {"positive": firsts, "negative": rest}
    elif "pos_scores" in df.columns and "neg_scores" in df.columns:
        out = {
            "positive": df["pos_scores"].explode().drop_nulls().cast(pl.Float64).to_list(),
            "negative": df["neg_scores"].explode().drop_nulls().cast(pl.Float64).to_list(),
        }
    elif "score" in df.columns and df["score"].dtype.is_numeric():
        out = {"score": df["score"].drop_nulls().cast(pl.Float64).to_list()}
    return out


def dataset_stats(
    directory: Path,
    sample_rows: int = 200_000,
    max_rows: int | None = None,
    charts_ready: Callable[[DatasetStats], None] | None = None,
) -> DatasetStats:
    """Statistics of every non-empty config and split of the mkdata dataset ``directory``
    (lengths, languages and examples from the first ``max_rows`` rows of each split when
    given; row counts always whole, from the manifest; duplicates among the first
    ``sample_rows``).

    ``charts_ready`` is called with the statistics once all but the duplicate shares are
    there (all the charts need), so that they can be drawn meanwhile.

    FileNotFoundError when it has no manifest; ValueError (naming the file) when a data file
    cannot be read.
    """
    from mkdata.cards.kinds import kind_of

    directory = Path(directory)
    m = read_manifest(directory)
    kind = kind_of(m)
    out = DatasetStats(str(directory), m.get("record", ""), m.get("command", ""), [])
    chars: dict[str, list[pl.Series]] = {}
    scores: dict[str, list[float]] = {}
    splits_files = list(data_files(directory, m).items())
    for (config, split), files in splits_files:
        df = _read_split(files, max_rows)
        st, lengths = split_stats(config, split, df, kind.language_configs)
        st.rows = m["configs"][config][split]
        out.splits.append(st)
        for c, s in lengths.items():
            chars.setdefault(c, []).append(s)
        for role, values in (score_distributions(df) if kind.key in SCORED else {}).items():
            scores.setdefault(role, []).extend(values)
    out.char_lengths = {c: pl.concat(v).to_numpy() for c, v in chars.items()}
    out.scores = {r: np.asarray(v, np.float64) for r, v in scores.items()}
    if charts_ready is not None:
        charts_ready(out)
    head_rows = sample_rows if max_rows is None else min(sample_rows, max_rows)
    for st, (_, files) in zip(out.splits, splits_files, strict=True):
        duplicate_share(st, _read_split(files, head_rows))  # read again: one split at a time
    return out


def _read_split(files: list[Path], max_rows: int | None) -> pl.DataFrame:
    """:func:`read_frame`, a file that cannot be read named in a ValueError."""
    try:
        return read_frame(files, max_rows)
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ValueError(f"{files[0]}: unreadable ({str(exc).splitlines()[0]})") from None
