"""CLI: `mkdata synth passages|sap`."""

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
    Executor,
    ExecutorOpt,
    InputsArg,
    LangsOpt,
    MaxAttemptsOpt,
    ModelOpt,
    OutOpt,
    OverwriteOpt,
    RayAddressOpt,
    RequestTimeoutOpt,
    backend_options,
    choices,
    fail,
    filter_summary,
    out_console,
    parse_langs,
    progress_bar,
    report_failures,
    user_errors,
    warn_malformed,
)
from mkdata.synth.sap_config import FORMATS, MODES, SapConfig

app = typer.Typer(help="Synthesize queries with an LLM (SAP).", no_args_is_help=True)
Mode = choices("Mode", MODES)
SynthFormat = choices("SynthFormat", FORMATS)


@app.command("passages")
def synth_passages(
    inputs: InputsArg,
    out: OutOpt,
    words: Annotated[int, typer.Option(min=10, help="Words per passage (SWIM-IR: 100).")] = 100,
    overwrite: OverwriteOpt = False,
) -> None:
    """Cut documents (text; optional id, title, language) into ~N-word passages, the unit SAP
    generates queries for."""
    from mkdata.synth.passages import run_passages

    with user_errors(out):
        m = run_passages(list(inputs), out, words, overwrite)
    info = m["passages"]
    warn_malformed(info["malformed_records"], info.get("malformed_examples", []))
    out_console.print(
        f"wrote {m['configs']['default']['train']} passages from {m['passages']['documents']} documents to {out}",
        highlight=False,
    )


@app.command("sap")
def synth_sap(
    passages: InputsArg,
    out: OutOpt,
    langs: LangsOpt,
    model: ModelOpt,
    mode: Annotated[
        Mode, typer.Option(help="Queries in every --langs language, or the passage's own.")
    ] = Mode[SapConfig.mode],
    backend: BackendOpt = Backend[SapConfig.backend],
    base_url: BaseUrlOpt = None,
    exemplars: Annotated[
        Path | None, typer.Option(help="Folder overriding the shipped prompt files.")
    ] = None,
    max_passages: Annotated[
        int | None, typer.Option(min=1, help="Use the first N passages.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = SapConfig.seed,
    max_tokens: Annotated[
        int, typer.Option(min=16, help="Tokens per answer.")
    ] = SapConfig.max_tokens,
    temperature: Annotated[
        float, typer.Option(min=0.0, help="Sampling temperature.")
    ] = SapConfig.temperature,
    concurrency: ConcurrencyOpt = SapConfig.concurrency,
    round_trip_k: Annotated[
        int, typer.Option(min=0, help="Keep queries whose passage ranks in the top K (0: off).")
    ] = SapConfig.round_trip_k,
    lid_filter: Annotated[
        bool, typer.Option(help="Drop queries not in their language (fastText).")
    ] = SapConfig.lid_filter,
    output_format: Annotated[
        SynthFormat, typer.Option("--format", help="sap (mkdata's columns) or swim-ir.")
    ] = SynthFormat[SapConfig.format],
    request_timeout: RequestTimeoutOpt = 120.0,
    max_attempts: MaxAttemptsOpt = 6,
    allow_failures: AllowFailuresOpt = SapConfig.allow_failures,
    executor: ExecutorOpt = Executor.local,
    ray_address: RayAddressOpt = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Generate a summary, then a query, for each passage and target language (SAP)."""
    from mkdata.synth.sap import run_sap

    lang_list = parse_langs(langs)
    if lang_list is None:
        raise fail("--langs: list the target languages, e.g. deu,jpn,swa")
    with user_errors():
        cfg = SapConfig(
            passages=list(passages), out=out, langs=lang_list, mode=mode.value,
            backend=backend.value, overwrite=overwrite, executor=executor.value,
            allow_failures=allow_failures,
            ray_address=ray_address,
            model=model, base_url=base_url, exemplars=exemplars, max_passages=max_passages,
            seed=seed, max_tokens=max_tokens, temperature=temperature, concurrency=concurrency,
            round_trip_k=round_trip_k or None, lid_filter=lid_filter, format=output_format.value,
            backend_options=backend_options(
                backend.value, concurrency, max_attempts, request_timeout
            ),
        )  # fmt: skip
    with progress_bar() as progress:
        task = progress.add_task("generate", total=None, info="")

        def on_event(event: str, info: dict[str, Any]) -> None:
            progress.update(task, total=info["total"], completed=info["done"])

        with user_errors(out):
            m = run_sap(cfg, on_event)
    out_console.print(filter_summary(m["filters"], m["configs"]))
    sap = m["sap"]
    out_console.print(
        f"{sap['passages']['read']} passages, {sap['requests']} prompts "
        f"({sap['usage']['cached']} from earlier runs), "
        f"{sum(c['train'] for c in m['configs'].values())} queries kept in {out}",
        highlight=False,
    )
    report_failures(sap["failures"])
