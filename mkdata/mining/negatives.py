"""`mkdata mine negatives`: positive-aware hard negatives (NV-Retriever's TopK-PercPos).

For each query, candidates come from dense kNN (faiss), BM25 (bm25s) or both fused by
reciprocal rank; the query's positives, documents equal to a positive or to the query
after normalization, near-copies of a positive, and candidates scoring within the
positive-aware margin of the query's lowest positive are never negatives. Queries are
searched in batches against the corpus index (no query x corpus matrix).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from mkdata.core.embedding_cache import encode_cached
from mkdata.core.encoders import release_encoders
from mkdata.core.reader import ReadStats
from mkdata.core.runner import model_resources, run_units
from mkdata.mining.bm25 import BM25Index, config_language
from mkdata.mining.knn import knn
from mkdata.mining.negatives_config import METHODS, SAMPLING, NegativesConfig  # noqa: F401
from mkdata.mining.retrieval_data import RetrievalSet, load_retrieval_sets
from mkdata.mining.textsim import containment, jaccard, skeleton, trigrams

RRF_K = 60
NEAR_COPY_COSINE = 0.95


@dataclass
class Mined:
    """Negatives of one positive pair: documents by index and their scores."""

    query: int
    positive: int
    positive_score: float
    negatives: list[int]
    scores: list[float]


@dataclass
class SetResult:
    """What mining one retrieval set produced, and the counts of what was skipped."""

    rs: RetrievalSet
    rows: list[Mined]
    counts: dict[str, int]


class _Scorer:
    """Ranked candidates and scores for the queries of one retrieval set."""

    def __init__(self, rs: RetrievalSet, cfg: NegativesConfig, release: bool = False) -> None:
        self.rs = rs
        self.cfg = cfg
        self.q_emb = self.d_emb = None
        # the encoder ranks (dense, hybrid) and, for --candidates without a cross-encoder,
        # is the teacher that scores every candidate
        teacher = cfg.candidates is not None and cfg.cross_encoder is None
        if cfg.method in ("dense", "hybrid") or teacher:
            run = {"executor": cfg.executor, "address": cfg.ray_address}
            self.d_emb = encode_cached(
                cfg.encoder, rs.docs, cfg.workers, **run,
                prompt=cfg.passage_prompt, role="passage",
            )  # fmt: skip
            self.q_emb = encode_cached(
                cfg.encoder, rs.queries, cfg.workers, **run, prompt=cfg.query_prompt, role="query"
            )
        if release:  # nothing is encoded after this: the model's memory goes back now
            release_encoders()
        self.bm25 = BM25Index(rs.docs, config_language(rs.name)) if cfg.method != "dense" else None
        self.cross = cfg.cross_encoder  # scored in units on the runner (Ray: a GPU actor)
        self._cross_scores: dict[tuple[int, int], float] = {}

    def candidates(self, queries: list[int], k: int) -> list[list[int]]:
        """Top-k documents per query, best first, under the configured method."""
        texts = [self.rs.queries[q] for q in queries]
        if self.cfg.method == "bm25" or self.q_emb is None:
            assert self.bm25 is not None
            return self.bm25.search(texts, k)[1].tolist()
        assert self.q_emb is not None and self.d_emb is not None
        dense = knn(self.q_emb[queries], self.d_emb, k)[1].tolist()
        if self.cfg.method == "dense":
            return dense
        assert self.bm25 is not None
        sparse = self.bm25.search(texts, k)[1].tolist()
        fused = []
        for a, b in zip(dense, sparse, strict=True):
            score: dict[int, float] = {}
            for ranking in (a, b):
                for rank, d in enumerate(ranking):
                    score[d] = score.get(d, 0.0) + 1.0 / (RRF_K + rank + 1)
            fused.append(sorted(score, key=lambda d: (-score[d], d))[:k])
        return fused

    def scores(self, q: int, docs: list[int]) -> np.ndarray:
        """Scores of documents for query q used by the margins: cross-encoder if given,
        else cosine (dense, hybrid) or BM25."""
        if not docs:
            return np.zeros(0, np.float32)
        if self.cross is not None:
            return np.asarray([self._cross_scores[(q, d)] for d in docs], np.float32)
        if self.q_emb is not None and self.d_emb is not None:
            return self.d_emb[docs] @ self.q_emb[q]
        assert self.bm25 is not None
        return self.bm25.scores_of(self.rs.queries[q], docs)

    def prefetch(self, pairs: list[tuple[int, int]]) -> None:
        """Cross-encoder scores of (query, document) ``pairs``, as one unit on the runner
        (a Ray actor holding the model, with its declared GPU, under ``--executor ray``)."""
        if self.cross is None:
            return
        todo = [p for p in dict.fromkeys(pairs) if p not in self._cross_scores]
        if not todo:
            return
        texts = [(self.rs.queries[q], self.rs.docs[d]) for q, d in todo]
        unit = [(self.cross, texts)]
        resources = model_resources("MKDATA_ENCODER_GPUS")
        cfg = self.cfg
        for _, scores in run_units(
            cross_scores, unit, 1, cfg.executor, cfg.ray_address, resources, actors=True
        ):
            self._cross_scores.update(zip(todo, scores.tolist(), strict=True))


@lru_cache(maxsize=1)
def _cross_encoder(spec: str):
    from sentence_transformers import CrossEncoder

    return CrossEncoder(spec.removeprefix("st:"))


def cross_scores(spec: str, pairs: list[tuple[str, str]]) -> np.ndarray:
    """The cross-encoder ``spec``'s scores of (query, document) text pairs (model loaded once
    per process)."""
    model = _cross_encoder(spec)
    return np.asarray(model.predict(pairs, show_progress_bar=False), np.float32)


def _pairs_by_query(rs: RetrievalSet) -> dict[int, list[int]]:
    """Each query's positive documents in input order, queries in order of first pair."""
    by_query: dict[int, list[int]] = {}
    for q, d in rs.pairs:
        by_query.setdefault(q, []).append(d)
    return by_query


def _in_pair_order(rows: list[Mined], rs: RetrievalSet) -> list[Mined]:
    """``rows`` sorted as their (query, positive) pairs are in the input."""
    order = {pair: i for i, pair in enumerate(rs.pairs)}
    return sorted(rows, key=lambda m: order[(m.query, m.positive)])


MIN_TRIGRAMS = 5  # below this, containment is too easy; compare whole sets instead


def _near_copy(
    grams: set[str], skel: str, positives: list[set[str]], pos_skel: set[str], threshold: float
) -> bool:
    """A near-copy of a positive: same skeleton, or that much of the smaller trigram set is
    in the other (containment catches truncated and extended copies)."""
    if skel in pos_skel:
        return True
    for p in positives:
        small = min(len(grams), len(p))
        share = containment(grams, p) if small >= MIN_TRIGRAMS else jaccard(grams, p)
        if share >= threshold:
            return True
    return False


def mine_set(
    rs: RetrievalSet, cfg: NegativesConfig, batch: int = 1024, release: bool = False
) -> SetResult:
    """Mine negatives for every positive pair of ``rs``; ``release`` drops the encoder once
    the set's texts are encoded (for the last set: the search then runs without it)."""
    scorer = _Scorer(rs, cfg, release)
    if cfg.candidates is not None:
        return _candidates_set(rs, cfg, scorer, batch)
    max_pos = max(len(p) for p in rs.positives)
    k = min(len(rs.docs), cfg.range_max + max_pos)
    counts = {
        "pairs": len(rs.pairs), "complete": 0, "incomplete": 0, "positive": 0, "query_text": 0,
        "near_copy": 0, "margin": 0, "max_score": 0,
    }  # fmt: skip
    by_query = _pairs_by_query(rs)
    queries = list(by_query)
    rows: list[Mined] = []
    gram_cache: dict[int, set[str]] = {}
    for s in range(0, len(queries), batch):
        chunk = queries[s : s + batch]
        rankings = scorer.candidates(chunk, k)
        scorer.prefetch(
            [(q, d) for q, ranked in zip(chunk, rankings, strict=True)
             for d in (*rs.positives[q], *ranked)]
        )  # fmt: skip
        for q, ranked in zip(chunk, rankings, strict=True):
            positives = rs.positives[q]
            pos_scores = scorer.scores(q, positives)
            floor = float(pos_scores.min())
            pos_grams = [trigrams(rs.docs[p]) for p in positives]
            pos_skel = {skeleton(rs.docs[p]) for p in positives}
            q_grams, q_skel = trigrams(rs.queries[q]), skeleton(rs.queries[q])
            pool = [d for d in ranked if d not in positives]
            counts["positive"] += len(ranked) - len(pool)
            cand_scores = scorer.scores(q, pool)
            if scorer.cross is not None:
                order = np.argsort(-cand_scores, kind="stable")
                pool, cand_scores = [pool[i] for i in order], cand_scores[order]
            # as sentence-transformers: filter, then skip the first range_min valid candidates
            wanted = cfg.range_min + cfg.num_negatives if cfg.sampling == "top" else cfg.range_max
            valid: list[tuple[int, float]] = []
            for d, sc in zip(pool, cand_scores.tolist(), strict=True):
                if (cfg.absolute_margin is not None and floor - sc < cfg.absolute_margin) or (
                    cfg.relative_margin is not None
                    and sc > floor - abs(floor) * cfg.relative_margin
                ):
                    counts["margin"] += 1
                    continue
                if cfg.max_score is not None and sc > cfg.max_score:
                    counts["max_score"] += 1
                    continue
                if cfg.near_copy is not None:
                    grams = gram_cache.get(d)
                    if grams is None:
                        grams = gram_cache[d] = trigrams(rs.docs[d])
                    skel = skeleton(rs.docs[d])
                    if skel == q_skel or jaccard(grams, q_grams) >= cfg.near_copy:
                        counts["query_text"] += 1
                        continue
                    if _near_copy(grams, skel, pos_grams, pos_skel, cfg.near_copy) or _dense_copy(
                        scorer, d, positives
                    ):
                        counts["near_copy"] += 1
                        continue
                valid.append((d, sc))
                if len(valid) == wanted:
                    break
            keep = valid[: cfg.range_max][cfg.range_min :]
            if cfg.sampling == "top":
                keep = keep[: cfg.num_negatives]
            elif len(keep) > cfg.num_negatives:
                rng = random.Random(f"{cfg.seed}:{rs.query_ids[q]}")
                keep = [keep[i] for i in sorted(rng.sample(range(len(keep)), cfg.num_negatives))]
            complete = len(keep) == cfg.num_negatives
            for d in by_query[q]:
                counts["complete" if complete else "incomplete"] += 1
                rows.append(
                    Mined(
                        q, d, float(pos_scores[positives.index(d)]),
                        [x for x, _ in keep], [y for _, y in keep],
                    )
                )  # fmt: skip
    return SetResult(rs, _in_pair_order(rows, rs), counts)


def _candidates_set(
    rs: RetrievalSet, cfg: NegativesConfig, scorer: _Scorer, batch: int
) -> SetResult:
    """Distillation rows: per query the first-stage top ``cfg.candidates`` documents that are
    not positives, unfiltered, each with the teacher's score, best teacher score first."""
    assert cfg.candidates is not None
    max_pos = max(len(p) for p in rs.positives)
    k = min(len(rs.docs), cfg.candidates + max_pos)
    counts = {"pairs": len(rs.pairs), "complete": 0, "incomplete": 0, "positive": 0}
    by_query = _pairs_by_query(rs)
    queries = list(by_query)
    rows: list[Mined] = []
    for s in range(0, len(queries), batch):
        chunk = queries[s : s + batch]
        rankings = scorer.candidates(chunk, k)
        pools = []
        for q, ranked in zip(chunk, rankings, strict=True):
            pool = [d for d in ranked if d not in rs.positives[q]]
            counts["positive"] += len(ranked) - len(pool)
            pools.append(pool[: cfg.candidates])
        scorer.prefetch(
            [(q, d) for q, pool in zip(chunk, pools, strict=True)
             for d in (*rs.positives[q], *pool)]
        )  # fmt: skip
        for q, pool in zip(chunk, pools, strict=True):
            positives = rs.positives[q]
            pos_scores = scorer.scores(q, positives)
            cand_scores = scorer.scores(q, pool)
            order = np.argsort(-cand_scores, kind="stable")
            keep = [pool[i] for i in order]
            keep_scores = [float(cand_scores[i]) for i in order]
            complete = len(keep) == cfg.candidates
            for d in by_query[q]:
                counts["complete" if complete else "incomplete"] += 1
                rows.append(Mined(q, d, float(pos_scores[positives.index(d)]), keep, keep_scores))
    return SetResult(rs, _in_pair_order(rows, rs), counts)


def _dense_copy(scorer: _Scorer, d: int, positives: list[int]) -> bool:
    if scorer.d_emb is None:
        return False
    return bool((scorer.d_emb[positives] @ scorer.d_emb[d] >= NEAR_COPY_COSINE).any())


def mine_negatives(
    cfg: NegativesConfig, progress: Callable[[str, dict[str, Any]], None] | None = None
) -> tuple[list[SetResult], ReadStats, float]:
    """Mine every retrieval set of ``cfg.inputs``; return results, read stats and seconds."""
    notify = progress or (lambda event, info: None)
    started = time.perf_counter()
    stats = ReadStats()
    sets = load_retrieval_sets(cfg.inputs, cfg.corpus, cfg.qrels_splits, stats)
    results = []
    for i, rs in enumerate(sets):
        notify("set", {"name": rs.name, "index": i, "total": len(sets), "queries": len(rs.queries)})
        results.append(mine_set(rs, cfg, release=i == len(sets) - 1))
    # the cross-encoder's memory goes back too before the output is built and written
    _cross_encoder.cache_clear()
    release_encoders()
    return results, stats, time.perf_counter() - started
