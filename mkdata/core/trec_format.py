"""TREC files and the ir_datasets-style folder layout.

qrels: ``query-id 0 doc-id relevance`` per line; a run: ``query-id Q0 doc-id rank score tag``
per line, ranks from 1, best first. The folder layout (one per language) that
ir_datasets' custom-dataset loaders and WebFAQ 2.0's archives use:
``documents.jsonl`` (``doc_id``, ``text``), ``queries.jsonl`` (``query_id``, ``text``),
``qrels.<split>.txt`` and optional ``runs/<name>.trec``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path

from mkdata.core.atomic import write_text_atomic

DOCUMENTS = "documents.jsonl"
QUERIES = "queries.jsonl"


def _check_id(value: str, what: str) -> str:
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"{what} {value!r}: TREC ids cannot be empty or contain whitespace")
    return value


def qrels_text(rows: Iterable[tuple[str, str, int]]) -> str:
    """(query-id, doc-id, relevance) rows as TREC qrels lines."""
    return "".join(
        f"{_check_id(q, 'query id')} 0 {_check_id(d, 'document id')} {int(r)}\n" for q, d, r in rows
    )


def run_text(ranked: dict[str, list[tuple[str, float]]], tag: str) -> str:
    """Per query id, (doc-id, score) best first, as TREC run lines tagged ``tag``."""
    lines = []
    for q, docs in ranked.items():
        for rank, (d, score) in enumerate(docs, 1):
            if not math.isfinite(score):
                raise ValueError(f"query {q!r}, document {d!r}: score {score} is not finite")
            lines.append(f"{_check_id(q, 'query id')} Q0 {_check_id(d, 'document id')} "
                         f"{rank} {score:.6f} {tag}\n")  # fmt: skip
    return "".join(lines)


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """{query-id: {doc-id: relevance}} of a TREC qrels file; ValueError names a bad line."""
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 4:
                raise ValueError(f"{path}:{n}: expected `query-id 0 doc-id relevance`")
            try:
                qrels.setdefault(parts[0], {})[parts[2]] = int(float(parts[3]))
            except ValueError:
                raise ValueError(f"{path}:{n}: relevance {parts[3]!r} is not a number") from None
    return qrels


def is_trec_dir(path: Path) -> bool:
    """Whether ``path`` is a folder in the ir_datasets-style layout."""
    p = Path(path)
    return (p / DOCUMENTS).is_file() and (p / QUERIES).is_file()


def qrels_splits(path: Path) -> dict[str, Path]:
    """{split: qrels file} of an ir_datasets-style folder."""
    return {f.name[len("qrels.") : -len(".txt")]: f for f in sorted(Path(path).glob("qrels.*.txt"))}


def write_trec_dir(
    path: Path,
    corpus: list[dict[str, str]],
    queries: list[dict[str, str]],
    qrels: dict[str, list[tuple[str, str, int]]],
) -> None:
    """Write one language's ir_datasets-style folder from BEIR-shaped rows (each file
    atomically); splits without judgements get no qrels file."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    docs = "".join(
        json.dumps({"doc_id": _check_id(r["_id"], "document id"), "text": r["text"]},
                   ensure_ascii=False) + "\n"
        for r in corpus
    )  # fmt: skip
    write_text_atomic(p / DOCUMENTS, docs)
    qs = "".join(
        json.dumps({"query_id": _check_id(r["_id"], "query id"), "text": r["text"]},
                   ensure_ascii=False) + "\n"
        for r in queries
    )  # fmt: skip
    write_text_atomic(p / QUERIES, qs)
    for split, rows in qrels.items():
        if rows:
            write_text_atomic(p / f"qrels.{split}.txt", qrels_text(rows))
