"""Parsing SAP answers and the filters on synthetic queries; each returns why a row goes."""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np

_FIELD = re.compile(r'"(summary|query)"\s*:\s*"((?:[^"\\]|\\.)*)"?', re.S)


def parse_answer(text: str) -> tuple[str, str] | None:
    """(summary, query) from a model answer: JSON, JSON inside other text, or the two fields
    of a JSON object cut short (max tokens); None when there is no query."""
    candidates = [text]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for c in candidates:
        try:
            obj = json.loads(c)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and isinstance(obj.get("query"), str):
            return str(obj.get("summary") or ""), obj["query"]
    fields: dict[str, str] = {}
    for name, value in _FIELD.findall(text):
        try:
            fields.setdefault(name, json.loads(f'"{value}"'))
        except json.JSONDecodeError:
            fields.setdefault(name, value)
    if fields.get("query", "").strip():
        return fields.get("summary", ""), fields["query"]
    return None


def clean_query(query: str) -> str:
    """The query on one line, NFC, without surrounding quotes or a 'Query:' label."""
    q = unicodedata.normalize("NFC", " ".join(query.split()))
    q = re.sub(r"^(query|question)\s*(\([^)]*\))?\s*[:：]\s*", "", q, flags=re.I)
    return q.strip(" \"'“”«»")


def length_ok(query: str, min_chars: int, max_chars: int) -> bool:
    """Whether the query length (characters) is within bounds."""
    return min_chars <= len(query) <= max_chars


def round_trip_misses(
    q_emb: np.ndarray, p_emb: np.ndarray, passage_of: np.ndarray, k: int, batch: int = 2048
) -> np.ndarray:
    """Queries whose own passage is not among the k passages most similar to them
    (queries in batches, so memory is bounded by batch x passages)."""
    miss = np.zeros(len(q_emb), dtype=bool)
    for s in range(0, len(q_emb), batch):
        sims = q_emb[s : s + batch] @ p_emb.T
        own = sims[np.arange(len(sims)), passage_of[s : s + batch]]
        miss[s : s + batch] = (sims > own[:, None]).sum(axis=1) >= k
    return miss
