"""One unit of a QA build: one input file -> normalized, language-identified, filtered rows
in id buckets under the unit's folder, with a ``done.json`` written last."""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from mkdata.builders import filters as F
from mkdata.builders.normalize import CONTROL, dedup_key, normalize_context, normalize_entry
from mkdata.builders.raw_pair import RawPair
from mkdata.core.fetch import FetchError, local_path
from mkdata.core.lang import Prediction, get_identifier
from mkdata.core.language_hints import language_hints
from mkdata.core.manifest import file_checksum
from mkdata.core.report import Report
from mkdata.core.runner import fewer_collections
from mkdata.core.schema import QA_PAIR, origin_of, stable_id
from mkdata.core.units import mark_done

# language, rule broken (None: kept), language score, languages a page hint may give it
Verdict = tuple[str, str | None, float, dict[str, float]]
# control characters found, normalized question and answer, dedup key and its digest
Prepared = tuple[bool, str, str, str, str]
ReadFn = Callable[[Path, Report, str, "int | None"], Iterator[RawPair]]
BATCH = 2048
N_BUCKETS = 16
UNKNOWN_LANG = "und"
LANGUAGE_TAG_MAX = 64  # longer "language tags" are not kept
LID_MAX_CHARS = 400  # language ID reads the first 400 characters of question and answer
SIDE_CACHE_MAX = 50_000  # side predictions kept per unit (cleared when full): <= 20M chars
# raw pairs up to PAIR_CACHE_CHARS long are normalized once per unit (the FAQ of a site
# repeats on its pages); the cache is emptied when it would pass PAIR_CACHE_TOTAL characters
# of raw pairs. An entry holds the raw pair, its normalized form and its key (each about
# as long as the raw pair): <= ~32M chars per worker
PAIR_CACHE_CHARS, PAIR_CACHE_TOTAL = 2000, 8_000_000


# which of the rows equal on language and id a build keeps: the first in this order (the
# unit's bucket writer and the build's merge both apply it)
KEEP_FIRST_BY = ("language", "id", "url", "source")
_group_of = itemgetter(*(QA_PAIR.get_field_index(c) for c in KEEP_FIRST_BY[:2]))
_rank_of = itemgetter(*(QA_PAIR.get_field_index(c) for c in KEEP_FIRST_BY[2:]))

_POLARS_QA_PAIR = {
    f.name: {pa.string(): pl.String, pa.float32(): pl.Float32}[f.type] for f in QA_PAIR
}


class BucketWriter:
    """Rows of one unit, split by the first hex digit of their id into bucket files.

    Rows of the same language and id met before a bucket is flushed are written once: the
    one the build's merge would keep (``KEEP_FIRST_BY``, the first met on a tie); the
    others are counted in ``duplicates`` per language."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.buffers: list[dict[tuple[str, str], tuple[Any, ...]]] = [{} for _ in range(N_BUCKETS)]
        self.writers: list[pq.ParquetWriter | None] = [None] * N_BUCKETS
        self.duplicates: Counter[str] = Counter()

    def _partial(self, b: int) -> Path:
        return self.directory / f".bucket-{b:x}.parquet.partial"

    def offer(self, language: str, row_id: str, url: str, source: str) -> bool:
        """Whether a row of ``language`` and ``row_id`` from ``url`` and ``source`` would be
        kept over the row buffered for them, if any: when not, it is counted as a duplicate
        and need not be built."""
        kept = self.buffers[int(row_id[0], 16)].get((language, row_id))
        if kept is None or (url, source) < _rank_of(kept):
            return True
        self.duplicates[language] += 1
        return False

    def add(self, row: tuple[Any, ...]) -> None:
        """Add one row: the values of the ``QA_PAIR`` columns, in order."""
        group = _group_of(row)  # (language, id)
        b = int(group[1][0], 16)
        buf = self.buffers[b]
        kept = buf.get(group)
        if kept is None:
            buf[group] = row
            if len(buf) >= 8192:
                self._flush(b)
            return
        self.duplicates[group[0]] += 1
        if _rank_of(row) < _rank_of(kept):  # (url, source)
            buf[group] = row

    def _flush(self, b: int) -> None:
        buf = self.buffers[b]
        if not buf:
            return
        if self.writers[b] is None:
            self.writers[b] = pq.ParquetWriter(self._partial(b), QA_PAIR, compression="zstd")
        # through polars: pyarrow's own list conversion imports pandas (0.5 s per process)
        columns = dict(zip(QA_PAIR.names, zip(*buf.values(), strict=True), strict=True))
        table = pl.DataFrame(columns, schema=_POLARS_QA_PAIR).to_arrow().cast(QA_PAIR)
        self.writers[b].write_table(table)  # type: ignore[union-attr]
        self.buffers[b] = {}

    def close(self) -> None:
        for b in range(N_BUCKETS):
            self._flush(b)
            writer = self.writers[b]
            if writer is not None:
                writer.close()
                os.replace(self._partial(b), self.directory / f"bucket-{b:x}.parquet")


def prepare_pair(question: str, answer: str) -> Prepared:
    """(control characters found, normalized question, normalized answer, dedup key, its
    digest) of a raw pair; the key and digest are "" when either side normalizes to
    nothing."""
    had_control = not (question.isprintable() and answer.isprintable()) and bool(
        CONTROL.search(question) or CONTROL.search(answer)
    )
    q, a = normalize_entry(question), normalize_entry(answer)
    if not (q and a):
        return had_control, q, a, "", ""
    key = f"{dedup_key(q)}\x1f{dedup_key(a)}"
    return had_control, q, a, key, stable_id(key)


class PreparedPairs:
    """Raw (question, answer) -> its :func:`prepare_pair` result, the pairs met before kept
    (see PAIR_CACHE_CHARS)."""

    def __init__(self) -> None:
        self.pairs: dict[tuple[str, str], Prepared] = {}
        self.chars = 0

    def get(self, question: str, answer: str) -> Prepared:
        """``prepare_pair(question, answer)``, computed once while the pair is kept."""
        prep = self.pairs.get((question, answer))
        if prep is not None:
            return prep
        prep = prepare_pair(question, answer)
        size = len(question) + len(answer)
        if size <= PAIR_CACHE_CHARS:
            if self.chars + size > PAIR_CACHE_TOTAL:
                self.pairs.clear()
                self.chars = 0
            self.pairs[(question, answer)] = prep
            self.chars += size
        return prep


# the fresh pairs of a batch (raw pair, normalized question and answer, key, digest), and
# its repeats: pairs whose digest the unit met before, in this batch or an earlier one
SplitPairs = list[tuple[RawPair, str, str, str, str]]


def _split_batch(
    batch: list[RawPair], seen: dict[str, Verdict], prepared: PreparedPairs, report: Report
) -> tuple[SplitPairs, SplitPairs]:
    """Normalize one batch of raw pairs (``prepared`` gives each raw pair's
    :func:`prepare_pair` result, met before or not) and split it into fresh pairs and
    repeats. ``seen`` maps the digest of the dedup key of every (question, answer) met so far
    in the unit (32 hex digits, whatever the texts' length) to its verdict; a fresh pair's
    digest is entered here, its verdict set by :func:`_write_batch`. Pairs that normalize to
    nothing are counted and dropped."""
    fresh: SplitPairs = []
    repeats: SplitPairs = []
    for raw in batch:
        had_control, q, a, key, digest = prepared.get(raw.question, raw.answer)
        if had_control:
            report.counts["control_characters_removed"] += 1
        if not key:
            report.filters[UNKNOWN_LANG]["input"] += 1
            report.filters[UNKNOWN_LANG][F.EMPTY] += 1
            continue
        if digest in seen:
            repeats.append((raw, q, a, key, digest))
        else:
            seen[digest] = (UNKNOWN_LANG, None, 0.0, {})
            fresh.append((raw, q, a, key, digest))
    return fresh, repeats


# per fresh pair: its joint prediction, and its question's and answer's (NO_PREDICTION where
# no language rule reads them)
Identified = list[tuple[Prediction, Prediction, Prediction]]


def _identify(
    cut: list[tuple[str, str]],
    text_rules: list[str | None],
    cfg: F.QAFilterConfig,
    sides: dict[str, Prediction],
) -> Identified:
    """Language ID of a batch's fresh pairs, as ``cut`` (question, answer) to
    ``LID_MAX_CHARS``: the joint text of each, then each question and answer a language rule
    reads (the pairs no text rule dropped, see ``F.reads_sides``). ``sides`` caches the
    predictions of single questions and answers (texts repeat across pages); only this
    function touches it."""
    identifier, k = get_identifier(), max(3, cfg.lang_agree_k)
    joints = identifier.predict([f"{q} {a}" for q, a in cut], k=k)
    reads = [r is None and F.reads_sides(j, cfg) for r, j in zip(text_rules, joints, strict=True)]
    if len(sides) > SIDE_CACHE_MAX:
        sides.clear()
    missing = list(
        {
            t: None
            for (q, a), r in zip(cut, reads, strict=True)
            if r
            for t in (q, a)
            if t not in sides
        }
    )
    sides.update(zip(missing, identifier.predict(missing, k=k), strict=True))
    none = F.NO_PREDICTION
    return [
        (joint, sides[q], sides[a]) if read else (joint, none, none)
        for (q, a), joint, read in zip(cut, joints, reads, strict=True)
    ]


def _write_batch(
    fresh: SplitPairs,
    repeats: SplitPairs,
    text_rules: list[str | None],
    identified: Identified,
    label: str,
    cfg: F.QAFilterConfig,
    seen: dict[str, Verdict],
    report: Report,
    writer: BucketWriter,
) -> None:
    """Decide and write one batch: each fresh pair's verdict (language, rule broken or None,
    language score, the languages a page hint may give it) from its text rule and language
    ID, kept in ``seen``; a repeat gets its first occurrence's verdict and its own page's
    language hints. Repeats that pass go to the writer too (same id for the same language),
    which keeps the copy with the smallest URL, as the build's merge does."""
    for (raw, q, a, key, digest), rule, (joint, qp, ap) in zip(
        fresh, text_rules, identified, strict=True
    ):
        rule = rule or F.language_rule(joint, qp, ap, cfg)
        hintable = rule in (F.LANG_LOW_SCORE, F.LANG_MISMATCH)
        candidates = F.hint_candidates(joint, qp, ap, cfg) if hintable else {}
        seen[digest] = (joint.lang, rule, round(joint.score, 4), candidates)
        _count_and_write(raw, q, a, key, seen[digest], label, report, writer)
    for raw, q, a, key, digest in repeats:
        _count_and_write(raw, q, a, key, seen[digest], label, report, writer)


def _language_tag(value: str) -> str:
    """A declared language tag as written, or "" when it is not one (too long, spaces)."""
    tag = value.strip()
    return tag if len(tag) <= LANGUAGE_TAG_MAX and " " not in tag else ""


def _count_and_write(
    raw: RawPair,
    q: str,
    a: str,
    key: str,
    verdict: Verdict,
    label: str,
    report: Report,
    writer: BucketWriter,
) -> None:
    lang, rule, score, candidates = verdict
    if candidates:  # dropped by the language rules, and a page hint could place it
        hinted = F.hinted_language(candidates, language_hints(raw.url, raw.page_language))
        if hinted is not None:
            (lang, score), rule = (hinted[0], round(hinted[1], 4)), None
            report.counts["language_by_hint"] += 1
            report.counts[f"language_by_hint:{lang}"] += 1
    counts = report.filters[lang]
    counts["input"] += 1
    if rule:
        counts[rule] += 1
        return
    counts["passed"] += 1
    row_id = stable_id(lang, key)
    if not writer.offer(lang, row_id, raw.url, label):
        return
    writer.add(
        (
            row_id,
            origin_of(raw.url),
            raw.url,
            lang,
            score,
            q,
            a,
            label,
            normalize_context(raw.title, raw.context_is_html),
            normalize_context(raw.description, raw.context_is_html),
            _language_tag(raw.page_language),
        )
    )


def process_unit(
    read: ReadFn,
    label: str,
    spec: str,
    unit_dir: str,
    cfg: F.QAFilterConfig,
    limit: int | None,
    cache_dir: str | None,
) -> dict[str, Any]:
    """Process one input (file or URL) into bucket files under ``unit_dir``.

    Returns (and writes to ``unit_dir/done.json``) a dict with the unit's report
    and input facts. A unit whose input fails part-way keeps the rows read so far
    and carries the error in its report.
    """
    directory = Path(unit_dir)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    report = Report()
    started = time.perf_counter()
    info: dict[str, Any] = {"source": spec}
    try:
        path = local_path(spec, Path(cache_dir) if cache_dir else None)
    except (FetchError, OSError) as exc:
        report.error = f"{spec}: {exc}"
        report.problem("fetch_failed", spec, str(exc))
        return _finish_unit(directory, report, info, started)
    writer = BucketWriter(directory)
    seen: dict[str, Verdict] = {}
    sides: dict[str, Prediction] = {}
    prepared = PreparedPairs()
    # a batch is normalized and split here while language ID runs on the batch before it
    # in a thread (the predictor releases the GIL), then decided and written here
    identify = ThreadPoolExecutor(1, thread_name_prefix="mkdata-lid")
    waiting: tuple[SplitPairs, SplitPairs, list[str | None], Future[Identified]] | None = None

    def take(batch: list[RawPair]) -> None:
        nonlocal waiting
        fresh, repeats = _split_batch(batch, seen, prepared, report)
        text_rules = [F.text_rule(q, a, cfg) for _, q, a, _, _ in fresh]
        cut = [(q[:LID_MAX_CHARS], a[:LID_MAX_CHARS]) for _, q, a, _, _ in fresh]
        ahead = (
            fresh,
            repeats,
            text_rules,
            identify.submit(_identify, cut, text_rules, cfg, sides),
        )
        finish()
        waiting = ahead

    def finish() -> None:
        nonlocal waiting
        if waiting is not None:
            fresh, repeats, text_rules, identified = waiting
            waiting = None
            _write_batch(
                fresh, repeats, text_rules, identified.result(), label, cfg, seen, report, writer
            )

    try:
        with fewer_collections():
            batch: list[RawPair] = []
            for raw in _until_read_error(read(path, report, spec, limit), report, spec):
                report.counts["raw_pairs"] += 1
                batch.append(raw)
                if len(batch) >= BATCH:
                    take(batch)
                    batch = []
            if batch:  # the pairs read before the end, or before a read error
                take(batch)
            finish()
            writer.close()
    finally:  # after a failure, no language ID for a batch that is not written
        identify.shutdown(cancel_futures=True)
    for lang, n in writer.duplicates.items():
        report.filters[lang][F.DUPLICATE] += n
    info["size"] = path.stat().st_size
    info["checksum"] = file_checksum(path)
    return _finish_unit(directory, report, info, started)


def _until_read_error(pairs: Iterator[RawPair], report: Report, spec: str) -> Iterator[RawPair]:
    """``pairs``, ended where the reader fails with an OSError, which becomes the unit's
    error. What fails while the caller handles a pair is not caught here."""
    try:
        yield from pairs
    except OSError as exc:
        report.error = f"{spec}: read error: {exc}"


def _finish_unit(
    directory: Path, report: Report, info: dict[str, Any], started: float
) -> dict[str, Any]:
    info["seconds"] = round(time.perf_counter() - started, 3)
    info["status"] = "failed" if report.error else "done"
    result = {"input": info, "report": report.to_dict()}
    mark_done(directory, result)
    return result
