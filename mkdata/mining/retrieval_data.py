"""Queries, a corpus and each query's positives, read from any of the inputs `mine negatives`
accepts: an mkdata QA dataset, a BEIR folder, or (query, positive) pairs with an
optional extra corpus.

Texts equal after normalization (``mkdata.core.text``) are one document and one query,
so an answer shared by several questions is a positive of each, and a question asked
twice has the positives of both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from mkdata.core.beir_format import is_beir_dir, read_beir
from mkdata.core.reader import ReadStats, column_names, input_configs, input_files, read_table
from mkdata.core.rules import non_empty
from mkdata.core.text import normalize

QUERY_COLUMNS = (("question", "answer"), ("query", "positive"), ("anchor", "positive"))


@dataclass
class RetrievalSet:
    """One config's retrieval data.

    ``pairs`` are (query index, document index) of the input's positive pairs, in input
    order; ``positives[q]`` are all the document indices that are positives of query q.
    """

    name: str
    query_ids: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    positives: list[list[int]] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)
    _doc_index: dict[str, int] = field(default_factory=dict, repr=False)
    _query_index: dict[str, int] = field(default_factory=dict, repr=False)

    def add_doc(self, doc_id: str, text: str) -> int:
        """Index of the document ``text`` (added unless an equal text is there)."""
        key = normalize(text)
        at = self._doc_index.get(key)
        if at is None:
            at = self._doc_index[key] = len(self.docs)
            self.doc_ids.append(doc_id)
            self.docs.append(text)
        return at

    def add_query(self, query_id: str, text: str) -> int:
        """Index of the query ``text`` (added unless an equal text is there)."""
        key = normalize(text)
        at = self._query_index.get(key)
        if at is None:
            at = self._query_index[key] = len(self.queries)
            self.query_ids.append(query_id)
            self.queries.append(text)
            self.positives.append([])
        return at

    def add_pair(self, q: int, d: int) -> None:
        """Record document ``d`` as a positive of query ``q``."""
        if d not in self.positives[q]:
            self.positives[q].append(d)
            self.pairs.append((q, d))

    def doc_of_text(self, text: str) -> int | None:
        """Index of the document equal to ``text`` after normalization, if any."""
        return self._doc_index.get(normalize(text))


def _frame(table) -> pl.DataFrame:
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df


def load_pairs_sets(inputs: list[Path], corpus: list[Path], stats: ReadStats) -> list[RetrievalSet]:
    """Retrieval sets from QA rows or (query, positive) rows, one per config (or language)."""
    per_config = input_configs(inputs)
    sets = []
    for config, files in per_config.items():
        names = column_names(files[0])
        if not names:
            raise ValueError(f"{files[0]}: empty (no records)")
        qcol, pcol = next((pair for pair in QUERY_COLUMNS if set(pair) <= set(names)), (None, None))
        if qcol is None or pcol is None:
            raise ValueError(
                f"{files[0]}: expected question/answer or query/positive columns "
                f"(columns: {', '.join(names)})"
            )
        df = _frame(read_table(files, [qcol, pcol], ("id", "language"), stats))
        df = non_empty(df, [qcol, pcol], stats.dropped)
        groups = (
            [(config, df)]
            if config != "default" or df["language"].null_count() == df.height
            else [(str(k[0]), g) for k, g in df.group_by("language", maintain_order=True)]
        )
        for name, rows in groups:
            rs = RetrievalSet(name)
            for i, (rid, q, p) in enumerate(rows.select("id", qcol, pcol).iter_rows()):
                row_id = rid if rid is not None else f"{name}-{i}"
                d = rs.add_doc(f"{row_id}", p)
                rs.add_pair(rs.add_query(f"{row_id}", q), d)
            sets.append(rs)
    if corpus:
        extra = _frame(read_table(input_files(corpus), ["text"], ("id", "_id", "language"), stats))
        extra = non_empty(extra, ["text"], stats.dropped)
        for rs in sets:
            rows = extra
            if rs.name != "default" and extra["language"].null_count() < extra.height:
                rows = extra.filter(pl.col("language") == rs.name)
            for i, (rid, bid, text) in enumerate(rows.select("id", "_id", "text").iter_rows()):
                rs.add_doc(rid or bid or f"corpus-{i}", text)
    return sets


def load_beir_set(path: Path, stats: ReadStats, splits: list[str] | None) -> RetrievalSet:
    """The retrieval set of a BEIR folder (qrels of ``splits``, default all, score > 0),
    named after the folder when that is a language code, else ``default``."""
    from mkdata.core.lang import known_languages

    corpus, queries, qrels = read_beir(path, stats)
    # an `export beir` language folder (OUT/beir/deu) keeps its language as the config name
    name = Path(path).resolve().name
    rs = RetrievalSet(name if name in known_languages() else "default")
    by_id: dict[str, int] = {}
    for cid, title, text in _frame(corpus).select("_id", "title", "text").iter_rows():
        if cid is None or not (text or "").strip():
            continue
        by_id[cid] = rs.add_doc(cid, f"{title} {text}".strip() if title else text)
    query_text = {
        qid: text for qid, text in _frame(queries).select("_id", "text").iter_rows() if qid
    }
    chosen = splits or sorted(qrels)
    missing = sorted(set(chosen) - set(qrels))
    if missing:
        raise ValueError(f"{path}: no qrels/{missing[0]}.tsv (have: {', '.join(sorted(qrels))})")
    for split in chosen:
        for qid, cid, score in qrels[split]:
            if score <= 0:
                continue
            if qid not in query_text or cid not in by_id:
                stats.skip(str(path), f"{path}/qrels/{split}.tsv: unknown id {qid!r} or {cid!r}")
                continue
            rs.add_pair(rs.add_query(qid, query_text[qid]), by_id[cid])
    return rs


def load_retrieval_sets(
    inputs: list[Path],
    corpus: list[Path] | None = None,
    qrels_splits: list[str] | None = None,
    stats: ReadStats | None = None,
) -> list[RetrievalSet]:
    """Retrieval sets of ``inputs`` (a BEIR folder, or QA / pair datasets and files).

    ValueError (one line, naming the file) for unreadable or unusable input, and when no
    query with a positive is left.
    """
    stats = stats if stats is not None else ReadStats()
    if len(inputs) == 1 and is_beir_dir(inputs[0]):
        sets = [load_beir_set(inputs[0], stats, qrels_splits)]
    else:
        sets = load_pairs_sets(inputs, list(corpus or []), stats)
    sets = [s for s in sets if s.pairs]
    if not sets:
        raise ValueError(f"{inputs[0]}: no query with a positive")
    return sets
