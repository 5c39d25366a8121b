"""What defines a `mkdata export beir` run (light: the CLI reads its defaults here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SPLITS_BY = ("origin", "none")


@dataclass
class BeirExportConfig:
    """What `export beir` does; equal configs give identical output."""

    input: Path
    out: Path
    test_size: float = 10_000  # queries per language (a fraction when < 1)
    max_test_share: float = 0.5  # never more than this share of a language's queries
    split_by: str = "origin"
    seed: int = 0
    trec: bool = False  # also write OUT/trec/<lang>/ (ir_datasets-style jsonl + TREC qrels)
    overwrite: bool = False
    workers: int = 1
    executor: str = "local"  # or "ray": one unit per language
    ray_address: str | None = None

    def __post_init__(self) -> None:
        if self.split_by not in SPLITS_BY:
            raise ValueError(f"unknown --split-by {self.split_by!r}: expected origin or none")
        if self.test_size <= 0:
            raise ValueError("--test-size must be > 0")
