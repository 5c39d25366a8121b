"""The filters of a SAP run, in order, each counted per query language: generation error,
unparsable answer, length, copied from the passage or an exemplar, language ID, exact and
near duplicates, and round-trip consistency."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from mkdata.core.schema import stable_id
from mkdata.core.text import normalize
from mkdata.synth.filters import clean_query, length_ok, parse_answer, round_trip_misses

if TYPE_CHECKING:
    from mkdata.core.llm import ChatRequest
    from mkdata.synth.prompts import PromptSet
    from mkdata.synth.sap import Passage, SapConfig


def _near_duplicates(queries: list[str], threshold: float) -> set[int]:
    """Indices of queries that nearly repeat an earlier one (MinHash LSH, char 3-grams)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=64)
    dup: set[int] = set()
    for i, q in enumerate(queries):
        s = normalize(q)
        m = MinHash(num_perm=64, seed=1)
        m.update_batch([s[j : j + 3].encode() for j in range(max(1, len(s) - 2))])
        if lsh.query(m):
            dup.add(i)
        else:
            lsh.insert(str(i), m)
    return dup


def filter_rows(
    cfg: SapConfig,
    items: list[tuple[ChatRequest, Passage, str]],
    have: dict[str, dict[str, Any]],
    prompts: PromptSet,
) -> tuple[list[dict[str, Any]], dict[str, Counter[str]]]:
    """Kept rows (schema SAP) and per-language counts of each filter."""
    from mkdata.core.encoders import encoder_languages
    from mkdata.core.lang import in_other_language

    counts: dict[str, Counter[str]] = {lang: Counter() for lang in cfg.langs}
    rows: list[dict[str, Any]] = []
    shown = {
        lang: {normalize(q) for _, _, q in prompts.exemplars(cfg.mode, lang)} for lang in cfg.langs
    }
    for r, p, lang in items:
        c = counts[lang]
        c["input"] += 1
        rec = have.get(r.key)
        if rec is None or rec.get("error"):
            c["generation_error"] += 1
            continue
        parsed = parse_answer(rec["text"])
        if parsed is None:
            c["unparsable"] += 1
            continue
        summary, query = " ".join(parsed[0].split()), clean_query(parsed[1])
        if not length_ok(query, cfg.min_chars, cfg.max_chars):
            c["length"] += 1
            continue
        if normalize(query) and normalize(query) in normalize(p.text):
            c["copied"] += 1
            continue
        if normalize(query) in shown[lang]:  # the model repeated an exemplar's query
            c["copied_exemplar"] += 1
            continue
        rows.append(
            {"id": stable_id(p.id, lang, query), "query": query, "query_language": lang,
             "passage_id": p.id, "passage": p.text, "title": p.title, "passage_language": p.language,
             "summary": summary, "model": cfg.model, "prompt_mode": cfg.mode}
        )  # fmt: skip
    if cfg.lid_filter and rows:
        other = in_other_language([r["query"] for r in rows], [r["query_language"] for r in rows])
        kept = []
        for row, wrong in zip(rows, other, strict=True):
            if wrong:
                counts[row["query_language"]]["language_id"] += 1
            else:
                kept.append(row)
        rows = kept
    kept, seen = [], set()
    for row in rows:
        key = (row["query_language"], normalize(row["query"]))
        if key in seen:
            counts[row["query_language"]]["duplicate"] += 1
            continue
        seen.add(key)
        kept.append(row)
    rows = kept
    for lang in cfg.langs:
        idx = [i for i, r in enumerate(rows) if r["query_language"] == lang]
        for j in _near_duplicates([rows[i]["query"] for i in idx], cfg.near_duplicate):
            rows[idx[j]]["_drop"] = "near_duplicate"
    if cfg.round_trip_k:
        known = encoder_languages(cfg.encoder)
        check = [
            i
            for i, r in enumerate(rows)
            if "_drop" not in r and (known is None or r["query_language"] in known)
        ]
        if check:
            from mkdata.core.embedding_cache import encode_cached

            passages = sorted({r["passage_id"]: r["passage"] for r in rows}.items())
            pos = {pid: n for n, (pid, _) in enumerate(passages)}
            p_emb = encode_cached(cfg.encoder, [t for _, t in passages])
            q_emb = encode_cached(cfg.encoder, [rows[i]["query"] for i in check])
            own = np.array([pos[rows[i]["passage_id"]] for i in check])
            for i, miss in zip(
                check, round_trip_misses(q_emb, p_emb, own, cfg.round_trip_k), strict=True
            ):
                if miss:
                    rows[i]["_drop"] = "round_trip"
    final = []
    for row in rows:
        reason = row.pop("_drop", None)
        if reason:
            counts[row["query_language"]][reason] += 1
        else:
            final.append(row)
    for lang, c in counts.items():
        c["kept"] = sum(1 for r in final if r["query_language"] == lang)
    return final, counts
