"""`mkdata synth sap`: summarize-then-ask synthetic queries (SWIM-IR's SAP) for passages.

One request per (passage, target language): the model writes a summary, then a query.
Completions are stored as they finish (``store.py``), so a killed run redoes nothing it
finished. Rows then go through the filters, each counted per language: unparsable
answer, length, language ID, query copied from the passage, exact and near duplicate
queries, and round-trip consistency (the passage must rank in the top k for its query
among the run's passages, with the sentence encoder).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from mkdata.core.generations import failure_summary, generate_stored, request_key
from mkdata.core.lang import to_iso639_3
from mkdata.core.llm import ChatRequest, llm_resources
from mkdata.core.manifest import new_manifest
from mkdata.core.output import OutputRun
from mkdata.core.reader import ReadStats, column_names, input_files, read_table
from mkdata.core.runner import run_units
from mkdata.core.schema import stable_id
from mkdata.core.shards import DATA_DIR, ShardWriter
from mkdata.synth.prompts import SCHEMA, PromptSet, load_prompts
from mkdata.synth.sap_config import FORMATS, MODES, SapConfig  # noqa: F401
from mkdata.synth.sap_filters import filter_rows

ISO1 = {
    "eng": "en", "deu": "de", "fra": "fr", "spa": "es", "ita": "it", "por": "pt", "nld": "nl",
    "pol": "pl", "rus": "ru", "tur": "tr", "ara": "ar", "zho": "zh", "jpn": "ja", "kor": "ko",
    "tha": "th", "swa": "sw", "hin": "hi", "ben": "bn", "fas": "fa", "vie": "vi", "ind": "id",
}  # fmt: skip
SAP = pa.schema(
    [
        ("id", pa.string()), ("query", pa.string()), ("query_language", pa.string()),
        ("passage_id", pa.string()), ("passage", pa.string()), ("title", pa.string()),
        ("passage_language", pa.string()), ("summary", pa.string()), ("model", pa.string()),
        ("prompt_mode", pa.string()),
    ]
)  # fmt: skip
SWIM_IR = pa.schema(
    [("_id", pa.string()), ("lang", pa.string()), ("code", pa.string()), ("query", pa.string()),
     ("title", pa.string()), ("text", pa.string())]
)  # fmt: skip
FILTERS = (
    "generation_error",
    "unparsable",
    "length",
    "language_id",
    "copied",
    "duplicate",
    "near_duplicate",
    "round_trip",
)


@dataclass
class Passage:
    id: str
    text: str
    title: str
    language: str


def read_passages(cfg: SapConfig, stats: ReadStats) -> list[Passage]:
    """The passages (``text``; optional ``id``, ``title``, ``language``), at most max_passages."""
    files = input_files(cfg.passages)
    if not files:
        raise ValueError(f"{cfg.passages[0]}: no input files")
    if not column_names(files[0]):
        raise ValueError(f"{files[0]}: empty (no records)")
    table = read_table(files, ["text"], ("id", "_id", "title", "language"), stats)
    out = []
    for row in table.to_pylist():
        text = " ".join((row["text"] or "").split())
        if not text:
            continue
        lang = to_iso639_3((row["language"] or "").strip().lower()) if row["language"] else ""
        pid = row["id"] or row["_id"] or stable_id(text)
        out.append(Passage(pid, text, row["title"] or "", lang))
        if cfg.max_passages and len(out) >= cfg.max_passages:
            break
    if not out:
        raise ValueError(f"{files[0]}: no passages with text")
    if not all(p.language for p in out):
        from mkdata.core.lang import get_identifier

        missing = [p for p in out if not p.language]
        for p, pred in zip(
            missing, get_identifier().predict([p.text for p in missing], k=1), strict=True
        ):
            p.language = pred.lang
    return out


def build_requests(
    cfg: SapConfig, passages: list[Passage], prompts: PromptSet
) -> list[tuple[ChatRequest, Passage, str]]:
    """(request, passage, query language) for every prompt of the run."""
    out = []
    for i, p in enumerate(passages):
        langs = (
            cfg.langs
            if cfg.mode == "cross-lingual"
            else [p.language]
            if p.language in cfg.langs
            else []
        )
        for lang in langs:
            messages = prompts.messages(cfg.mode, lang, p.text)
            seed = (cfg.seed * 1_000_003 + i * 97 + sum(map(ord, lang))) % (2**31)
            key = request_key(
                cfg.model, messages, {**cfg.sampling(), "seed": seed, "schema": SCHEMA}
            )
            out.append(
                (ChatRequest(key, messages, cfg.max_tokens, cfg.temperature, seed, SCHEMA), p, lang)
            )
    return out


def run_sap(
    cfg: SapConfig, progress: Callable[[str, dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """Generate, filter and write ``cfg.out``; return the manifest."""
    notify = progress or (lambda event, info: None)
    started = time.perf_counter()
    stats = ReadStats()
    passages = read_passages(cfg, stats)
    prompts = load_prompts(cfg.exemplars)
    items = build_requests(cfg, passages, prompts)
    if not items:
        raise ValueError(f"no passage is in a requested language ({', '.join(cfg.langs)})")
    with OutputRun(cfg.out, "synth sap", cfg.overwrite, input_files(cfg.passages)) as run:
        notify("generate", {"done": 0, "total": len(items)})
        requests = [r for r, _, _ in items]
        store = run.state("generations")
        backend = (cfg.backend, cfg.model, cfg.base_url, cfg.backend_options)
        if cfg.executor == "ray":  # one actor holds the model, with its declared resources
            unit = (*backend, requests, store, None)
            resources = llm_resources(cfg.backend)
            units = run_units(generate_stored, [unit], 1, "ray", cfg.ray_address, resources, True)
            [(_, (have, usage))] = list(units)  # read to the end: the actor is stopped
        else:
            progress = lambda d, t: notify("generate", {"done": d, "total": t})  # noqa: E731
            have, usage = generate_stored(*backend, requests, store, progress)
        rows, counts = filter_rows(cfg, items, have, prompts)
        configs = _write_rows(cfg, rows, run.staging)
        m = _manifest(cfg, passages, items, rows, counts, configs, usage, stats, prompts)
        m["sap"]["failures"] = failure_summary(cfg.allow_failures, requests, have)
        if not m["sap"]["failures"]["within_allowed"]:
            m["stages"]["generate"]["status"] = "failed"
        m["timings"] = {"total_seconds": round(time.perf_counter() - started, 3)}
        run.publish(m)
    return m


def _write_rows(cfg: SapConfig, rows: list[dict[str, Any]], staging: Path) -> dict[str, int]:
    """Write the kept rows per query language under ``staging``; return rows per config."""
    configs: dict[str, int] = {}
    for lang in cfg.langs:
        lang_rows = sorted(
            (r for r in rows if r["query_language"] == lang),
            key=lambda r: (r["passage_id"], r["id"]),
        )
        if cfg.format == "swim-ir":
            table = pa.Table.from_pylist(
                [{"_id": r["id"], "lang": lang, "code": ISO1.get(lang, lang), "query": r["query"],
                  "title": r["title"], "text": r["passage"]} for r in lang_rows],
                schema=SWIM_IR,
            )  # fmt: skip
        else:
            table = pa.Table.from_pylist(lang_rows, schema=SAP)
        writer = ShardWriter(staging / DATA_DIR / lang, table.schema)
        writer.write(table)
        writer.close()
        configs[lang] = writer.rows
    return configs


def _manifest(
    cfg: SapConfig,
    passages: list[Passage],
    items: list[tuple[ChatRequest, Passage, str]],
    rows: list[dict[str, Any]],
    counts: dict[str, Counter[str]],
    configs: dict[str, int],
    usage: dict[str, Any],
    stats: ReadStats,
    prompts: PromptSet,
) -> dict[str, Any]:
    used = {p.id for _, p, _ in items}
    with_query = {r["passage_id"] for r in rows}
    m = new_manifest(
        "synth sap",
        {"passages": [str(p) for p in cfg.passages], "langs": cfg.langs, "mode": cfg.mode,
         "backend": cfg.backend, "model": cfg.model, "base_url": cfg.base_url,
         "prompts": prompts.source, "max_passages": cfg.max_passages,
         "seed": cfg.seed, **cfg.sampling(), "min_chars": cfg.min_chars, "max_chars": cfg.max_chars,
         "lid_filter": cfg.lid_filter, "near_duplicate": cfg.near_duplicate,
         "round_trip_k": cfg.round_trip_k, "encoder": cfg.encoder, "format": cfg.format},
    )  # fmt: skip
    m.update(
        {
            "builder": "sap",
            "record": "swim-ir" if cfg.format == "swim-ir" else "synthetic-query",
            "inputs": [{"source": str(p)} for p in cfg.passages],
            "configs": {c: {"train": n} for c, n in configs.items()},
            "filters": {lang: dict(c) for lang, c in counts.items()},
            "sap": {
                "passages": {
                    "read": len(passages),
                    "prompted": len(used),
                    "with_kept_query": len(with_query),
                    "malformed_records": sum(stats.skipped.values()),
                },
                "requests": len(items),
                "usage": usage,
            },
            "stages": {"generate": {"status": "done"}, "filter": {"status": "done"}},
        }
    )
    return m
