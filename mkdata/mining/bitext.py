"""`mkdata mine bitext`: margin-based bitext mining between the languages of a dataset.

Rows (``id``, ``language``, text, optional ``origin``) are embedded once through the
shared embedding cache; each language pair is one resumable unit: candidates by
margin score (``margin.py``), then the threshold and the post-filters, each counted.
Output: one config per pair (``deu-eng``) with the bitext schema.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mkdata.core.embedding_cache import encode_cached
from mkdata.core.encoders import encoder_languages
from mkdata.core.lang import to_iso639_3
from mkdata.core.manifest import file_checksum, new_manifest, source_manifest
from mkdata.core.output import OutputRun
from mkdata.core.reader import ReadStats, column_names, input_files, read_table, text_columns_for
from mkdata.core.schema import origin_of
from mkdata.core.shards import DATA_DIR, ShardWriter
from mkdata.core.units import done_result, file_identity, mark_done, unit_key
from mkdata.mining.bitext_config import BitextConfig, default_threshold, parse_pairs  # noqa: F401
from mkdata.mining.bitext_filters import copies, language_mismatch, length_outliers
from mkdata.mining.margin import mine

FILTERS = ("below_threshold", "copy", "length_ratio", "language_id")

BITEXT = pa.schema(
    [
        pa.field("src_id", pa.string(), nullable=False),
        pa.field("tgt_id", pa.string(), nullable=False),
        pa.field("src_lang", pa.string(), nullable=False),
        pa.field("tgt_lang", pa.string(), nullable=False),
        pa.field("src_text", pa.string(), nullable=False),
        pa.field("tgt_text", pa.string(), nullable=False),
        pa.field("score", pa.float32(), nullable=False),
    ]
)
BITEXT_ORIGIN = BITEXT.append(pa.field("origin", pa.string()))
# QA rows keep each side's question and answer apart, in WebFAQ's bitext layout (what MTEB's
# WebFAQBitextMining tasks read), with mkdata's ids
BITEXT_QA = pa.schema(
    [
        pa.field("src_id", pa.string(), nullable=False),
        pa.field("tgt_id", pa.string(), nullable=False),
        pa.field("language1", pa.string(), nullable=False),
        pa.field("language2", pa.string(), nullable=False),
        pa.field("score", pa.float32(), nullable=False),
        pa.field("question1", pa.string()),
        pa.field("question2", pa.string()),
        pa.field("answer1", pa.string()),
        pa.field("answer2", pa.string()),
    ]
)
BITEXT_QA_ORIGIN = BITEXT_QA.insert(4, pa.field("origin", pa.string()))
QA_COLUMNS = ["question", "answer"]


QA_LAYOUT_COLUMNS = [
    ["src_id`, `tgt_id", "ids of the two rows in the input dataset"],
    ["language1`, `language2", "ISO 639-3 codes of the two sides"],
    ["origin", "`scheme://host` both sides come from (only when mined with `--scope origin`)"],
    ["score", "margin score (see `parameters.margin` in `mkdata.json`); higher is more confident"],
    ["question1`, `answer1", "the first side's question and answer"],
    ["question2`, `answer2", "the second side's question and answer"],
]


@dataclass
class BitextResult:
    """Rows per pair config and the manifest written."""

    out: Path
    configs: dict[str, int]
    manifest: dict[str, Any]


def load_rows(cfg: BitextConfig) -> tuple[pl.DataFrame, dict[str, int], list[Path], list[str]]:
    """Read the input rows as (row, id, language, origin, text[, question, answer]); return
    them, the counts of what was dropped while reading, the files read and the first
    malformed record of each. QA rows (text from question and answer) keep both too."""
    files = input_files(cfg.inputs)
    if not files:
        raise ValueError(f"{cfg.inputs[0]}: no input files")
    columns = text_columns_for(column_names(files[0]), cfg.text_columns, files[0])
    stats = ReadStats()
    table = read_table(files, ["id", "language", *columns], ("origin", "url"), stats)
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    counts = {"read": df.height, "malformed": sum(stats.skipped.values())}
    df = df.with_columns(
        pl.concat_str([pl.col(c) for c in columns], separator="\n", ignore_nulls=True)
        .str.strip_chars()
        .alias("text"),
        pl.col("language").str.strip_chars().str.to_lowercase(),
    )
    codes = {c: to_iso639_3(c) for c in df["language"].drop_nulls().unique().to_list()}
    df = df.with_columns(pl.col("language").replace(codes))
    if cfg.scope == "origin":
        derived = [origin_of(u) if u else None for u in df["url"].to_list()]
        df = df.with_columns(pl.coalesce("origin", pl.Series(derived, dtype=pl.String)))
    bad = pl.col("id").is_null() | pl.col("language").is_null() | (pl.col("language") == "")
    counts["no_id_or_language"] = df.filter(bad).height
    df = df.filter(~bad)
    counts["empty_text"] = df.filter(pl.col("text").fill_null("") == "").height
    df = df.filter(pl.col("text").fill_null("") != "")
    if cfg.scope == "origin":
        counts["no_origin"] = df.filter(pl.col("origin").fill_null("") == "").height
        df = df.filter(pl.col("origin").fill_null("") != "")
    before = df.height
    df = df.unique("id", keep="first", maintain_order=True)
    counts["duplicate_id"] = before - df.height
    qa = [pl.col(c).fill_null("") for c in QA_COLUMNS] if columns == QA_COLUMNS else []
    df = df.select("id", "language", "origin", "text", *qa).with_row_index("row")
    counts["rows"] = df.height
    return df, counts, files, list(stats.first_problem.values())


def resolve_pairs(cfg: BitextConfig, present: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The pairs to mine and the present languages skipped because the encoder lacks them."""
    known = encoder_languages(cfg.encoder)
    if cfg.pairs is None:
        usable = sorted(lang for lang in present if known is None or lang in known)
        skipped = sorted(set(present) - set(usable))
        if len(usable) < 2:
            have = ", ".join(sorted(present)) or "none"
            raise ValueError(
                f"need rows in at least two languages {cfg.encoder} knows; languages present: {have}"
            )
        return list(combinations(usable, 2)), skipped
    for pair in cfg.pairs:
        for lang in pair:
            if known is not None and lang not in known:
                raise ValueError(
                    f"encoder {cfg.encoder} does not know language {lang!r} "
                    f"(it knows: {', '.join(sorted(known))}); use --encoder st:MODEL"
                )
            if lang not in present:
                have = ", ".join(sorted(present)) or "none"
                raise ValueError(f"no rows in language {lang!r} (languages present: {have})")
    return list(cfg.pairs), []


def _unit_key(cfg: BitextConfig, files: list[Path], pair: tuple[str, str], qa_layout: bool) -> str:
    params = {**cfg.key_params(), **({"layout": "qa"} if qa_layout else {})}
    return unit_key([[file_identity(f) for f in files], params, list(pair)])


def _candidates(
    rows_a: pl.DataFrame,
    rows_b: pl.DataFrame,
    emb: np.ndarray,
    cfg: BitextConfig,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mined (row of a, row of b, score) globally or within each origin."""
    a_rows, b_rows = rows_a["row"].to_numpy(), rows_b["row"].to_numpy()
    if cfg.scope == "global":
        src, tgt, score = mine(emb[a_rows], emb[b_rows], cfg.params)
        return a_rows[src], b_rows[tgt], score
    groups_b = {o: g["row"].to_numpy() for (o,), g in rows_b.group_by("origin")}
    out_src, out_tgt, out_score = [], [], []
    for (origin,), group in rows_a.group_by("origin", maintain_order=True):
        b = groups_b.get(origin)
        if b is None:
            continue
        a = group["row"].to_numpy()
        src, tgt, score = mine(emb[a], emb[b], cfg.params)
        out_src.append(a[src])
        out_tgt.append(b[tgt])
        out_score.append(score)
    if not out_src:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return np.concatenate(out_src), np.concatenate(out_tgt), np.concatenate(out_score)


def mine_pair(
    rows: pl.DataFrame, emb: np.ndarray, pair: tuple[str, str], cfg: BitextConfig
) -> tuple[pa.Table, dict[str, int]]:
    """Mine one language pair; return its rows (bitext schema) and per-filter counts."""
    src_lang, tgt_lang = pair
    src, tgt, score = _candidates(
        rows.filter(pl.col("language") == src_lang),
        rows.filter(pl.col("language") == tgt_lang),
        emb,
        cfg,
    )
    counts = {"input": len(src)}
    keep = score >= cfg.score_threshold
    counts["below_threshold"] = int((~keep).sum())
    src, tgt, score = src[keep], tgt[keep], score[keep]
    texts = rows["text"]
    src_text = texts.gather(src).to_list()
    tgt_text = texts.gather(tgt).to_list()
    drops = {
        "copy": copies(src_text, tgt_text, cfg.copy_threshold),
        "length_ratio": length_outliers(src_text, tgt_text, cfg.max_length_ratio),
    }
    if cfg.lid_filter:
        drops["language_id"] = language_mismatch(src_text, src_lang) | language_mismatch(
            tgt_text, tgt_lang
        )
    gone = np.zeros(len(src), dtype=bool)
    for name, mask in drops.items():
        counts[name] = int((mask & ~gone).sum())
        gone |= mask
    idx = np.flatnonzero(~gone)
    counts["kept"] = len(idx)
    data: dict[str, Any] = {
        "src_id": rows["id"].gather(src[idx]).to_list(),
        "tgt_id": rows["id"].gather(tgt[idx]).to_list(),
    }
    if "question" in rows.columns:
        data |= {
            "language1": [src_lang] * len(idx),
            "language2": [tgt_lang] * len(idx),
            "score": score[idx],
            "question1": rows["question"].gather(src[idx]).to_list(),
            "question2": rows["question"].gather(tgt[idx]).to_list(),
            "answer1": rows["answer"].gather(src[idx]).to_list(),
            "answer2": rows["answer"].gather(tgt[idx]).to_list(),
        }
        schema = BITEXT_QA_ORIGIN if cfg.scope == "origin" else BITEXT_QA
    else:
        data |= {
            "src_lang": [src_lang] * len(idx),
            "tgt_lang": [tgt_lang] * len(idx),
            "src_text": [src_text[i] for i in idx.tolist()],
            "tgt_text": [tgt_text[i] for i in idx.tolist()],
            "score": score[idx],
        }
        schema = BITEXT_ORIGIN if cfg.scope == "origin" else BITEXT
    if cfg.scope == "origin":
        data["origin"] = rows["origin"].gather(src[idx]).to_list()
    table = pa.table(data, schema=schema)
    order = pc.sort_indices(
        table, [("score", "descending"), ("src_id", "ascending"), ("tgt_id", "ascending")]
    )
    return table.take(order), counts


def run_bitext(
    cfg: BitextConfig, progress: Callable[[str, dict[str, Any]], None] | None = None
) -> BitextResult:
    """Mine (or resume mining) ``cfg.inputs`` into ``cfg.out``; return rows per pair."""
    notify = progress or (lambda event, info: None)
    started = time.perf_counter()
    rows, read_counts, files, problems = load_rows(cfg)
    present = sorted(rows["language"].unique().to_list())
    pairs, skipped = resolve_pairs(cfg, present)
    wanted = sorted({lang for pair in pairs for lang in pair})
    rows = rows.filter(pl.col("language").is_in(wanted)).drop("row").with_row_index("row")
    texts = rows["text"].to_list()
    notify("encode", {"total": len(texts), "done": 0})
    emb = encode_cached(
        cfg.encoder,
        texts,
        cfg.workers,
        lambda done, total: notify("encode", {"total": total, "done": done}),
        cfg.executor,
        cfg.ray_address,
    )
    with OutputRun(cfg.out, "mine bitext", cfg.overwrite, files) as run:
        state = run.state("bitext")
        configs: dict[str, int] = {}
        filters: dict[str, dict[str, int]] = {}
        for i, pair in enumerate(pairs):
            name = f"{pair[0]}-{pair[1]}"
            notify("pair", {"pair": name, "index": i, "total": len(pairs)})
            unit = state / _unit_key(cfg, files, pair, "question" in rows.columns)
            done = done_result(unit)
            if done is None:
                table, counts = mine_pair(rows, emb, pair, cfg)
                unit.mkdir(parents=True, exist_ok=True)
                pq.write_table(table, unit / "pairs.parquet")
                mark_done(unit, counts)
            else:
                table, counts = pq.read_table(unit / "pairs.parquet"), done
            writer = ShardWriter(run.staging / DATA_DIR / name, table.schema)
            writer.write(table)
            writer.close()
            configs[name] = writer.rows
            filters[name] = counts
        manifest = _manifest(cfg, files, configs, filters, read_counts, problems, skipped, started)
        if "question" in rows.columns:
            manifest["bitext"]["layout"] = "qa"
            manifest["columns"] = QA_LAYOUT_COLUMNS
        run.publish(manifest)
    return BitextResult(cfg.out, configs, manifest)


def _manifest(
    cfg: BitextConfig,
    files: list[Path],
    configs: dict[str, int],
    filters: dict[str, dict[str, int]],
    read_counts: dict[str, int],
    problems: list[str],
    skipped: list[str],
    started: float,
) -> dict[str, Any]:
    source = source_manifest(cfg.inputs)
    params = {
        "inputs": [str(p) for p in cfg.inputs],
        "pairs": "all" if cfg.pairs is None else [f"{a}-{b}" for a, b in cfg.pairs],
        **cfg.key_params(),
        "threshold_source": "given" if cfg.threshold is not None else "default",
    }
    m = new_manifest("mine bitext", params)
    m.update(
        {
            "builder": source.get("builder", ""),
            "record": "bitext",
            "inputs": [
                {"source": str(f.resolve()), "size": f.stat().st_size, "checksum": file_checksum(f)}
                for f in files
            ],
            "configs": {c: {"train": n} for c, n in configs.items()},
            "filters": filters,
            "bitext": {
                "read": read_counts,
                "malformed_examples": problems,
                "skipped_languages": skipped,
            },
            "stages": {"mine_bitext": {"status": "done"}},
            "timings": {"total_seconds": round(time.perf_counter() - started, 3)},
        }
    )
    return m
