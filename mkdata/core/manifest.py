"""``mkdata.json``: what a command did (tool, parameters, inputs, counts, stages, timings).

Secrets never go in: parameters are recorded as given on the command line, and
values of keys that look like credentials are masked.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Any

from mkdata import __version__
from mkdata.core.atomic import read_json, write_json_atomic
from mkdata.core.secrets import mask_params

MANIFEST = "mkdata.json"


def file_checksum(path: Path, chunk: int = 1 << 20) -> str:
    """Return ``sha256:<hex>`` of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return f"sha256:{h.hexdigest()}"


def new_manifest(command: str, params: dict[str, Any]) -> dict[str, Any]:
    """Start a manifest for ``command`` run with ``params``."""
    return {
        "tool": {"name": "mkdata", "version": __version__},
        "command": command,
        "argv": [a for a in sys.argv[1:] if "token" not in a.lower()],
        "parameters": mask_params(params),
    }


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest`` to ``out/mkdata.json`` atomically and return its path."""
    path = Path(out) / MANIFEST
    write_json_atomic(path, manifest)
    return path


def source_manifest(inputs: list[Path]) -> dict[str, Any]:
    """The manifest of the first input that is an mkdata dataset directory, else ``{}``."""
    for p in inputs:
        try:
            return read_manifest(p)
        except (FileNotFoundError, ValueError, NotADirectoryError):
            continue
    return {}


def read_manifest(out: Path) -> dict[str, Any]:
    """Return the manifest of dataset directory ``out``; FileNotFoundError when absent,
    ValueError (naming the file) when it is not a manifest: not JSON, not an object, or
    ``configs`` not a map of each config's splits to row counts."""
    path = Path(out) / MANIFEST
    try:
        data = read_json(path)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if data is None:
        raise FileNotFoundError(f"{path} not found: not an mkdata dataset")
    configs = data.get("configs", {}) if isinstance(data, dict) else None
    if not isinstance(configs, dict) or not all(
        isinstance(splits, dict) and all(type(n) is int for n in splits.values())
        for splits in configs.values()
    ):
        raise ValueError(
            f"{path}: not an mkdata manifest (it must be an object whose configs map each "
            "config's splits to row counts)"
        )
    return data
