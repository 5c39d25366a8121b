"""Write `mine negatives` results as a dataset directory: one config per retrieval set
(language, or ``default``), rows that could not get every negative in
``OUT/rejects/<config>.jsonl``, a manifest and (by the CLI) a card."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdata.core.atomic import write_text_atomic
from mkdata.core.manifest import new_manifest, source_manifest
from mkdata.core.output import OutputRun
from mkdata.core.reader import ReadStats, input_files
from mkdata.core.shards import DATA_DIR, ShardWriter, shard_name
from mkdata.core.trec_format import run_text
from mkdata.mining.negative_formats import (
    JSONL_FORMATS,
    columns,
    incomplete_records,
    to_flag_records,
    to_table,
)
from mkdata.mining.negatives import NegativesConfig, SetResult, mine_negatives

REJECTS = "rejects"
RUNS = "runs"  # --candidates: the teacher's scores as a TREC run per config


@dataclass
class NegativesResult:
    """Rows written per config, and the manifest."""

    out: Path
    configs: dict[str, int]
    manifest: dict[str, Any]


def _jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def run_negatives(
    cfg: NegativesConfig,
    with_scores: bool = False,
    progress: Callable[[str, dict[str, Any]], None] | None = None,
) -> NegativesResult:
    """Mine ``cfg.inputs`` and write ``cfg.out``; return rows per config. With
    ``cfg.candidates`` the rows always carry the teacher's scores."""
    with_scores = with_scores or cfg.candidates is not None
    n = cfg.per_row
    if any(Path(p).resolve() == cfg.out.resolve() for p in cfg.inputs):
        raise ValueError("--out must differ from the input")
    with OutputRun(cfg.out, "mine negatives", cfg.overwrite, _read_paths(cfg)) as run:
        results, stats, seconds = mine_negatives(cfg, progress)
        staging = run.staging
        configs: dict[str, int] = {}
        counts: dict[str, dict[str, int]] = {}
        for result in results:
            name = result.rs.name
            target = staging / DATA_DIR / name
            if cfg.format in JSONL_FORMATS:
                records = to_flag_records(result, n, cfg.flag_prompt, cfg.flag_type)
                target.mkdir(parents=True)
                shard = shard_name("train", 0, 1).replace(".parquet", ".jsonl")
                write_text_atomic(target / shard, _jsonl(records))
                configs[name] = len(records)
            else:
                table = to_table(result, cfg.format, n, with_scores)
                writer = ShardWriter(target, table.schema)
                writer.write(table)
                writer.close()
                configs[name] = writer.rows
            rejects = incomplete_records(result, n)
            if rejects:
                write_text_atomic(staging / REJECTS / f"{name}.jsonl", _jsonl(rejects))
            if cfg.candidates is not None:
                (staging / RUNS).mkdir(exist_ok=True)
                write_text_atomic(staging / RUNS / f"{name}.trec", teacher_run(result, cfg))
            counts[name] = {
                "queries": len(result.rs.queries),
                "corpus": len(result.rs.docs),
                **result.counts,
            }
        manifest = _manifest(cfg, with_scores, configs, counts, stats, seconds)
        run.publish(manifest)
    return NegativesResult(cfg.out, configs, manifest)


def teacher_run(result: SetResult, cfg: NegativesConfig) -> str:
    """The teacher's scores of each query's positives and candidates as a TREC run (ids of
    the input), best first."""
    rs = result.rs
    ranked: dict[str, dict[str, float]] = {}
    for m in result.rows:
        docs = ranked.setdefault(rs.query_ids[m.query], {})
        docs[rs.doc_ids[m.positive]] = m.positive_score
        for d, score in zip(m.negatives, m.scores, strict=True):
            docs.setdefault(rs.doc_ids[d], score)
    tag = "mkdata-" + (cfg.cross_encoder or cfg.encoder).replace(" ", "_").split("/")[-1]
    # trec_eval's order: score descending, ties by doc id descending
    return run_text(
        {q: sorted(docs.items(), key=lambda x: (x[1], x[0]), reverse=True)
         for q, docs in ranked.items()},
        tag,
    )  # fmt: skip


def _read_paths(cfg: NegativesConfig) -> list[Path]:
    """The files (or, for a BEIR folder, the folders) this run reads."""
    paths: list[Path] = []
    for raw in [*cfg.inputs, *cfg.corpus]:
        try:
            paths += input_files([raw])
        except ValueError:
            paths.append(Path(raw))
    return paths


def _manifest(
    cfg: NegativesConfig,
    with_scores: bool,
    configs: dict[str, int],
    counts: dict[str, dict[str, int]],
    stats: ReadStats,
    seconds: float,
) -> dict[str, Any]:
    source = source_manifest(cfg.inputs)
    params = cfg.to_dict() | {"with_scores": with_scores}
    m = new_manifest("mine negatives", params)
    m.update(
        {
            "builder": source.get("builder", ""),
            "record": "negatives",
            "file_extension": "jsonl" if cfg.format in JSONL_FORMATS else "parquet",
            "columns": columns(cfg.format, cfg.per_row, with_scores),
            "inputs": [{"source": str(p)} for p in cfg.inputs + cfg.corpus],
            "configs": {c: {"train": n} for c, n in configs.items()},
            "negatives": {
                "counts": counts,
                "malformed": sum(stats.skipped.values()),
                "malformed_examples": list(stats.first_problem.values()),
                "dropped": dict(stats.dropped),
            },
            "stages": {"mine_negatives": {"status": "done"}},
            "timings": {"total_seconds": round(seconds, 3)},
        }
    )
    return m
