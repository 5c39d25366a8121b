"""`mkdata label`: one label per row (topic, question type or a custom set).

The LLM labels every row, or ``--sample N`` rows per language (the N with the smallest
seeded hash of their id, so a re-run picks the same rows). Answers are constrained to the
label set by a JSON schema and stored as they finish (``core.generations``), so a killed
run asks nothing twice. With ``--classifier``, logistic regression on the sentence
encoder's embeddings is trained on the LLM labels (its held-out agreement with the LLM is
reported per language) and labels every other row, one input file at a time.

Output: the input rows, in their configs and order, plus ``<column>`` (the label, null
when the LLM gave none), ``<column>_source`` (``llm`` or ``classifier``) and
``<column>_confidence`` (LLM: probability of its answer; classifier: of its label).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from mkdata.core.embedding_cache import encode_cached
from mkdata.core.generations import failure_summary, generate_stored, request_key
from mkdata.core.lang import to_iso639_3
from mkdata.core.llm import ChatRequest
from mkdata.core.manifest import file_checksum, new_manifest, source_manifest
from mkdata.core.output import OutputRun
from mkdata.core.reader import input_configs
from mkdata.core.records import file_schema, malformed_records, read_file
from mkdata.core.schema import seeded_rank
from mkdata.core.shards import DATA_DIR, ShardWriter
from mkdata.label import classifier as clf
from mkdata.label.label_config import LabelConfig
from mkdata.label.label_sets import FIELDS, LabelSet, item_fields, item_text, load_label_set

Progress = Callable[[str, dict[str, Any]], None]
RowRef = tuple[int, int]  # (file index, row index)


@dataclass
class LabelResult:
    """Rows per config and the manifest written."""

    out: Path
    configs: dict[str, int]
    manifest: dict[str, Any]


@dataclass
class InputFile:
    path: Path
    config: str


def _row_key(row: dict[str, Any], ref: RowRef, f: InputFile) -> str:
    return str(row["id"]) if row.get("id") not in (None, "") else f"{f.path.name}:{ref[1]}"


def _language(row: dict[str, Any], f: InputFile) -> str:
    value = row.get("language")
    return to_iso639_3(str(value).strip().lower()) if value else f.config


def _columns(names: list[str], where: Path) -> list[str]:
    """The columns labelling reads, of a file with columns ``names``."""
    if "question" not in names:
        raise ValueError(f"{where}: no question column (columns: {', '.join(names)})")
    return [c for c in ("id", "language", *FIELDS) if c in names]


def _check_columns(files: list[InputFile], labels: LabelSet, source: dict[str, Any]) -> None:
    """ValueError (naming the file) when an input lacks a question column, or already has a
    column the labels would be written to that is not an earlier label run's."""
    ours = set(labels.output_columns)
    earlier = {c[0] for c in source.get("added_columns", [])}
    for f in files:
        names = file_schema(f.path).names
        _columns(names, f.path)
        clash = sorted((ours & set(names)) - earlier)
        if clash:
            raise ValueError(
                f"{f.path}: already has a column {clash[0]!r}; give the labels another "
                '"column" in the label file'
            )


def _rows(f: InputFile) -> list[dict[str, Any]]:
    """The columns labelling reads, of every row of ``f``."""
    table = read_file(f.path)
    return table.select(_columns(table.column_names, f.path)).to_pylist()


@dataclass
class Picked:
    """A row the LLM labels."""

    ref: RowRef
    key: str
    language: str
    fields: dict[str, str]


def pick_rows(files: list[InputFile], sample: int | None, seed: int) -> list[Picked]:
    """Every row, or per language the ``sample`` rows with the smallest seeded hash of
    their key; memory holds at most ``sample`` rows per language besides one file."""
    best: dict[str, list[tuple[int, Picked]]] = defaultdict(list)
    out: list[Picked] = []
    for i, f in enumerate(files):
        for j, row in enumerate(_rows(f)):
            key = _row_key(row, (i, j), f)
            p = Picked((i, j), key, _language(row, f), item_fields(row))
            if not p.fields["question"]:
                continue
            if sample is None:
                out.append(p)
                continue
            bucket = best[p.language]
            bucket.append((seeded_rank(seed, key), p))
            if len(bucket) >= 2 * sample:
                bucket.sort(key=lambda t: t[0])
                del bucket[sample:]
    for bucket in best.values():
        bucket.sort(key=lambda t: t[0])
        out.extend(p for _, p in bucket[:sample])
    return sorted(out, key=lambda p: p.ref)


def _request(cfg: LabelConfig, labels: LabelSet, p: Picked) -> ChatRequest:
    messages = labels.messages(p.fields)
    schema = labels.schema()
    key = request_key(cfg.model, messages, {**cfg.sampling(), "seed": cfg.seed, "schema": schema})
    return ChatRequest(key, messages, cfg.max_tokens, cfg.temperature, cfg.seed, schema, True)


@dataclass
class LLMLabel:
    label: str | None
    confidence: float | None
    failure: str | None  # generation_error or unparsable


def llm_labels(
    cfg: LabelConfig, labels: LabelSet, picked: list[Picked], store: Path, notify: Progress
) -> tuple[dict[RowRef, LLMLabel], dict[str, Any], list[ChatRequest], dict[str, dict[str, Any]]]:
    """The LLM's label of each picked row, the usage, the requests and their completions."""
    requests = [_request(cfg, labels, p) for p in picked]
    notify("llm", {"done": 0, "total": len(requests)})
    have, usage = generate_stored(
        cfg.backend, cfg.model, cfg.base_url, cfg.backend_options, requests, store,
        lambda d, t: notify("llm", {"done": d, "total": t}),
    )  # fmt: skip
    out = {}
    for p, r in zip(picked, requests, strict=True):
        done = have.get(r.key)
        if done is None or done.get("error"):
            out[p.ref] = LLMLabel(None, None, "generation_error")
            continue
        label = labels.parse(done.get("text") or "")
        logprob = done.get("logprob")
        confidence = round(math.exp(logprob), 4) if label and logprob is not None else None
        out[p.ref] = LLMLabel(label, confidence, None if label else "unparsable")
    return out, usage, requests, have


def train_classifier(
    cfg: LabelConfig, picked: list[Picked], llm: dict[RowRef, LLMLabel], notify: Progress
) -> tuple[clf.LabelClassifier, dict[str, Any]]:
    """The classifier fitted on every LLM-labelled row, and its held-out agreement."""
    rows = [p for p in picked if llm[p.ref].label is not None]
    if not rows:
        raise ValueError("the LLM gave no valid label to any sampled row: nothing to train on")
    notify("encode", {"done": 0, "total": len(rows)})
    x = encode_cached(cfg.encoder, [item_text(p.fields) for p in rows], cfg.workers)
    y = [str(llm[p.ref].label) for p in rows]
    report = clf.agreement(x, y, [p.language for p in rows], [p.key for p in rows], cfg.seed)
    report["encoder"] = cfg.encoder
    report["model"] = "logistic regression"
    return clf.fit(x, y, cfg.seed), report


def run_label(cfg: LabelConfig, progress: Progress | None = None) -> LabelResult:
    """Label (or resume labelling) ``cfg.inputs`` into ``cfg.out``; return rows per config."""
    notify = progress or (lambda event, info: None)
    labels = load_label_set(cfg.task, cfg.labels, cfg.exemplars)
    configs_in = input_configs(cfg.inputs)
    files = [InputFile(f, c) for c, fs in configs_in.items() for f in fs]
    _check_columns(files, labels, source_manifest(cfg.inputs))
    picked = pick_rows(files, cfg.sample, cfg.seed)
    if not picked:
        raise ValueError(f"{files[0].path}: no row with a question to label")
    with OutputRun(cfg.out, "label", cfg.overwrite, [f.path for f in files]) as run:
        llm, usage, requests, have = llm_labels(
            cfg, labels, picked, run.state("generations"), notify
        )
        model, report = (
            train_classifier(cfg, picked, llm, notify) if cfg.classifier else (None, None)
        )
        configs, counts = _write(cfg, labels, files, llm, model, run.staging, notify)
        m = _manifest(cfg, labels, files, configs, counts, usage, report)
        unparsable = sum(1 for x in llm.values() if x.failure == "unparsable")
        m["label"]["failures"] = failure_summary(
            cfg.allow_failures, requests, have,
            Counter({"answer is not a label of the set": unparsable} if unparsable else {}),
        )  # fmt: skip
        if not m["label"]["failures"]["within_allowed"]:
            m["stages"]["label"]["status"] = "failed"
        bad = malformed_records([f.path for f in files])
        m["label"]["malformed_records"] = sum(bad.skipped.values())
        run.publish(m)
    return LabelResult(cfg.out, configs, m)


def _write(
    cfg: LabelConfig,
    labels: LabelSet,
    files: list[InputFile],
    llm: dict[RowRef, LLMLabel],
    model: clf.LabelClassifier | None,
    staging: Path,
    notify: Progress,
) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    """Write the labelled rows per config (one input file at a time); return rows per config
    and per-language counts (rows, by source, failed by reason, label distribution)."""
    added = [
        pa.field(name, kind)
        for name, kind in zip(
            labels.output_columns, (pa.string(), pa.string(), pa.float32()), strict=True
        )
    ]
    writers: dict[str, ShardWriter] = {}
    counts: dict[str, dict[str, Any]] = {}
    picked_refs = set(llm)
    for i, f in enumerate(files):
        notify("write", {"done": i, "total": len(files)})
        table = read_file(f.path)
        table = table.drop_columns([c for c in (a.name for a in added) if c in table.column_names])
        rows = table.select(_columns(table.column_names, f.path)).to_pylist()
        refs = [(i, j) for j in range(len(rows))]
        if model is None:  # only the rows the LLM was asked about
            keep = [j for j, r in enumerate(refs) if r in picked_refs]
            table, rows, refs = table.take(keep), [rows[j] for j in keep], [refs[j] for j in keep]
        out_label: list[str | None] = [None] * len(rows)
        out_source: list[str | None] = [None] * len(rows)
        out_conf: list[float | None] = [None] * len(rows)
        rest = []
        for j, ref in enumerate(refs):
            got = llm.get(ref)
            if got is not None and got.label is not None:
                out_label[j], out_source[j], out_conf[j] = got.label, "llm", got.confidence
            elif model is not None and item_fields(rows[j])["question"]:
                rest.append(j)
        if rest and model is not None:
            texts = [item_text(item_fields(rows[j])) for j in rest]
            predicted, proba = model.predict(encode_cached(cfg.encoder, texts, cfg.workers))
            for j, label, p in zip(rest, predicted, proba.tolist(), strict=True):
                out_label[j], out_source[j], out_conf[j] = label, "classifier", round(p, 4)
        for j, ref in enumerate(refs):
            c = counts.setdefault(
                _language(rows[j], f),
                {"rows": 0, "llm": 0, "classifier": 0, "failed": 0, "failed_by": Counter(),
                 "labels": Counter()},
            )  # fmt: skip
            c["rows"] += 1
            if out_source[j] is not None:
                c[out_source[j]] += 1
                c["labels"][out_label[j]] += 1
            else:
                c["failed"] += 1
                got = llm.get(ref)
                c["failed_by"][got.failure if got and got.failure else "no_question"] += 1
        for field, values in zip(added, (out_label, out_source, out_conf), strict=True):
            table = table.append_column(field, pa.array(values, field.type))
        writer = writers.get(f.config)
        if writer is None:
            writer = writers[f.config] = ShardWriter(staging / DATA_DIR / f.config, table.schema)
        writer.write(table.cast(writer.schema))
    for w in writers.values():
        w.close()
    for c in counts.values():
        c["failed_by"] = dict(c["failed_by"])
        c["labels"] = {name: c["labels"].get(name, 0) for name in labels.names}
    return {name: w.rows for name, w in writers.items()}, dict(sorted(counts.items()))


def _manifest(
    cfg: LabelConfig,
    labels: LabelSet,
    files: list[InputFile],
    configs: dict[str, int],
    counts: dict[str, dict[str, Any]],
    usage: dict[str, Any],
    report: dict[str, Any] | None,
) -> dict[str, Any]:
    source = source_manifest(cfg.inputs)
    m = new_manifest(
        "label",
        {"inputs": [str(p) for p in cfg.inputs], "task": cfg.task, "column": labels.column,
         "backend": cfg.backend, "model": cfg.model, "base_url": cfg.base_url,
         "labels": labels.source, "sample": cfg.sample, "classifier": cfg.classifier,
         "encoder": cfg.encoder if cfg.classifier else None, "seed": cfg.seed, **cfg.sampling()},
    )  # fmt: skip
    col, source_col, confidence_col = labels.output_columns
    m.update(
        {
            "builder": source.get("builder", ""),
            "record": source.get("record", "qa-pair"),
            "inputs": [
                {
                    "source": str(f.path.resolve()),
                    "size": f.path.stat().st_size,
                    "checksum": file_checksum(f.path),
                }
                for f in files
            ],
            "configs": {c: {"train": n} for c, n in configs.items()},
            "label": {
                "task": cfg.task,
                "column": col,
                "labels": [{"name": n, "description": d} for n, d in labels.labels],
                "per_language": counts,
                "classifier": report,
                "usage": usage,
            },
            "added_columns": [
                *[c for c in source.get("added_columns", []) if c[0] not in labels.output_columns],
                [col, f"the {cfg.task} label (one of the set; null when the LLM gave none)"],
                [source_col, "who gave the label: `llm` or `classifier`"],
                [
                    confidence_col,
                    "the LLM's probability of its answer, or the classifier's of its label",
                ],
            ],
            "stages": {"label": {"status": "done"}},
        }
    )
    return m
