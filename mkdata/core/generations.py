"""LLM generations that survive a kill: a store of finished completions, keyed by prompt,
model and sampling parameters, and the one way every command asks a backend for them.

Each process appends JSON lines to its own file under ``OUT/.mkdata/<name>/`` and
flushes every line, so a killed run loses at most the line being written (a torn last
line is ignored on reading) and a re-run does not ask the model again. Used by
``synth sap``, ``label`` and ``eval bitext --judge``.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdata.core.llm import ChatRequest, Completion, get_backend
from mkdata.core.secrets import mask


def request_key(model: str, messages: Any, sampling: dict[str, Any]) -> str:
    """The key of a generation: sha256 of model, messages and sampling parameters."""
    blob = json.dumps([model, messages, sampling], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


class GenerationStore:
    """Append-only store of completions (dicts with at least ``key``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._fh = None

    def load(self) -> dict[str, dict[str, Any]]:
        """Every stored completion by key (later lines win)."""
        out: dict[str, dict[str, Any]] = {}
        for f in sorted(self.directory.glob("*.jsonl")):
            with open(f, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # torn last line of a killed run
                    if isinstance(rec, dict) and "key" in rec:
                        out[rec["key"]] = rec
        return out

    def add(self, record: dict[str, Any]) -> None:
        """Append one completion (its error text with secrets masked) and flush it to disk."""
        if record.get("error"):
            record = {**record, "error": mask(str(record["error"]))}
        if self._fh is None:
            self._fh = open(self.directory / f"{uuid.uuid4().hex}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def generate_stored(
    backend: str,
    model: str,
    base_url: str | None,
    backend_options: dict[str, Any],
    requests: list[ChatRequest],
    store_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Completions for ``requests`` by key (stored in ``store_dir``), asking ``backend`` only
    for those not stored or stored as failed; and the usage of this run (``cached``,
    ``asked``, tokens, retries, errors, seconds)."""
    store = GenerationStore(store_dir)
    have = store.load()
    # each distinct prompt once (equal rows give equal keys)
    todo = list(
        {r.key: r for r in requests if r.key not in have or have[r.key].get("error")}.values()
    )
    usage: dict[str, Any] = {"cached": len(requests) - len(todo), "asked": len(todo)}
    if todo:
        llm = get_backend(backend, model, base_url, **backend_options)
        done = 0

        def on_result(r: ChatRequest, c: Completion) -> None:
            nonlocal done
            rec = {
                "key": r.key, "text": c.text, "finish_reason": c.finish_reason,
                "prompt_tokens": c.prompt_tokens, "completion_tokens": c.completion_tokens,
                "logprob": c.logprob, "error": c.error,
            }  # fmt: skip
            store.add(rec)
            have[r.key] = rec
            done += 1
            if progress:
                progress(done, len(todo))

        try:
            llm.generate(todo, on_result)
        finally:
            store.close()
        u = llm.usage
        usage.update(
            {"prompt_tokens": u.prompt_tokens, "completion_tokens": u.completion_tokens,
             "retries": u.retries, "errors": u.errors, "seconds": round(u.seconds, 3)}
        )  # fmt: skip
    return have, usage


def allowed_failures(spec: str, total: int) -> int:
    """How many of ``total`` prompts may finally fail: ``N`` prompts or ``P%`` of them;
    ValueError for anything else."""
    spec = spec.strip()
    try:
        if spec.endswith("%"):
            share = float(spec[:-1]) / 100
            if not 0 <= share <= 1:
                raise ValueError
            return int(share * total)
        count = int(spec)
        if count < 0:
            raise ValueError
        return count
    except ValueError:
        raise ValueError(
            f"--allow-failures: expected N or P% (like 10 or 5%), got {spec!r}"
        ) from None


def failure_summary(
    spec: str,
    requests: list[ChatRequest],
    have: dict[str, dict[str, Any]],
    answered_badly: Counter[str] | None = None,
) -> dict[str, Any]:
    """How many of ``requests`` finally failed (no answer, or ``answered_badly``: answers the
    caller could not use, by reason), the most common reason, and whether that is within
    ``--allow-failures`` ``spec``."""
    reasons = Counter(
        str(have[r.key]["error"]) if r.key in have else "never answered"
        for r in requests
        if r.key not in have or have[r.key].get("error")
    )
    reasons.update(answered_badly or Counter())
    count = sum(reasons.values())
    allowed = allowed_failures(spec, len(requests))
    top = reasons.most_common(1)[0] if reasons else None
    return {
        "count": count,
        "of": len(requests),
        "allowed": allowed,
        "within_allowed": count <= allowed,
        "most_common": {"error": top[0], "count": top[1]} if top else None,
    }
