"""`mkdata run PIPELINE.toml`: a declarative chain of mkdata stages for schedulers.

Each ``[[stage]]`` names an mkdata ``command`` (``build webfaq``, ``dedup``, ``mine bitext``,
``export beir``, ``card``, ``push``...), its ``input`` (paths, or ``@stage`` for another
stage's output), its ``out`` directory and its ``args`` (option names as on the command
line, ``true``/``false`` for flags, lists for repeatable options; ``~`` and ``$VARS`` in
values are expanded). A stage runs as
``python -m mkdata COMMAND ...`` in a child process, so it behaves exactly as typed.

State lives in ``WORKDIR/.mkdata-pipeline/``: a stage's fingerprint (command, args,
mkdata version, its inputs' fingerprints: upstream stages' own fingerprints, or size and
mtime of input files) is recorded when it succeeds, and a re-run skips every stage whose
fingerprint and output are unchanged. A lock file refuses a second concurrent run.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mkdata import __version__

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]
from mkdata.core.atomic import read_json, write_json_atomic

STATE = ".mkdata-pipeline"
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the lock; retry later
NO_OUT = {"card", "push"}  # commands that work on their input in place


class PipelineError(ValueError):
    """The pipeline file is invalid."""


class LockedError(RuntimeError):
    """Another run holds the pipeline's lock."""


@dataclass
class Stage:
    """One stage: what it runs, on what, into where."""

    name: str
    command: str
    inputs: list[str] = field(default_factory=list)
    out: str | None = None
    args: dict[str, Any] = field(default_factory=dict)

    def upstream(self) -> list[str]:
        return [i[1:] for i in self.inputs if i.startswith("@")]


@dataclass
class Pipeline:
    """A parsed pipeline file."""

    path: Path
    workdir: Path
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)


def load_pipeline(path: Path) -> Pipeline:
    """Parse and check ``path``; PipelineError (one line) when it is invalid."""
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise PipelineError(f"{path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PipelineError(f"{path}: not valid TOML ({exc})") from None
    meta = data.get("pipeline", {})
    workdir = Path(path).parent / meta.get("workdir", ".")
    raw = data.get("stage", [])
    if not raw:
        raise PipelineError(f"{path}: no [[stage]] tables")
    stages: list[Stage] = []
    for n, item in enumerate(raw, 1):
        name = item.get("name") or f"stage{n}"
        command = item.get("command")
        if not isinstance(command, str) or not command.strip():
            raise PipelineError(f"{path}: stage {name!r} has no command")
        inputs = item.get("input", [])
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        out = item.get("out")
        if out is None and command not in NO_OUT:
            raise PipelineError(f"{path}: stage {name!r} ({command}) needs an out directory")
        if name in {s.name for s in stages}:
            raise PipelineError(f"{path}: two stages are named {name!r}")
        stage = Stage(
            name, command.strip(), [str(i) for i in inputs], out, dict(item.get("args", {}))
        )
        for up in stage.upstream():
            if up not in {s.name for s in stages}:
                raise PipelineError(
                    f"{path}: stage {name!r} uses @{up}, which is not an earlier stage"
                )
        stages.append(stage)
    return Pipeline(Path(path), workdir, stages)


def _resolve(p: Pipeline, stage: Stage, ref: str) -> Path:
    if ref.startswith("@"):
        up = p.stage(ref[1:])
        return _output(p, up)
    return (p.path.parent / ref).resolve() if not Path(ref).is_absolute() else Path(ref)


def _output(p: Pipeline, stage: Stage) -> Path:
    if stage.out is None:
        return _resolve(p, stage, stage.inputs[0])
    return (p.workdir / stage.out).resolve()


def command_line(p: Pipeline, stage: Stage) -> list[str]:
    """The mkdata argument list the stage runs."""
    argv = [*stage.command.split(), *(str(_resolve(p, stage, i)) for i in stage.inputs)]
    if stage.out is not None and stage.command not in NO_OUT:
        argv += ["--out", str(_output(p, stage))]
    for key, value in stage.args.items():
        opt = "--" + key.replace("_", "-")
        if value is True:
            argv.append(opt)
        elif value is False:
            argv.append("--no-" + key.replace("_", "-"))
        elif isinstance(value, list):
            for v in value:
                argv += [opt, str(v)]
        else:
            argv += [opt, os.path.expandvars(os.path.expanduser(str(value)))]
    return argv


def _file_state(path: Path) -> list[Any]:
    if path.is_file():
        st = path.stat()
        return [str(path), st.st_size, st.st_mtime_ns]
    if path.is_dir():
        return [
            [str(f.relative_to(path)), f.stat().st_size, f.stat().st_mtime_ns]
            for f in sorted(path.rglob("*"))
            if f.is_file() and STATE not in f.parts and ".mkdata" not in f.parts
        ]
    return [str(path), None]


def fingerprints(p: Pipeline) -> dict[str, str]:
    """Each stage's fingerprint, in order."""
    out: dict[str, str] = {}
    for stage in p.stages:
        inputs = [
            out[i[1:]] if i.startswith("@") else _file_state(_resolve(p, stage, i))
            for i in stage.inputs
        ]
        key = json.dumps(
            [__version__, stage.command, stage.args, stage.out, inputs], sort_keys=True, default=str
        )
        out[stage.name] = hashlib.sha256(key.encode()).hexdigest()[:24]
    return out


@contextmanager
def pipeline_lock(workdir: Path) -> Iterator[None]:
    """Hold ``WORKDIR/.mkdata-pipeline/lock``; LockedError when another process has it."""
    state = workdir / STATE
    state.mkdir(parents=True, exist_ok=True)
    fh = open(state / "lock", "a+")  # noqa: SIM115 (held for the whole run)
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise LockedError(f"another run holds {state / 'lock'} (pid {holder})") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        yield
    finally:
        fh.close()


@dataclass
class StageResult:
    """What happened to one stage."""

    name: str
    status: str  # "done", "skipped", "failed", "planned"
    reason: str
    seconds: float = 0.0
    returncode: int = 0


def plan(p: Pipeline) -> list[tuple[Stage, str | None]]:
    """Each stage with why it must run, or None when it is up to date."""
    prints = fingerprints(p)
    state = p.workdir / STATE
    rerun: set[str] = set()
    out = []
    for stage in p.stages:
        done = read_json(state / f"{stage.name}.json")
        output = _output(p, stage)
        if any(u in rerun for u in stage.upstream()):
            reason = "an upstream stage runs"
        elif done is None:
            reason = "never ran"
        elif done.get("fingerprint") != prints[stage.name]:
            reason = "inputs or parameters changed"
        elif stage.command not in NO_OUT and not (output / "mkdata.json").exists():
            reason = "output missing"
        else:
            reason = None
        if reason:
            rerun.add(stage.name)
        out.append((stage, reason))
    return out


def run_pipeline(
    p: Pipeline, dry_run: bool = False, log: Callable[[dict[str, Any]], None] | None = None
) -> list[StageResult]:
    """Run the stages that are missing or stale, in order; stop at the first failure."""
    emit = log or (lambda event: None)
    prints = fingerprints(p)
    results: list[StageResult] = []
    with pipeline_lock(p.workdir):
        for stage, reason in plan(p):
            argv = command_line(p, stage)
            if reason is None:
                results.append(StageResult(stage.name, "skipped", "up to date"))
                emit({"event": "stage_skipped", "stage": stage.name})
                continue
            if dry_run:
                results.append(StageResult(stage.name, "planned", reason))
                emit(
                    {"event": "stage_planned", "stage": stage.name, "reason": reason, "argv": argv}
                )
                continue
            emit({"event": "stage_start", "stage": stage.name, "reason": reason, "argv": argv})
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "mkdata", *argv], capture_output=True, text=True
            )
            seconds = round(time.perf_counter() - started, 3)
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
                results.append(StageResult(stage.name, "failed", last, seconds, proc.returncode))
                emit({"event": "stage_failed", "stage": stage.name, "returncode": proc.returncode,
                      "error": last, "seconds": seconds})  # fmt: skip
                break
            write_json_atomic(
                p.workdir / STATE / f"{stage.name}.json",
                {"fingerprint": prints[stage.name], "argv": argv, "seconds": seconds},
            )
            results.append(StageResult(stage.name, "done", reason, seconds))
            emit({"event": "stage_done", "stage": stage.name, "seconds": seconds})
    return results
