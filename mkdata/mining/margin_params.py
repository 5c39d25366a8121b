"""How margin mining finds and scores candidates (light: no numpy)."""

from __future__ import annotations

from dataclasses import dataclass

MARGINS = ("ratio", "distance", "absolute")
STRATEGIES = ("max", "intersect", "forward", "backward")
INDEXES = ("flat", "ivf")


@dataclass(frozen=True)
class MarginParams:
    """How candidates are found and scored."""

    margin: str = "ratio"
    k: int = 4
    strategy: str = "max"
    index: str = "flat"
    nprobe: int = 16

    def __post_init__(self) -> None:
        if self.margin not in MARGINS:
            raise ValueError(f"unknown margin {self.margin!r}: expected {', '.join(MARGINS)}")
        if self.strategy not in STRATEGIES:
            raise ValueError(
                f"unknown strategy {self.strategy!r}: expected {', '.join(STRATEGIES)}"
            )
        if self.k < 1:
            raise ValueError(f"k must be >= 1, got {self.k}")
