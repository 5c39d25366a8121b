"""Resumable units: a unit's folder is named by the key of everything that defines its
result, and holds a ``done.json`` written last, so a unit either finished or reruns."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from mkdata.core.atomic import read_json, write_json_atomic

DONE = "done.json"


def unit_key(parts: list[Any]) -> str:
    """A stable 20-hex-digit key of ``parts`` (JSON with sorted keys)."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]


def file_identity(path: Path) -> list[Any]:
    """What identifies an input file's content for a unit key: path, size and mtime."""
    st = path.stat()
    return [str(path.resolve()), st.st_size, st.st_mtime_ns]


def done_result(unit_dir: Path) -> dict[str, Any] | None:
    """The result a finished unit recorded, or None when it did not finish."""
    return read_json(Path(unit_dir) / DONE)


def mark_done(unit_dir: Path, result: dict[str, Any]) -> None:
    """Record that the unit in ``unit_dir`` finished with ``result`` (written last, atomic)."""
    write_json_atomic(Path(unit_dir) / DONE, result)
