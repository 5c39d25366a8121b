"""Finished generations on disk, keyed by prompt, model and sampling parameters.

Each process appends JSON lines to its own file under ``OUT/.mkdata/generations/`` and
flushes every line, so a killed run loses at most the line being written (a torn last
line is ignored on reading) and a re-run does not ask the model again.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

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
