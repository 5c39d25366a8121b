"""`mkdata export beir`: a QA dataset as a retrieval benchmark, per language.

Corpus = the distinct answers, queries = the distinct questions (equal after
normalization), qrels = which answer(s) each question has. Queries are split into
train and test by site (``--split-by origin``: every origin goes wholly to one split,
so no site is in both) or by query. Written twice: as Hugging Face configs in WebFAQ's
layout (``<lang>-corpus``, ``<lang>-queries``, ``<lang>-qrels`` with train/test), as
classic BEIR folders ``OUT/beir/<lang>/`` that BEIR and MTEB loaders read and, with
``--trec``, as ir_datasets-style folders ``OUT/trec/<lang>/`` with TREC qrels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from mkdata.core.beir_format import write_beir
from mkdata.core.manifest import new_manifest, source_manifest
from mkdata.core.output import OutputRun
from mkdata.core.reader import ReadStats, input_configs, read_table
from mkdata.core.rules import non_empty
from mkdata.core.runner import core_left_free, run_units
from mkdata.core.shards import DATA_DIR, ShardWriter
from mkdata.core.text import normalize
from mkdata.core.trec_format import write_trec_dir
from mkdata.exports.beir_config import SPLITS_BY, BeirExportConfig  # noqa: F401

CORPUS = pa.schema([("_id", pa.string()), ("title", pa.string()), ("text", pa.string())])
QUERIES = pa.schema([("_id", pa.string()), ("text", pa.string())])
QRELS = pa.schema([("query-id", pa.string()), ("corpus-id", pa.string()), ("score", pa.int32())])


@dataclass
class LanguageBenchmark:
    """One language's corpus, queries and qrels per split."""

    corpus: list[dict[str, str]]
    queries: list[dict[str, str]]
    qrels: dict[str, list[tuple[str, str, int]]]
    groups: dict[str, int]  # split -> number of origins (or queries) in it
    split_by: str = "origin"  # what was split: "origin", or "query" (asked, or the fallback)


def build_language(rows: pl.DataFrame, cfg: BeirExportConfig) -> LanguageBenchmark:
    """The benchmark of one language's QA rows (id, origin, question, answer)."""
    docs: dict[str, str] = {}
    corpus: list[dict[str, str]] = []
    queries: dict[str, dict[str, Any]] = {}
    for rid, origin, question, answer in rows.select(
        "id", "origin", "question", "answer"
    ).iter_rows():
        dkey = normalize(answer)
        if dkey not in docs:
            docs[dkey] = f"d-{rid}"
            corpus.append({"_id": docs[dkey], "title": "", "text": answer})
        qkey = normalize(question)
        q = queries.setdefault(
            qkey, {"_id": f"q-{rid}", "text": question, "group": origin or rid, "docs": []}
        )
        if docs[dkey] not in q["docs"]:
            q["docs"].append(docs[dkey])
    total = len(queries)
    want = cfg.test_size if cfg.test_size >= 1 else cfg.test_size * total
    cap = int(cfg.max_test_share * total)
    want = int(min(want, cap))
    split_by = cfg.split_by
    by_group, split_of = _assign(queries, split_by, want, cap, cfg.seed)
    if want > 0 and "test" not in split_of.values() and split_by == "origin":
        # every site is too big for the test share (one site per language, typically):
        # split by query rather than leave the test split empty
        split_by = "query"
        by_group, split_of = _assign(queries, split_by, want, cap, cfg.seed)
    qrels: dict[str, list[tuple[str, str, int]]] = {"train": [], "test": []}
    for key, group in by_group.items():
        for q in group:
            qrels[split_of[key]] += [(q["_id"], d, 1) for d in q["docs"]]
    groups = {s: sum(1 for v in split_of.values() if v == s) for s in ("train", "test")}
    query_rows = [{"_id": q["_id"], "text": q["text"]} for q in queries.values()]
    return LanguageBenchmark(corpus, query_rows, qrels, groups, split_by)


def _assign(
    queries: dict[str, dict[str, Any]], split_by: str, want: int, cap: int, seed: int
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Queries grouped by site (or one group per query) and each group's split: groups in a
    seeded order go to test until ``want`` queries, never past ``cap``."""
    by_group: dict[str, list[dict[str, Any]]] = {}
    for q in queries.values():
        key = q["group"] if split_by == "origin" else q["_id"]
        by_group.setdefault(key, []).append(q)
    order = sorted(by_group)
    random.Random(seed).shuffle(order)
    split_of: dict[str, str] = {}
    in_test = 0
    for key in order:
        size = len(by_group[key])
        if in_test < want and in_test + size <= cap:  # a site too big for test stays in train
            split_of[key] = "test"
            in_test += size
        else:
            split_of[key] = "train"
    return by_group, split_of


def run_export_beir(cfg: BeirExportConfig, progress: Any = None) -> dict[str, Any]:
    """Export ``cfg.input`` (a QA dataset, any input form) to ``cfg.out``; return the manifest."""
    notify = progress or (lambda event, info: None)
    if cfg.out.resolve() == Path(cfg.input).resolve():
        raise ValueError("--out must differ from the input directory")
    shards = input_configs([cfg.input])
    files = [f for fs in shards.values() for f in fs]
    spare = core_left_free(cfg.workers, cfg.executor)  # the card's chart library loads meanwhile
    with OutputRun(cfg.out, "export beir", cfg.overwrite, files, spare) as run:
        tasks = [(lang, files, cfg, run.staging) for lang, files in shards.items()]
        done: dict[str, tuple[dict[str, dict[str, int]], dict[str, Any]]] = {}
        units = run_units(_export_language, tasks, cfg.workers, cfg.executor, cfg.ray_address)
        for task, result in units:
            done[task[0]] = result
            notify("language", {"language": task[0], "index": len(done), "total": len(tasks)})
        configs: dict[str, dict[str, int]] = {}
        split_info: dict[str, Any] = {}
        for lang in shards:
            configs.update(done[lang][0])
            split_info[lang] = done[lang][1]
        m = _manifest(cfg, configs, split_info)
        run.publish(m)
    return m


def _export_language(
    lang: str, files: list[Path], cfg: BeirExportConfig, staging: Path
) -> tuple[dict[str, dict[str, int]], dict[str, Any]]:
    """Write one language's HF configs and BEIR folder under ``staging``; return rows per
    config and split, and the split's query and group counts."""
    stats = ReadStats()
    df = pl.from_arrow(read_table(files, ["question", "answer"], ("id", "origin"), stats))
    assert isinstance(df, pl.DataFrame)
    df = non_empty(df, ["question", "answer"], stats.dropped)
    df = df.with_row_index("n").with_columns(
        pl.coalesce("id", pl.col("n").cast(pl.String)).alias("id")
    )
    bench = build_language(df, cfg)
    configs: dict[str, dict[str, int]] = {}
    qrels = {
        s: [dict(zip(QRELS.names, r, strict=True)) for r in rows] for s, rows in bench.qrels.items()
    }
    for name, schema, splits in (
        ("corpus", CORPUS, {"corpus": bench.corpus}),
        ("queries", QUERIES, {"queries": bench.queries}),
        ("qrels", QRELS, qrels),
    ):
        config = f"{lang}-{name}"
        configs[config] = {}
        for split, records in splits.items():
            writer = ShardWriter(staging / DATA_DIR / config, schema, split=split)
            writer.write(pa.Table.from_pylist(records, schema=schema))
            writer.close()
            configs[config][split] = writer.rows
    write_beir(staging / "beir" / lang, bench.corpus, bench.queries, bench.qrels)
    if cfg.trec:
        write_trec_dir(staging / "trec" / lang, bench.corpus, bench.queries, bench.qrels)
    info = {
        "queries": {s: len({q for q, _, _ in rows}) for s, rows in bench.qrels.items()},
        "groups": bench.groups,
        "split_by": bench.split_by,
        "dropped": dict(stats.dropped),
        "malformed": sum(stats.skipped.values()),
        "malformed_examples": list(stats.first_problem.values())[:5],
    }
    return configs, info


def _manifest(
    cfg: BeirExportConfig, configs: dict[str, dict[str, int]], split_info: dict[str, Any]
) -> dict[str, Any]:
    source = source_manifest([cfg.input])
    m = new_manifest(
        "export beir",
        {"input": str(cfg.input), "test_size": cfg.test_size, "max_test_share": cfg.max_test_share,
         "split_by": cfg.split_by, "seed": cfg.seed, "trec": cfg.trec},
    )  # fmt: skip
    m.update(
        {
            "builder": source.get("builder", ""),
            "record": "beir",
            "inputs": [{"source": str(cfg.input), "manifest": source.get("command", "")}],
            "configs": configs,
            "beir": {"splits": split_info},
            "stages": {"export_beir": {"status": "done"}},
        }
    )
    return m
