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

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from mkdata.builders import filters as F
from mkdata.builders.build_config import QABuildConfig
from mkdata.builders.page_layout import to_page_layout
from mkdata.builders.qa_unit import KEEP_FIRST_BY, N_BUCKETS, ReadFn, process_unit
from mkdata.core.atomic import read_json, write_json_atomic
from mkdata.core.fetch import is_url, source_identity
from mkdata.core.manifest import new_manifest
from mkdata.core.output import STATE_DIR, OutputRun
from mkdata.core.report import Report
from mkdata.core.runner import core_left_free, run_units
from mkdata.core.schema import QA_PAIR
from mkdata.core.shards import ShardWriter
from mkdata.core.units import done_result, unit_key


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


# ---------------------------------------------------------------- the build


UNIT_LAYOUT = 2  # of the unit bucket files: 2 added the page-context columns


def _unit_key(cfg: QABuildConfig, spec: str) -> str:
    key = [cfg.builder, source_identity(spec), cfg.filters.to_dict(), cfg.limit]
    return unit_key([*key, UNIT_LAYOUT])


def merge_bucket(bucket: int, unit_dirs: list[str], target: str | None = None) -> dict[str, Any]:
    """Deduplicate one id bucket across units, sorted by ``KEEP_FIRST_BY`` (language, id,
    url, source): the first row of each language and id is kept.

    Returns ``languages`` as ``[language, rows]`` in row order, the duplicates removed per
    language, and the rows: as ``rows`` (an Arrow table, None when there are none), or,
    with ``target`` (a bucket merged on Ray), written to ``target/rows.parquet`` instead.
    """
    files = [Path(d) / f"bucket-{bucket:x}.parquet" for d in unit_dirs]
    files = [f for f in files if f.exists()]
    if target is not None:
        shutil.rmtree(target, ignore_errors=True)
        Path(target).mkdir(parents=True)
    if not files:
        return {"languages": [], "duplicates": {}, "rows": None}
    df = pl.scan_parquet(files).collect()  # the files in order, read at once (not one by one)
    # stable: of rows equal on all four, the first met (unit order, then file order) is kept
    df = df.sort(list(KEEP_FIRST_BY), maintain_order=True)
    before = df.group_by("language").len()
    df = df.unique(subset=list(KEEP_FIRST_BY[:2]), keep="first", maintain_order=True)
    after = df.group_by("language", maintain_order=True).len()
    kept = dict(after.iter_rows())
    duplicates = {lang: n - kept.get(lang, 0) for lang, n in before.iter_rows()}
    # polars' large strings kept here: one bucket may pass 2 GiB of text; each language is
    # cast to the output schema on its own in _merge
    rows = df.to_arrow()
    if target is not None:
        pq.write_table(rows, Path(target) / "rows.parquet")
    return {
        "languages": [[lang, n] for lang, n in after.iter_rows()],
        "duplicates": {k: v for k, v in duplicates.items() if v},
        "rows": rows if target is None else None,
    }


def _merged_buckets(
    unit_dirs: list[Path], cfg: QABuildConfig, scratch: Path
) -> Iterator[tuple[dict[str, Any], pa.Table | None]]:
    """Each id bucket's :func:`merge_bucket` result and rows, in bucket order, one bucket's
    rows in memory at a time: merged here (polars already spreads a bucket's sort over the
    cores; a process pool would only add its start-up), or on Ray, through files in
    ``scratch``."""
    dirs = [str(d) for d in unit_dirs]
    if cfg.executor != "ray":
        for b in range(N_BUCKETS):
            result = merge_bucket(b, dirs)
            yield result, result.pop("rows")
        return
    tasks = [(b, dirs, str(scratch / f"{b:x}")) for b in range(N_BUCKETS)]
    merged: dict[int, dict[str, Any]] = {}
    for task, result in run_units(merge_bucket, tasks, cfg.workers, "ray", cfg.ray_address):
        merged[task[0]] = result
    for b in range(N_BUCKETS):
        # ParquetFile, not read_table: pyarrow.dataset imports pandas (0.5 s)
        rows = scratch / f"{b:x}" / "rows.parquet"
        yield merged[b], pq.ParquetFile(rows).read() if merged[b]["languages"] else None


def _merge(
    unit_dirs: list[Path], cfg: QABuildConfig, report: Report, run: OutputRun
) -> tuple[dict[str, int], Path]:
    """Deduplicate across units (one unit per id bucket) and write per-language shards
    under the run's staging area."""
    scratch = run.state("merge")
    data = run.staging / "data"
    selected = set(cfg.langs) if cfg.langs else None
    writers: dict[str, ShardWriter] = {}
    for merged, rows in _merged_buckets(unit_dirs, cfg, scratch):
        for lang, n in merged["duplicates"].items():
            report.filters[lang][F.DUPLICATE] += n
        offset = 0
        for lang, n in merged["languages"]:
            start, offset = offset, offset + n
            if selected is not None and lang not in selected:
                report.filters[lang]["not_selected"] += n
                continue
            if lang not in writers:
                writers[lang] = ShardWriter(
                    data / lang, QA_PAIR, "train", cfg.max_shard_rows, cfg.max_shard_bytes
                )
            writers[lang].write(rows.slice(start, n).cast(QA_PAIR))  # type: ignore[union-attr]
        rows = None  # let it go before the next bucket is merged
    shutil.rmtree(scratch, ignore_errors=True)
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
    local = [Path(s) for s in cfg.sources if not is_url(s)]
    # the card's chart library loads meanwhile, where a core is left free
    spare = core_left_free(cfg.workers, cfg.executor, len(cfg.sources))
    with OutputRun(cfg.out, f"build {cfg.builder}", cfg.overwrite, local, spare) as run:
        return _build(run, cfg, read, label, notify)


def _build(
    run: OutputRun,
    cfg: QABuildConfig,
    read: ReadFn,
    label: Callable[[str], str],
    notify: ProgressFn,
) -> BuildResult:
    out = cfg.out
    parts = run.state("parts")
    started = time.perf_counter()
    sources = list(cfg.sources)
    if cfg.append:
        earlier = read_json(out / STATE_DIR / SOURCES) or []
        sources = earlier + [s for s in sources if s not in earlier]
    units: list[tuple[str, Path]] = [(spec, parts / _unit_key(cfg, spec)) for spec in sources]
    results: dict[str, dict[str, Any]] = {}
    todo = []
    for spec, unit_dir in units:
        done = done_result(unit_dir)
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
    left = len(todo)
    for task, result in run_units(process_unit, tasks, cfg.workers, cfg.executor, cfg.ray_address):
        results[task[2]] = result
        notify("unit", {"source": task[2], "result": result})
        left -= 1
        if core_left_free(cfg.workers, cfg.executor, left):  # the last units: a core is idle
            run.prepare_card_now()
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
    configs, staged = _merge([d for _, d in units], cfg, report, run)
    if cfg.layout == "page":
        configs = to_page_layout(staged, configs, cfg.max_shard_rows, cfg.max_shard_bytes)
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
    run.publish(manifest)
    return BuildResult(out, configs, report, failed, manifest)


SOURCES = "sources.json"  # the sources of the last build into this out (for --append)


def _drop_stale_units(parts: Path, keep: set[str]) -> None:
    for d in parts.iterdir():
        if d.is_dir() and d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)
