"""CLI: `mkdata label`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mkdata.cli.common import (
    AllowFailuresOpt,
    Backend,
    BackendOpt,
    BaseUrlOpt,
    ConcurrencyOpt,
    EncoderOpt,
    InputsArg,
    MaxAttemptsOpt,
    ModelOpt,
    OutOpt,
    OverwriteOpt,
    RequestTimeoutOpt,
    WorkersOpt,
    backend_options,
    choices,
    out_console,
    progress_bar,
    report_failures,
    user_errors,
    warn_malformed,
)
from mkdata.label.label_config import TASKS, LabelConfig

Task = choices("Task", TASKS)


def label(
    inputs: InputsArg,
    out: OutOpt,
    model: ModelOpt,
    task: Annotated[
        Task, typer.Option(help="topic (8 classes), question-type (8 NFQA classes) or custom.")
    ] = Task[LabelConfig.task],
    backend: BackendOpt = Backend[LabelConfig.backend],
    base_url: BaseUrlOpt = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            help="Label set: JSON {labels: [{name, description}]} or name: description lines."
        ),
    ] = None,
    exemplars: Annotated[
        Path | None,
        typer.Option(
            help="Few-shot exemplars: JSON Lines of {question, answer, title, description, label}."
        ),
    ] = None,
    sample: Annotated[
        int | None, typer.Option(min=1, help="The LLM labels N rows per language (seeded).")
    ] = None,
    classifier: Annotated[
        bool,
        typer.Option(
            "--classifier",
            help="Train a classifier on the LLM's sample labels and label every row with it.",
        ),
    ] = False,
    encoder: EncoderOpt = LabelConfig.encoder,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = LabelConfig.seed,
    max_tokens: Annotated[
        int, typer.Option(min=8, help="Tokens per answer.")
    ] = LabelConfig.max_tokens,
    temperature: Annotated[
        float, typer.Option(min=0.0, help="Sampling temperature.")
    ] = LabelConfig.temperature,
    concurrency: ConcurrencyOpt = LabelConfig.concurrency,
    request_timeout: RequestTimeoutOpt = 120.0,
    max_attempts: MaxAttemptsOpt = 6,
    allow_failures: AllowFailuresOpt = LabelConfig.allow_failures,
    workers: WorkersOpt = LabelConfig.workers,
    overwrite: OverwriteOpt = False,
) -> None:
    """Label QA rows (question, answer, title, description) with a topic, a question type or
    your own labels: by an LLM, or by a classifier trained on an LLM-labelled sample."""
    from mkdata.label.run import run_label

    with user_errors():
        cfg = LabelConfig(
            inputs=list(inputs), out=out, task=task.value, backend=backend.value, model=model,
            base_url=base_url, labels=labels, exemplars=exemplars, sample=sample,
            classifier=classifier, encoder=encoder, seed=seed, max_tokens=max_tokens,
            temperature=temperature, concurrency=concurrency, allow_failures=allow_failures,
            workers=workers, overwrite=overwrite,
            backend_options=backend_options(
                backend.value, concurrency, max_attempts, request_timeout
            ),
        )  # fmt: skip
    with progress_bar() as progress:
        bar = progress.add_task("label", total=None, info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            progress.update(bar, description=event, total=info["total"], completed=info["done"])

        with user_errors(out):
            m = run_label(cfg, on_event).manifest
    info = m["label"]
    warn_malformed(info["malformed_records"], [])
    for lang, c in info["per_language"].items():
        top = max(c["labels"].items(), key=lambda kv: kv[1]) if c["rows"] > c["failed"] else None
        out_console.print(
            f"{lang}: {c['rows']} rows, {c['llm']} by the LLM, {c['classifier']} by the "
            f"classifier, {c['failed']} failed" + (f"; most common {top[0]}" if top else ""),
            highlight=False,
        )
    report = info.get("classifier")
    if report and report.get("overall") is not None:
        out_console.print(
            f"classifier agreement with the LLM on {report['held_out']} held-out rows: "
            f"{report['overall']:.1%}",
            highlight=False,
        )
    out_console.print(
        f"{sum(c['train'] for c in m['configs'].values())} rows written to {out} "
        f"({info['usage']['cached']} answers from earlier runs)",
        highlight=False,
    )
    report_failures(info["failures"])
