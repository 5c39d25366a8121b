"""Retrieval benchmarks as `eval retrieval` reads them: every document of the corpus under
its own id (nothing merged), the queries, and the judgements of one split.

A benchmark path is a BEIR folder, an ir_datasets-style folder (``mkdata.core.trec_format``),
an `export beir` output (its ``beir/<lang>/`` and ``trec/<lang>/`` folders), or a folder
of such folders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from mkdata.core.beir_format import is_beir_dir, read_beir
from mkdata.core.reader import ReadStats
from mkdata.core.trec_format import DOCUMENTS, QUERIES, is_trec_dir, qrels_splits, read_qrels


@dataclass
class Benchmark:
    """One config: corpus, queries and ``qrels`` {query-id: {doc-id: relevance}} of a split."""

    name: str
    path: Path
    doc_ids: list[str]
    docs: list[str]
    query_ids: list[str]
    queries: list[str]
    qrels: dict[str, dict[str, int]]
    unknown_queries: int = 0  # judged query ids with no query text
    splits: list[str] = field(default_factory=list)
    skipped: int = 0  # unreadable corpus / query lines left out
    first_problem: str = ""


def find_benchmarks(path: Path) -> list[tuple[str, Path]]:
    """(config name, folder) of every benchmark folder under ``path``; ValueError when none."""
    p = Path(path)
    if is_beir_dir(p) or is_trec_dir(p):
        return [(p.name, p)]
    if not p.is_dir():
        raise ValueError(f"{p}: not a folder")
    found: dict[str, Path] = {}
    for parent in (p / "beir", p / "trec", p):  # an export's BEIR folders win over its TREC ones
        if not parent.is_dir():
            continue
        for sub in sorted(parent.iterdir()):
            if sub.is_dir() and (is_beir_dir(sub) or is_trec_dir(sub)):
                found.setdefault(sub.name, sub)
    if not found:
        raise ValueError(
            f"{p}: no benchmark (a BEIR folder with corpus.jsonl and queries.jsonl, an "
            f"ir_datasets-style folder with {DOCUMENTS} and {QUERIES}, or an export beir output)"
        )
    return sorted(found.items())


def _jsonl_rows(path: Path, id_key: str) -> list[tuple[str, str]]:
    rows = []
    try:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                    text = rec.get("text")
                    if not isinstance(text, str | None):
                        raise TypeError
                    rows.append((str(rec[id_key]), text or ""))
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
                    raise ValueError(
                        f"{path}:{n}: expected a JSON object with {id_key} and a text string"
                    ) from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 ({exc.reason})") from None
    return rows


def load_benchmark(name: str, folder: Path, split: str) -> Benchmark:
    """The benchmark in ``folder`` with the judgements of ``split``; ValueError (naming the
    file) when the split has no judgements or a file is unreadable."""
    stats = ReadStats()
    if is_beir_dir(folder):
        corpus, queries, qrels_rows = read_beir(folder, stats)
        c = pl.from_arrow(corpus)
        q = pl.from_arrow(queries)
        assert isinstance(c, pl.DataFrame) and isinstance(q, pl.DataFrame)
        docs = [
            (str(i), f"{t} {x}".strip() if t else (x or ""))
            for i, t, x in c.select("_id", "title", "text").iter_rows()
            if i is not None
        ]
        query_rows = [(str(i), x or "") for i, x in q.select("_id", "text").iter_rows() if i]
        splits = sorted(qrels_rows)
        if split not in qrels_rows:
            raise ValueError(f"{folder}: no qrels/{split}.tsv (have: {', '.join(splits)})")
        qrels: dict[str, dict[str, int]] = {}
        for qid, did, rel in qrels_rows[split]:
            qrels.setdefault(qid, {})[did] = rel
    else:
        files = qrels_splits(folder)
        splits = sorted(files)
        if split not in files:
            raise ValueError(
                f"{folder}: no qrels.{split}.txt (have: {', '.join(splits) or 'none'})"
            )
        docs = _jsonl_rows(folder / DOCUMENTS, "doc_id")
        query_rows = _jsonl_rows(folder / QUERIES, "query_id")
        try:
            qrels = read_qrels(files[split])
        except UnicodeDecodeError as exc:
            raise ValueError(f"{files[split]}: not UTF-8 ({exc.reason})") from None
    if not docs:
        raise ValueError(f"{folder}: empty corpus (no readable document)")
    judged = {qid for qid, rels in qrels.items() if any(r > 0 for r in rels.values())}
    texts = dict(query_rows)
    kept = [qid for qid in dict.fromkeys(q for q, _ in query_rows) if qid in judged]
    return Benchmark(
        name=name,
        path=folder,
        doc_ids=[d for d, _ in docs],
        docs=[t for _, t in docs],
        query_ids=kept,
        queries=[texts[qid] for qid in kept],
        qrels={qid: qrels[qid] for qid in kept},
        unknown_queries=len(judged - set(texts)),
        splits=splits,
        skipped=sum(stats.skipped.values()),
        first_problem=next(iter(stats.first_problem.values()), ""),
    )
