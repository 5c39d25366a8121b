"""The BEIR folder layout: ``corpus.jsonl`` (_id, title, text), ``queries.jsonl`` (_id, text)
and ``qrels/<split>.tsv`` (query-id, corpus-id, score, with a header)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa

from mkdata.core.atomic import write_text_atomic
from mkdata.core.reader import ReadStats, read_table


def is_beir_dir(path: Path) -> bool:
    """Whether ``path`` is a folder with corpus.jsonl and queries.jsonl."""
    p = Path(path)
    return (p / "corpus.jsonl").is_file() and (p / "queries.jsonl").is_file()


def read_qrels(path: Path) -> list[tuple[str, str, int]]:
    """(query-id, corpus-id, score) rows of a qrels TSV; ValueError names a bad line."""
    rows = []
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.reader(fh, delimiter="\t"), 1):
                if not row or (
                    n == 1 and row[0].strip().lower() in ("query-id", "query_id", "qid")
                ):
                    continue
                if len(row) < 3:
                    raise ValueError(f"{path}:{n}: expected query-id, corpus-id, score")
                try:
                    rows.append((row[0], row[1], int(float(row[2]))))
                except ValueError:
                    raise ValueError(f"{path}:{n}: score {row[2]!r} is not a number") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 ({exc.reason})") from None
    return rows


def read_beir(
    path: Path, stats: ReadStats | None = None
) -> tuple[pa.Table, pa.Table, dict[str, list[tuple[str, str, int]]]]:
    """Corpus (_id, title, text), queries (_id, text) and qrels per split of a BEIR folder."""
    p = Path(path)
    corpus = read_table([p / "corpus.jsonl"], ["_id", "text"], ("title",), stats)
    queries = read_table([p / "queries.jsonl"], ["_id", "text"], (), stats)
    qrels = {f.stem: read_qrels(f) for f in sorted((p / "qrels").glob("*.tsv"))}
    if not qrels:
        raise ValueError(f"{p}: no qrels/<split>.tsv")
    return corpus, queries, qrels


def write_beir(
    path: Path,
    corpus: list[dict[str, str]],
    queries: list[dict[str, str]],
    qrels: dict[str, list[tuple[str, str, int]]],
) -> None:
    """Write a BEIR folder (each file atomically)."""
    p = Path(path)
    (p / "qrels").mkdir(parents=True, exist_ok=True)
    write_text_atomic(
        p / "corpus.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus)
    )
    write_text_atomic(
        p / "queries.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in queries)
    )
    for split, rows in qrels.items():
        body = "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{c}\t{s}\n" for q, c, s in rows)
        write_text_atomic(p / "qrels" / f"{split}.tsv", body)
