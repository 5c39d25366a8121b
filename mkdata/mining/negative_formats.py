"""Output formats of `mine negatives`: rows of one retrieval set as an Arrow table (or JSON
Lines records), and the meaning of each column for the dataset card."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from mkdata.mining.negatives_config import FORMATS, JSONL_FORMATS  # noqa: F401

if TYPE_CHECKING:
    from mkdata.mining.negatives import Mined, SetResult


def columns(fmt: str, n: int, with_scores: bool) -> list[tuple[str, str]]:
    """(column, meaning) of format ``fmt`` with ``n`` negatives, for the card."""
    score = [("scores", "score of the positive, then of each negative")] if with_scores else []
    if fmt == "tuples":
        return [
            ("query_id`, `positive_id`, `negative_ids", "ids in the input"),
            ("query", "the query (question)"),
            ("positive", "a positive document (answer)"),
            ("negatives", f"{n} hard negatives, best first"),
            ("scores", "score of the positive, then of each negative"),
        ]
    if fmt == "n-tuple":
        return (
            [("anchor", "the query"), ("positive", "a positive document")]
            + [(f"negative_{i}", f"hard negative {i}") for i in range(1, n + 1)]
            + score
        )
    if fmt == "triplet":
        return [
            ("anchor", "the query"),
            ("positive", "a positive"),
            ("negative", "one hard negative"),
        ] + ([("scores", "[score of the positive, score of the negative]")] if with_scores else [])
    if fmt == "labeled-pair":
        return [
            ("anchor", "the query"),
            ("positive", "a document: the positive, or one of its hard negatives"),
            ("score", "its score")
            if with_scores
            else ("label", "1 for the positive, 0 for a negative"),
        ]
    if fmt == "labeled-list":
        return [
            ("anchor", "the query"),
            ("positive", "the positive, then the negatives"),
            ("scores", "their scores")
            if with_scores
            else ("labels", "1 for the positive, 0 for each negative"),
        ]
    return [
        ("query", "the query"),
        ("pos", "all positives of the query"),
        ("neg", "hard negatives"),
        ("pos_scores`, `neg_scores", "their scores"),
        ("prompt`, `type", "FlagEmbedding's instruction and data type (when set)"),
    ]


def _complete(result: SetResult, n: int) -> list[Mined]:
    return [m for m in result.rows if len(m.negatives) == n]


def to_table(result: SetResult, fmt: str, n: int, with_scores: bool) -> pa.Table:
    """The complete rows of ``result`` in a parquet format."""
    rs = result.rs
    rows = _complete(result, n)
    data: dict[str, Any]
    if fmt == "tuples":
        data = {
            "query_id": [rs.query_ids[m.query] for m in rows],
            "query": [rs.queries[m.query] for m in rows],
            "positive_id": [rs.doc_ids[m.positive] for m in rows],
            "positive": [rs.docs[m.positive] for m in rows],
            "negative_ids": [[rs.doc_ids[d] for d in m.negatives] for m in rows],
            "negatives": [[rs.docs[d] for d in m.negatives] for m in rows],
            "scores": [[m.positive_score, *m.scores] for m in rows],
        }
        return pa.table(data).cast(
            pa.schema(
                [
                    ("query_id", pa.string()),
                    ("query", pa.string()),
                    ("positive_id", pa.string()),
                    ("positive", pa.string()),
                    ("negative_ids", pa.list_(pa.string())),
                    ("negatives", pa.list_(pa.string())),
                    ("scores", pa.list_(pa.float32())),
                ]
            )
        )
    # the layouts (columns, order, types) of sentence-transformers' mine_hard_negatives
    scores = pa.list_(pa.float64())
    anchors = [rs.queries[m.query] for m in rows]
    positives = [rs.docs[m.positive] for m in rows]
    if fmt == "n-tuple":
        data = {"anchor": anchors, "positive": positives}
        for i in range(n):
            data[f"negative_{i + 1}"] = [rs.docs[m.negatives[i]] for m in rows]
        if with_scores:
            data["scores"] = pa.array([[m.positive_score, *m.scores] for m in rows], scores)
        return pa.table(data)
    if fmt == "triplet":
        data = {
            "anchor": [rs.queries[m.query] for m in rows for _ in m.negatives],
            "positive": [rs.docs[m.positive] for m in rows for _ in m.negatives],
            "negative": [rs.docs[d] for m in rows for d in m.negatives],
        }
        if with_scores:  # [positive, negative]: what MarginMSELoss reads as its target
            pairs = [[m.positive_score, s] for m in rows for s in m.scores]
            data["scores"] = pa.array(pairs, scores)
        return pa.table(data)
    if fmt == "labeled-pair":
        docs, values = [], []
        for m in rows:
            docs += [rs.docs[m.positive], *(rs.docs[d] for d in m.negatives)]
            values += [m.positive_score, *m.scores] if with_scores else [1] + [0] * len(m.negatives)
        data = {
            "anchor": [rs.queries[m.query] for m in rows for _ in range(1 + len(m.negatives))],
            "positive": docs,
        }
        if with_scores:
            data["score"] = pa.array(values, pa.float64())
        else:
            data["label"] = pa.array(values, pa.int64())
        return pa.table(data)
    data = {
        "anchor": anchors,
        "positive": [[rs.docs[m.positive]] + [rs.docs[d] for d in m.negatives] for m in rows],
    }
    if with_scores:  # scores replace labels, as listwise cross-encoder losses expect
        data["scores"] = pa.array([[m.positive_score, *m.scores] for m in rows], scores)
    else:
        data["labels"] = pa.array(
            [[1] + [0] * len(m.negatives) for m in rows], pa.list_(pa.int64())
        )
    return pa.table(data)


def to_flag_records(
    result: SetResult, n: int, prompt: str | None = None, type_: str | None = None
) -> list[dict[str, Any]]:
    """FlagEmbedding records, one per query with complete negatives (all its positives), with
    the optional ``prompt`` and ``type`` fields its fine-tuning data reads."""
    rs = result.rs
    out: dict[int, dict[str, Any]] = {}
    extra = {k: v for k, v in (("prompt", prompt), ("type", type_)) if v is not None}
    for m in _complete(result, n):
        rec = out.setdefault(
            m.query,
            {
                "query": rs.queries[m.query],
                "pos": [],
                "neg": [rs.docs[d] for d in m.negatives],
                "pos_scores": [],
                "neg_scores": [round(s, 6) for s in m.scores],
                **extra,
            },
        )
        rec["pos"].append(rs.docs[m.positive])
        rec["pos_scores"].append(round(m.positive_score, 6))
    return list(out.values())


def incomplete_records(result: SetResult, n: int) -> list[dict[str, Any]]:
    """The rows that did not get ``n`` negatives, with what they got (the rejects file)."""
    rs = result.rs
    return [
        {
            "query_id": rs.query_ids[m.query],
            "query": rs.queries[m.query],
            "positive_id": rs.doc_ids[m.positive],
            "positive": rs.docs[m.positive],
            "negatives": [rs.docs[d] for d in m.negatives],
            "reason": f"only {len(m.negatives)} of {n} negatives passed the filters",
        }
        for m in result.rows
        if len(m.negatives) != n
    ]
