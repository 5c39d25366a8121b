"""What defines a QA build (light: the CLI reads its option defaults here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdata.builders import filters as F
from mkdata.core.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS

LAYOUTS = ("flat", "page")  # one row per QA pair, or one row per page (MFAQ)


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
    overwrite: bool = False  # replace another mkdata command's output in out
    params: dict[str, Any] = field(default_factory=dict)  # extra, recorded in the manifest
