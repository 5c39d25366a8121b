"""The statistics records of a dataset card: what :mod:`mkdata.cards.stats` computes and the
card and its charts read. numpy and the standard library only, so the chart helper process
(:mod:`mkdata.cards.chart_process`) can unpickle them without importing polars."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


@dataclass
class SplitStats:
    """The statistics of one config's split."""

    config: str
    split: str
    rows: int
    lengths: dict[str, dict[str, float]] = field(default_factory=dict)  # column -> p5..p95
    languages: dict[str, float] = field(default_factory=dict)  # language -> share of rows
    top_origins: list[tuple[str, int]] = field(default_factory=list)
    duplicates: float = 0.0  # share of checked rows equal to an earlier one
    duplicates_checked: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DatasetStats:
    """Every split's statistics, and the raw distributions the charts draw."""

    directory: str
    record: str
    command: str
    splits: list[SplitStats]
    char_lengths: dict[str, np.ndarray] = field(default_factory=dict)  # column -> all rows
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # "positive"/"negative"/"score"

    def to_dict(self) -> dict[str, Any]:
        """The statistics as JSON-ready data (distributions left out)."""
        return {
            "directory": self.directory,
            "record": self.record,
            "command": self.command,
            "splits": [asdict(s) for s in self.splits],
        }
