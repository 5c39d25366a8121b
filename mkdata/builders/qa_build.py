"""The shared QA build: raw FAQ pairs -> normalized, filtered, language-identified,
deduplicated per-language parquet shards plus ``mkdata.json``.

Builders differ only in their ``read`` function (source file -> RawPair stream).
Work is split into units, one per input file. Each unit writes its rows into
``OUT/.mkdata/parts/<key>/`` and a ``done.json`` marker last, so a killed run
re-run with the same arguments redoes only unfinished units. The merge step then
deduplicates across units bucket by bucket (memory bounded by one bucket) and
publishes the shards atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from mkdata.atomic import read_json, write_json_atomic
from mkdata.builders import filters as F
from mkdata.builders.normalize import dedup_key, normalize_entry
from mkdata.builders.page_layout import to_page_layout
from mkdata.builders.raw_pair import RawPair
from mkdata.executors import run_units
from mkdata.fetch import FetchError, local_path, source_identity
from mkdata.lang import get_identifier
from mkdata.manifest import file_checksum, new_manifest, write_manifest
from mkdata.report import Report
from mkdata.schema import QA_PAIR, origin_of, stable_id
from mkdata.shards import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, STATE_DIR, ShardWriter, publish

ReadFn = Callable[[Path, Report, str, "int | None"], Iterator[RawPair]]
BATCH = 2048
N_BUCKETS = 16
UNKNOWN_LANG = "und"
LID_MAX_CHARS = 400  # language ID reads the first 400 characters of question and answer


@dataclass
class QABuildConfig:
    """Everything that defines a QA build; equal configs give byte-identical output."""

    builder: str
    sources: list[str]
    out: Path
    langs: list[str] | None = None  # None: every language with at least min_rows rows
    min_rows: int = 10
    workers: int = 1
    executor: str = "local"  # or "ray"
    ray_address: str | None = None
    append: bool = False  # keep the sources of earlier builds into the same out
    limit: int | None = None  # FAQ pages per source, for a quick look
    filters: F.QAFilterConfig = field(default_factory=F.QAFilterConfig)
    max_shard_rows: int = DEFAULT_MAX_ROWS
    max_shard_bytes: int = DEFAULT_MAX_BYTES
    cache_dir: Path | None = None
    layout: str = "flat"  # "flat": one row per QA pair; "page": one row per page (MFAQ)
    params: dict[str, Any] = field(default_factory=dict)  # extra, recorded in the manifest


@dataclass
class BuildResult:
    """Outcome of a build: rows per config, merged report, failed inputs, manifest."""

    out: Path
    configs: dict[str, int]
    report: Report
    failed: list[str]
    manifest: dict[str, Any]

    @property
    def ok(self) -> bool:
        return not self.failed


# ---------------------------------------------------------------- one unit


class _BucketWriter:
    """Rows of one unit, split by the first hex digit of their id into bucket files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.buffers: list[dict[str, list[Any]]] = [self._empty() for _ in range(N_BUCKETS)]
        self.writers: list[pq.ParquetWriter | None] = [None] * N_BUCKETS

    @staticmethod
    def _empty() -> dict[str, list[Any]]:
        return {name: [] for name in QA_PAIR.names}

    def _partial(self, b: int) -> Path:
        return self.directory / f".bucket-{b:x}.parquet.partial"

    def add(self, row: dict[str, Any]) -> None:
        b = int(row["id"][0], 16)
        buf = self.buffers[b]
        for name in QA_PAIR.names:
            buf[name].append(row[name])
        if len(buf["id"]) >= 8192:
            self._flush(b)

    def _flush(self, b: int) -> None:
        buf = self.buffers[b]
        if not buf["id"]:
            return
        if self.writers[b] is None:
            self.writers[b] = pq.ParquetWriter(self._partial(b), QA_PAIR, compression="zstd")
        self.writers[b].write_table(pa.Table.from_pydict(buf, schema=QA_PAIR))  # type: ignore[union-attr]
        self.buffers[b] = self._empty()

    def close(self) -> None:
        for b in range(N_BUCKETS):
            self._flush(b)
            writer = self.writers[b]
            if writer is not None:
                writer.close()
                os.replace(self._partial(b), self.directory / f"bucket-{b:x}.parquet")


def _process_batch(
    batch: list[RawPair],
    label: str,
    cfg: F.QAFilterConfig,
    seen: dict[str, tuple[str, str | None]],
    report: Report,
    writer: _BucketWriter,
) -> None:
    """Normalize, identify language, filter and write one batch of raw pairs.

    ``seen`` maps the dedup key of every (question, answer) met so far in the unit
    to its (language, rule broken or None): a repeated pair is counted like its
    first occurrence (or as a duplicate) without running language ID again.
    """
    fresh: list[tuple[RawPair, str, str, str]] = []
    repeats: list[str] = []
    for raw in batch:
        q, a = normalize_entry(raw.question), normalize_entry(raw.answer)
        if not (q and a):
            report.filters[UNKNOWN_LANG]["input"] += 1
            report.filters[UNKNOWN_LANG][F.EMPTY] += 1
            continue
        key = f"{dedup_key(q)}\x1f{dedup_key(a)}"
        if key in seen:
            repeats.append(key)
        else:
            seen[key] = (UNKNOWN_LANG, None)
            fresh.append((raw, q, a, key))
    texts: list[str] = []
    for _, q, a, _ in fresh:
        q, a = q[:LID_MAX_CHARS], a[:LID_MAX_CHARS]
        texts.extend((f"{q} {a}", q, a))
    preds = iter(get_identifier().predict(texts, k=max(3, cfg.lang_agree_k)))
    for raw, q, a, key in fresh:
        joint, qp, ap = next(preds), next(preds), next(preds)
        lang = joint.lang
        counts = report.filters[lang]
        counts["input"] += 1
        rule = F.text_rule(q, a, cfg) or F.language_rule(joint, qp, ap, cfg)
        seen[key] = (lang, rule)
        if rule:
            counts[rule] += 1
            continue
        counts["passed"] += 1
        writer.add(
            {
                "id": stable_id(lang, key),
                "origin": origin_of(raw.url),
                "url": raw.url,
                "language": lang,
                "language_score": round(joint.score, 4),
                "question": q,
                "answer": a,
                "source": label,
            }
        )
    for key in repeats:
        lang, rule = seen[key]
        report.filters[lang]["input"] += 1
        report.filters[lang][rule or F.DUPLICATE] += 1


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
    writer = _BucketWriter(directory)
    seen: dict[str, tuple[str, str | None]] = {}
    batch: list[RawPair] = []
    try:
        for raw in read(path, report, spec, limit):
            report.counts["raw_pairs"] += 1
            batch.append(raw)
            if len(batch) >= BATCH:
                _process_batch(batch, label, cfg, seen, report, writer)
                batch = []
        if batch:
            _process_batch(batch, label, cfg, seen, report, writer)
    except OSError as exc:
        report.error = f"{spec}: read error: {exc}"
    writer.close()
    info["size"] = path.stat().st_size
    info["checksum"] = file_checksum(path)
    return _finish_unit(directory, report, info, started)


def _finish_unit(
    directory: Path, report: Report, info: dict[str, Any], started: float
) -> dict[str, Any]:
    info["seconds"] = round(time.perf_counter() - started, 3)
    info["status"] = "failed" if report.error else "done"
    result = {"input": info, "report": report.to_dict()}
    write_json_atomic(directory / "done.json", result)
    return result


# ---------------------------------------------------------------- the build


def _unit_key(cfg: QABuildConfig, spec: str) -> str:
    key = json.dumps(
        [cfg.builder, source_identity(spec), cfg.filters.to_dict(), cfg.limit], sort_keys=True
    )
    return hashlib.sha1(key.encode()).hexdigest()[:20]


def _merge(
    unit_dirs: list[Path], cfg: QABuildConfig, report: Report
) -> tuple[dict[str, int], Path]:
    """Deduplicate across units and write per-language shards under a staging dir."""
    staging = cfg.out / STATE_DIR / "staging"
    if staging.exists():
        shutil.rmtree(staging)
    data = staging / "data"
    selected = set(cfg.langs) if cfg.langs else None
    writers: dict[str, ShardWriter] = {}
    for b in range(N_BUCKETS):
        files = [d / f"bucket-{b:x}.parquet" for d in unit_dirs]
        files = [f for f in files if f.exists()]
        if not files:
            continue
        df = pl.concat([pl.read_parquet(f) for f in files], how="vertical")
        df = df.sort(["language", "id", "url", "source"])
        before = df.group_by("language").len()
        df = df.unique(subset=["language", "id"], keep="first", maintain_order=True)
        after = dict(df.group_by("language").len().iter_rows())
        for lang, n in before.iter_rows():
            if n - after.get(lang, 0):
                report.filters[lang][F.DUPLICATE] += n - after.get(lang, 0)
        for (lang,), part in df.partition_by("language", as_dict=True, maintain_order=True).items():
            if selected is not None and lang not in selected:
                report.filters[lang]["not_selected"] += part.height
                continue
            if lang not in writers:
                writers[lang] = ShardWriter(
                    data / lang, QA_PAIR, "train", cfg.max_shard_rows, cfg.max_shard_bytes
                )
            writers[lang].write(part.to_arrow())
    configs: dict[str, int] = {}
    for lang, writer in sorted(writers.items()):
        writer.close()
        if selected is None and writer.rows < cfg.min_rows:
            report.filters[lang]["below_min_rows"] += writer.rows
            shutil.rmtree(data / lang)
            continue
        configs[lang] = writer.rows
        report.filters[lang]["kept"] += writer.rows
    if selected:
        for lang in sorted(selected - set(configs)):
            report.counts[f"missing_language:{lang}"] += 1
    data.mkdir(parents=True, exist_ok=True)
    return configs, data


ProgressFn = Callable[[str, dict[str, Any]], None]


def run_qa_build(
    cfg: QABuildConfig,
    read: ReadFn,
    label: Callable[[str], str],
    progress: ProgressFn | None = None,
) -> BuildResult:
    """Run (or resume) a QA build; return its :class:`BuildResult`.

    ``read`` turns one local source file into RawPairs; ``label`` gives the
    ``source`` column value for a source spec. ``progress(event, info)`` is called
    with ``start`` (total units), ``unit`` (one finished) and ``merge``.
    """
    notify = progress or (lambda event, info: None)
    out = cfg.out
    parts = out / STATE_DIR / "parts"
    parts.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sources = list(cfg.sources)
    if cfg.append:
        earlier = read_json(out / STATE_DIR / SOURCES) or []
        sources = earlier + [s for s in sources if s not in earlier]
    units: list[tuple[str, Path]] = [(spec, parts / _unit_key(cfg, spec)) for spec in sources]
    results: dict[str, dict[str, Any]] = {}
    todo = []
    for spec, unit_dir in units:
        done = read_json(unit_dir / "done.json")
        if done is not None and done["input"]["status"] == "done":
            results[spec] = done
        else:
            todo.append(spec)
    notify("start", {"total": len(units), "done": len(results), "todo": len(todo)})
    key_of = dict(units)
    cache = str(cfg.cache_dir) if cfg.cache_dir else None
    tasks = (
        (read, label(spec), spec, str(key_of[spec]), cfg.filters, cfg.limit, cache) for spec in todo
    )
    for task, result in run_units(process_unit, tasks, cfg.workers, cfg.executor, cfg.ray_address):
        results[task[2]] = result
        notify("unit", {"source": task[2], "result": result})
    parse_seconds = time.perf_counter() - started

    report = Report()
    failed = []
    inputs = []
    for spec, _ in units:
        result = results[spec]
        report.merge(Report.from_dict(result["report"]))
        inputs.append(result["input"])
        if result["input"]["status"] != "done":
            failed.append(result["report"].get("error") or spec)
    notify("merge", {})
    merge_started = time.perf_counter()
    configs, staged = _merge([d for _, d in units], cfg, report)
    if cfg.layout == "page":
        configs = to_page_layout(staged, configs, cfg.max_shard_rows, cfg.max_shard_bytes)
    publish(staged, out)
    shutil.rmtree(out / STATE_DIR / "staging", ignore_errors=True)
    _drop_stale_units(parts, {d.name for _, d in units})
    write_json_atomic(out / STATE_DIR / SOURCES, sources)

    manifest = new_manifest(
        f"build {cfg.builder}",
        {
            "sources": sources,
            "append": cfg.append,
            "langs": cfg.langs or "all",
            "min_rows": cfg.min_rows,
            "workers": cfg.workers,
            "limit": cfg.limit,
            "filters": cfg.filters.to_dict(),
            "max_shard_rows": cfg.max_shard_rows,
            "max_shard_bytes": cfg.max_shard_bytes,
            "layout": cfg.layout,
            **cfg.params,
        },
    )
    manifest.update(
        {
            "builder": cfg.builder,
            "record": "faq-page" if cfg.layout == "page" else "qa-pair",
            "inputs": inputs,
            "configs": {lang: {"train": n} for lang, n in configs.items()},
            "filters": {lang: dict(c) for lang, c in sorted(report.filters.items())},
            "counts": dict(sorted(report.counts.items())),
            "problems": dict(sorted(report.problems.items())),
            "problem_examples": report.examples,
            "stages": {
                "parse": {
                    "status": "failed" if failed else "done",
                    "units": len(units),
                    "failed": len(failed),
                },
                "merge": {"status": "done"},
            },
            "timings": {
                "parse_seconds": round(parse_seconds, 3),
                "merge_seconds": round(time.perf_counter() - merge_started, 3),
                "total_seconds": round(time.perf_counter() - started, 3),
            },
            "errors": failed,
        }
    )
    write_manifest(out, manifest)
    return BuildResult(out, configs, report, failed, manifest)


SOURCES = "sources.json"  # the sources of the last build into this out (for --append)


def _drop_stale_units(parts: Path, keep: set[str]) -> None:
    for d in parts.iterdir():
        if d.is_dir() and d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)
