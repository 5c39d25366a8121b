"""`mkdata eval retrieval`: a retriever scored on a retrieval benchmark, per config.

The retriever is BM25 (bm25s, with the tokenisation `mine negatives` uses) or a sentence
encoder with exact inner-product search (faiss / numpy, on L2-normalized vectors).
Metrics come from trec_eval through pytrec-eval: nDCG@10, MRR@10 (reciprocal rank on the
top 10), Recall@100, and any other trec_eval measure asked for, averaged over the queries
of the split that have a relevant document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mkdata.core.embedding_cache import encode_cached
from mkdata.evaluation.benchmark import Benchmark, find_benchmarks, load_benchmark
from mkdata.evaluation.retrieval_config import HEADLINE, RetrievalEvalConfig
from mkdata.mining.bm25 import BM25Index, config_language
from mkdata.mining.knn import knn

Run = dict[str, dict[str, float]]


@dataclass
class ConfigScores:
    """The scores of one config: its name, encoder, queries scored and metric means."""

    config: str
    encoder: str
    split: str
    queries: int
    corpus: int
    metrics: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: v for k, v in d.items() if k != "metrics"} | self.metrics


def retrieve(bench: Benchmark, cfg: RetrievalEvalConfig) -> Run:
    """The top ``cfg.depth`` documents of each query with their scores."""
    if not bench.queries or not bench.docs:
        return {}
    k = min(cfg.depth + (1 if cfg.ignore_identical_ids else 0), len(bench.docs))
    if cfg.encoder == "bm25":
        scores, ids = BM25Index(bench.docs, config_language(bench.name)).search(bench.queries, k)
    else:
        d = encode_cached(cfg.encoder, bench.docs, cfg.workers, prompt=cfg.passage_prompt,
                          role="passage")  # fmt: skip
        q = encode_cached(cfg.encoder, bench.queries, cfg.workers, prompt=cfg.query_prompt,
                          role="query")  # fmt: skip
        scores, ids = knn(q, d, k)
    run: Run = {}
    for qid, row_scores, row_ids in zip(
        bench.query_ids, scores.tolist(), ids.tolist(), strict=True
    ):
        docs = {}
        for s, i in zip(row_scores, row_ids, strict=True):
            did = bench.doc_ids[i]
            if cfg.ignore_identical_ids and did == qid:
                continue
            docs.setdefault(did, float(s))
        run[qid] = dict(list(docs.items())[: cfg.depth])
    return run


def _top(run: Run, k: int) -> Run:
    """Each query's top ``k`` in trec_eval's order: score descending, ties by doc id
    descending (so a truncated run ranks exactly as trec_eval ranks the full one)."""
    return {
        q: dict(sorted(d.items(), key=lambda x: (x[1], x[0]), reverse=True)[:k])
        for q, d in run.items()
    }


def score_run(
    qrels: dict[str, dict[str, int]], run: Run, extra: list[str]
) -> tuple[dict[str, float], int]:
    """Mean of each metric over the judged queries (a query with no retrieved document scores
    0), and how many queries that is."""
    import pytrec_eval

    qrels = {q: rels for q, rels in qrels.items() if any(r > 0 for r in rels.values())}
    if not qrels:
        return {}, 0
    wanted: dict[str, tuple[str, int | None]] = dict(HEADLINE)
    wanted.update({m: (m, None) for m in extra})
    per_query: dict[str, list[float]] = {name: [] for name in wanted}
    for cut in sorted({c for _, c in wanted.values()}, key=lambda c: c or 0):
        names = [n for n, (_, c) in wanted.items() if c == cut]
        measures = {wanted[n][0] for n in names}
        evaluator = pytrec_eval.RelevanceEvaluator(qrels, measures)
        cut_run = run if cut is None else _top(run, cut)
        results = evaluator.evaluate({q: cut_run.get(q) or {} for q in qrels})
        for name in names:
            key = wanted[name][0].replace(".", "_", 1)
            per_query[name] = [results.get(q, {}).get(key, 0.0) for q in qrels]
    return {n: round(float(np.mean(v)), 6) for n, v in per_query.items()}, len(qrels)


def run_eval_retrieval(
    cfg: RetrievalEvalConfig, progress: Callable[[str, dict[str, Any]], None] | None = None
) -> tuple[list[ConfigScores], list[str]]:
    """Scores of every config of ``cfg.bench`` (or those in ``cfg.configs``), and warning
    lines: configs skipped (no judgements for the split), lines left out, judged queries
    without text."""
    notify = progress or (lambda event, info: None)
    found = find_benchmarks(Path(cfg.bench).resolve())
    if cfg.configs:
        names = {n for n, _ in found}
        missing = [c for c in cfg.configs if c not in names]
        if missing:
            raise ValueError(
                f"{cfg.bench}: no config {missing[0]} (have: {', '.join(sorted(names))})"
            )
        found = [(n, p) for n, p in found if n in cfg.configs]
    scores: list[ConfigScores] = []
    skipped: list[str] = []
    for i, (name, folder) in enumerate(found):
        notify("config", {"name": name, "index": i, "total": len(found)})
        try:
            bench = load_benchmark(name, folder, cfg.split)
        except ValueError as exc:
            if len(found) == 1 or "no qrels" not in str(exc):
                raise
            skipped.append(str(exc))
            continue
        if bench.skipped:
            skipped.append(
                f"{folder}: {bench.skipped} unreadable line(s) left out "
                f"(first: {bench.first_problem})"
            )
        if bench.unknown_queries:
            skipped.append(
                f"{folder}: {bench.unknown_queries} judged query id(s) have no query text"
            )
        metrics, n = score_run(bench.qrels, retrieve(bench, cfg), cfg.metrics)
        if n == 0:
            skipped.append(f"{folder}: no query of split {cfg.split} has a relevant document")
            continue
        scores.append(ConfigScores(name, cfg.encoder, cfg.split, n, len(bench.docs), metrics))
    if not scores:
        raise ValueError(f"{cfg.bench}: nothing to evaluate ({'; '.join(skipped)})")
    return scores, skipped
