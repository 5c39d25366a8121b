"""What defines an LLM judgement of mined bitext (light: the CLI reads its defaults here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdata.core.generations import allowed_failures
from mkdata.core.llm import BACKENDS


@dataclass
class JudgeConfig:
    """A sample of mined pairs scored 0-100 for translation equivalence by an LLM."""

    mined: Path
    out: Path
    backend: str = "vllm"
    model: str = ""
    base_url: str | None = None
    sample: int = 200  # pairs per language pair
    cutoff: int = 70  # a pair judged at or above this is a correct translation
    target_precision: float = 0.95  # --pick-threshold: the lowest margin reaching this
    configs: list[str] | None = None
    seed: int = 0
    max_tokens: int = 16
    temperature: float = 0.0
    allow_failures: str = "0"
    overwrite: bool = False
    backend_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}: expected vllm or openai")
        if not self.model:
            raise ValueError("--judge needs --model")
        if not 0 <= self.cutoff <= 100:
            raise ValueError(f"--judge-cutoff must be in 0..100, got {self.cutoff}")
        if not 0 < self.target_precision <= 1:
            raise ValueError(f"--target-precision must be in (0, 1], got {self.target_precision}")
        allowed_failures(self.allow_failures, 0)

    def sampling(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature}
