"""`mkdata eval bitext --judge`: an LLM scores a sample of mined pairs 0-100 for
translation equivalence (a GEMBA-DA-style direct assessment; prompt in ``data/``), and the
scores give the precision at each margin threshold, from which a threshold is picked.

The sample is, per language pair, the ``sample`` pairs with the smallest seeded hash of
their ids (the same on every run). Answers are stored as they finish, so a killed run
asks nothing twice. Output: the judged pairs per language pair (``judge_score`` null when
the model gave no score) and the report in ``mkdata.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from mkdata.core.bitext_format import bitext_files, read_bitext, read_texts
from mkdata.core.generations import failure_summary, generate_stored, request_key
from mkdata.core.lang import language_name
from mkdata.core.llm import ChatRequest
from mkdata.core.manifest import new_manifest
from mkdata.core.output import OutputRun
from mkdata.core.prompt_safety import as_data
from mkdata.core.schema import seeded_rank
from mkdata.core.shards import DATA_DIR, ShardWriter
from mkdata.evaluation.bitext_judge_config import JudgeConfig

SIDE_CHARS = 1500  # characters of each side the judge sees
SCHEMA = {
    "type": "object",
    "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 100}},
    "required": ["score"],
}
JUDGED = pa.schema(
    [
        ("src_id", pa.string()), ("tgt_id", pa.string()), ("src_lang", pa.string()),
        ("tgt_lang", pa.string()), ("source", pa.string()), ("target", pa.string()),
        ("score", pa.float64()), ("judge_score", pa.int16()),
    ]
)  # fmt: skip
JUDGED_COLUMNS = [
    ["src_id`, `tgt_id`, `src_lang`, `tgt_lang", "the mined pair's ids and languages"],
    ["source`, `target", "the texts the judge read (QA rows: question and answer)"],
    ["score", "the pair's margin score from `mine bitext`"],
    ["judge_score", "the LLM's 0-100 translation score; null when it gave none"],
]


@dataclass
class JudgeResult:
    """The report (per language pair and pooled) and the manifest written."""

    out: Path
    report: dict[str, Any]
    manifest: dict[str, Any]


def sample_pairs(cfg: JudgeConfig) -> pl.DataFrame:
    """Per language pair of ``cfg.mined``, the sampled pairs (config, ids, languages,
    texts, margin score). ValueError when it is not a `mine bitext` output."""
    files = bitext_files(cfg.mined)
    if cfg.configs:
        missing = sorted(set(cfg.configs) - {f.parent.name for f in files})
        if missing:
            raise ValueError(f"{cfg.mined}: no config {missing[0]!r}")
        files = [f for f in files if f.parent.name in cfg.configs]
    pairs = read_bitext(files)
    rank = [
        seeded_rank(cfg.seed, f"{a}\t{b}")
        for a, b in zip(pairs["src_id"], pairs["tgt_id"], strict=True)
    ]
    picked = (
        pairs.with_columns(pl.Series("rank", rank, pl.UInt64))
        .sort("config", "rank")
        .group_by("config", maintain_order=True)
        .head(cfg.sample)
        .drop("rank")
    )
    texts = pl.concat(
        [
            read_texts(files[i], part["row"].to_list())
            for (i,), part in picked.group_by("file", maintain_order=True)
        ]
    )  # texts of the sampled rows only, one shard at a time
    ordered = pl.concat([part for _, part in picked.group_by("file", maintain_order=True)])
    return pl.concat([ordered.drop("file", "row"), texts], how="horizontal").sort(
        "config", maintain_order=True
    )


def judge_messages(prompt: dict[str, str], row: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The chat messages asking for the 0-100 score of one pair."""
    fill = {
        "{source_language}": language_name(row["src_lang"]),
        "{target_language}": language_name(row["tgt_lang"]),
        "{source}": as_data(" ".join(row["source"].split())[:SIDE_CHARS], "source"),
        "{target}": as_data(" ".join(row["target"].split())[:SIDE_CHARS], "translation"),
    }
    task = prompt["task"]
    for key in ("{source_language}", "{target_language}"):
        task = task.replace(key, fill[key])
    head, _, rest = task.partition("{source}")  # texts last: never re-read as template
    middle, _, tail = rest.partition("{target}")
    return (
        ("system", prompt["system"]),
        ("user", head + fill["{source}"] + middle + fill["{target}"] + tail),
    )


def parse_score(text: str) -> int | None:
    """The 0-100 score an answer gives: JSON ``{"score": n}`` or nothing but a number; None
    for anything else (prose with numbers in it is not guessed at)."""
    try:
        value = json.loads(text.strip())
    except json.JSONDecodeError:
        return None
    value = value.get("score") if isinstance(value, dict) else value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return round(value) if 0 <= value <= 100 else None


def precision_curve(scores: np.ndarray, judged: np.ndarray, cutoff: int) -> list[dict[str, Any]]:
    """For each distinct margin ``t`` of the judged pairs (and the deciles between): the
    pairs scoring at least ``t`` and the share of them judged at least ``cutoff``."""
    if not len(scores):
        return []
    good = judged >= cutoff
    order = np.argsort(-scores, kind="stable")
    s, g = scores[order], good[order]
    points = np.unique(np.quantile(s, np.linspace(0, 1, 11), method="lower"))
    out = []
    for t in points:
        n = int((s >= t).sum())
        out.append(
            {
                "threshold": round(float(t), 4),
                "pairs": n,
                "precision": round(float(g[:n].mean()), 4),
            }
        )
    return out


def pick_threshold(
    scores: np.ndarray, judged: np.ndarray, cutoff: int, target: float
) -> float | None:
    """The lowest margin ``t`` at which the judged pairs scoring at least ``t`` reach
    ``target`` precision (share judged at least ``cutoff``); None when no margin does."""
    order = np.argsort(-scores, kind="stable")
    s, good = scores[order], (judged >= cutoff)[order]
    precision = np.cumsum(good) / np.arange(1, len(s) + 1)
    group_end = np.append(s[1:] != s[:-1], True) if len(s) else np.zeros(0, bool)
    ok = np.flatnonzero(group_end & (precision >= target - 1e-12))
    return float(s[ok[-1]]) if len(ok) else None


def _report(df: pl.DataFrame, cfg: JudgeConfig) -> dict[str, Any]:
    def one(part: pl.DataFrame) -> dict[str, Any]:
        ok = part.filter(pl.col("judge_score").is_not_null())
        judged = ok["judge_score"].to_numpy().astype(np.int64)
        scores = ok["score"].to_numpy().astype(np.float64)
        hist = np.histogram(judged, bins=10, range=(0, 100))[0] if len(judged) else np.zeros(10)
        return {
            "sampled": part.height,
            "judged": ok.height,
            "failed": part.height - ok.height,
            "mean_score": round(float(judged.mean()), 2) if len(judged) else None,
            f"share_at_least_{cfg.cutoff}": round(float((judged >= cfg.cutoff).mean()), 4)
            if len(judged)
            else None,
            "histogram": {
                f"{10 * i}-{10 * i + 9 if i < 9 else 100}": int(c) for i, c in enumerate(hist)
            },
            "precision_at": precision_curve(scores, judged, cfg.cutoff),
            "picked_threshold": pick_threshold(scores, judged, cfg.cutoff, cfg.target_precision),
        }

    configs = {c: one(part) for (c,), part in df.group_by("config", maintain_order=True)}
    return {"cutoff": cfg.cutoff, "target_precision": cfg.target_precision, "configs": configs,
            "all": one(df)}  # fmt: skip


def run_judge(
    cfg: JudgeConfig, progress: Callable[[str, dict[str, Any]], None] | None = None
) -> JudgeResult:
    """Judge a sample of the pairs in ``cfg.mined``; write them and the report to ``cfg.out``."""
    notify = progress or (lambda event, info: None)
    if Path(cfg.out).resolve() == Path(cfg.mined).resolve():
        raise ValueError("--out must differ from the mined output")
    prompt = json.loads(
        resources.files("mkdata.evaluation").joinpath("data/judge_bitext.json").read_text("utf-8")
    )
    pairs = sample_pairs(cfg)
    rows = pairs.to_dicts()
    requests = []
    for row in rows:
        messages = judge_messages(prompt, row)
        key = request_key(
            cfg.model, messages, {**cfg.sampling(), "seed": cfg.seed, "schema": SCHEMA}
        )
        requests.append(
            ChatRequest(key, messages, cfg.max_tokens, cfg.temperature, cfg.seed, SCHEMA)
        )
    inputs = bitext_files(cfg.mined)
    with OutputRun(cfg.out, "eval bitext --judge", cfg.overwrite, inputs) as run:
        have, usage = generate_stored(
            cfg.backend, cfg.model, cfg.base_url, cfg.backend_options, requests,
            run.state("generations"), lambda d, t: notify("judge", {"done": d, "total": t}),
        )  # fmt: skip
        judged = [
            None
            if have.get(r.key) is None or have[r.key].get("error")
            else parse_score(have[r.key]["text"])
            for r in requests
        ]
        df = pairs.with_columns(pl.Series("judge_score", judged, pl.Int16))
        configs = {}
        for (config,), part in df.group_by("config", maintain_order=True):
            writer = ShardWriter(run.staging / DATA_DIR / config, JUDGED)
            writer.write(part.select(JUDGED.names).to_arrow().cast(JUDGED))
            writer.close()
            configs[config] = writer.rows
        report = _report(df, cfg)
        unparsable = sum(
            1 for r, j in zip(requests, judged, strict=True)
            if j is None and have.get(r.key) and not have[r.key].get("error")
        )  # fmt: skip
        m = new_manifest(
            "eval bitext --judge",
            {"mined": str(cfg.mined), "backend": cfg.backend, "model": cfg.model,
             "base_url": cfg.base_url, "sample": cfg.sample, "cutoff": cfg.cutoff,
             "target_precision": cfg.target_precision, "seed": cfg.seed, **cfg.sampling()},
        )  # fmt: skip
        m.update(
            {
                "record": "bitext-judgement",
                "columns": JUDGED_COLUMNS,
                "inputs": [{"source": str(f.resolve())} for f in inputs],
                "configs": {c: {"train": n} for c, n in configs.items()},
                "judge": {
                    **report,
                    "usage": usage,
                    "failures": failure_summary(
                        cfg.allow_failures,
                        requests,
                        have,
                        Counter({"answer has no 0-100 score": unparsable} if unparsable else {}),
                    ),
                },
                "stages": {"judge": {"status": "done"}},
            }
        )
        if not m["judge"]["failures"]["within_allowed"]:
            m["stages"]["judge"]["status"] = "failed"
        run.publish(m)
    return JudgeResult(cfg.out, report, m)
