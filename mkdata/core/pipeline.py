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
fingerprint and output are unchanged; each stage's output goes to ``logs/<stage>.log``.
A lock file refuses a second concurrent run; the running stage inherits the lock, so it is
held until the stage process is gone too.

Confinement: the workdir is a relative path below the pipeline file without ``..``; stage
names are plain names; stage outputs (and the inputs of in-place commands such as
``card``) must lie inside the workdir. Anything else is a PipelineError (exit 2) before
any stage runs. Stopping ``mkdata run`` (SIGTERM, SIGINT, or SIGKILL through the stage's
parent-death signal) stops its running stage's whole process group.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
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
from mkdata.core.errors import MkdataError, OutputLocked
from mkdata.core.stage_process import run_stage

STATE = ".mkdata-pipeline"
NO_OUT = {
    "card",
    "push",
    "eval bitext",
    "eval retrieval",
}  # commands that read or change their input in place
FILE_ARGS = {"json"}  # arguments naming a file a stage writes: confined to the workdir
WRITES_INPUT = {"card"}  # ...and of those, the ones that write into it
STAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
StageCheck = Callable[[str, dict[str, Any], bool], "str | None"]  # (command, args, has out)


class PipelineError(MkdataError, ValueError):
    """The pipeline file is invalid (exit 2)."""


class LockedError(OutputLocked):
    """Another run holds the pipeline's lock (exit 75)."""


@dataclass
class Stage:
    """One stage: what it runs, on what, into where."""

    name: str
    command: str
    inputs: list[str] = field(default_factory=list)
    out: str | None = None
    args: dict[str, Any] = field(default_factory=dict)

    def upstream(self) -> list[str]:
        """The earlier stages this one reads (``@stage`` or ``@stage/a/path/inside``)."""
        return [stage_ref(i)[0] for i in self.inputs if i.startswith("@")]


@dataclass
class Pipeline:
    """A parsed pipeline file."""

    path: Path
    workdir: Path
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)


def _confined(path: Path, where: str, value: str, workdir: Path) -> None:
    """PipelineError unless ``value`` (relative, no ``..``) resolves inside ``workdir``."""
    rel = Path(value)
    if not value or rel.is_absolute() or ".." in rel.parts or str(value).startswith("~"):
        raise PipelineError(
            f"{path}: {where} {value!r} must be a relative path inside the workdir (no '..')"
        )
    target = (workdir / rel).resolve()
    if target != workdir.resolve() and workdir.resolve() not in target.parents:
        raise PipelineError(f"{path}: {where} {value!r} leaves the workdir (a symbolic link?)")
    if target == workdir.resolve():
        raise PipelineError(f"{path}: {where} {value!r} is the workdir itself")
    if STATE in rel.parts:
        raise PipelineError(f"{path}: {where} {value!r} is inside the pipeline's state folder")


def load_pipeline(path: Path, check: StageCheck | None = None) -> Pipeline:
    """Parse and check ``path``; PipelineError (one line) when it is invalid.

    ``check(command, args)`` returns a problem (unknown command or option) or None.
    """
    try:
        data = tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise PipelineError(f"{path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PipelineError(f"{path}: not valid TOML ({exc})") from None
    meta = data.get("pipeline", {})
    raw_workdir = str(meta.get("workdir", "."))
    if Path(raw_workdir).is_absolute() or ".." in Path(raw_workdir).parts or raw_workdir[:1] == "~":
        raise PipelineError(
            f"{path}: workdir {raw_workdir!r} must be a relative path below the pipeline file"
        )
    workdir = Path(path).parent / raw_workdir
    raw = data.get("stage", [])
    if not raw:
        raise PipelineError(f"{path}: no [[stage]] tables")
    stages: list[Stage] = []
    for n, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise PipelineError(f"{path}: stage {n} is not a table")
        name = item.get("name") or f"stage{n}"
        if not isinstance(name, str) or not STAGE_NAME.match(name):
            raise PipelineError(
                f"{path}: stage name {name!r} must be letters, digits, '_', '.' or '-'"
            )
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
        args = item.get("args", {})
        if not isinstance(args, dict):
            raise PipelineError(f"{path}: stage {name!r}: args must be a table")
        stage = Stage(name, " ".join(command.split()), [str(i) for i in inputs], out, dict(args))
        if out is not None:
            _confined(path, f"stage {name!r} out", str(out), workdir)
        for key in FILE_ARGS & set(stage.args):
            _confined(path, f"stage {name!r} {key}", str(stage.args[key]), workdir)
        if stage.command in WRITES_INPUT and not all(i.startswith("@") for i in stage.inputs):
            raise PipelineError(
                f"{path}: stage {name!r} ({stage.command}) writes into its input, which must "
                "be an earlier stage's output (@stage)"
            )
        if check is not None and (problem := check(stage.command, stage.args, out is not None)):
            raise PipelineError(f"{path}: stage {name!r}: {problem}")
        for up in stage.upstream():
            if up not in {s.name for s in stages}:
                raise PipelineError(
                    f"{path}: stage {name!r} uses @{up}, which is not an earlier stage"
                )
        for ref in stage.inputs:
            inside = stage_ref(ref)[1] if ref.startswith("@") else ""
            if inside and (Path(inside).is_absolute() or ".." in Path(inside).parts):
                raise PipelineError(
                    f"{path}: stage {name!r}: {ref!r} must name a path inside @{stage_ref(ref)[0]}"
                )
        stages.append(stage)
    pipeline = Pipeline(Path(path), workdir, stages)
    _check_outputs(pipeline)
    return pipeline


def _check_outputs(p: Pipeline) -> None:
    """PipelineError when two stages write into one another's output, or a stage that writes
    into its input would write outside the workdir."""
    root = p.workdir.resolve()
    outs = {s.name: (p.workdir / s.out).resolve() for s in p.stages if s.out is not None}
    for a, pa in outs.items():
        for b, pb in outs.items():
            if a != b and (pa == pb or pb in pa.parents):
                raise PipelineError(f"{p.path}: stage {a!r} writes inside stage {b!r}'s output")
    for stage in p.stages:
        if stage.command in WRITES_INPUT:
            target = _resolve(p, stage, stage.inputs[0]) if stage.inputs else root
            if target == root or root not in target.parents:
                raise PipelineError(
                    f"{p.path}: stage {stage.name!r} ({stage.command}) would write into "
                    f"{target}, outside the workdir"
                )


def stage_ref(ref: str) -> tuple[str, str]:
    """(stage name, path inside its output) of ``@stage`` or ``@stage/sub/path``."""
    name, _, inside = ref[1:].partition("/")
    return name, inside


def _resolve(p: Pipeline, stage: Stage, ref: str) -> Path:
    if ref.startswith("@"):
        name, inside = stage_ref(ref)
        return _output(p, p.stage(name)) / inside if inside else _output(p, p.stage(name))
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
        elif key in FILE_ARGS:  # a file the stage writes: in the workdir, as checked
            argv += [opt, str((p.workdir / str(value)).resolve())]
        else:
            for v in value if isinstance(value, list) else [value]:
                argv += [opt, _arg_value(p, v)]
    return argv


def _arg_value(p: Pipeline, value: Any) -> str:
    """An argument as the stage gets it: ``~`` and ``$VARS`` expanded, and a relative path
    that exists beside the pipeline file made absolute (so it does not depend on the
    directory `mkdata run` is started from)."""
    text = os.path.expandvars(os.path.expanduser(str(value)))
    path = _arg_path(p, text)
    return str(path) if path is not None else text


def _arg_path(p: Pipeline, text: str) -> Path | None:
    """The file or folder an argument names, when it looks like a path and exists."""
    looks = (
        "/" in text or text.startswith(".") or Path(text).suffix in (".jsonl", ".parquet", ".gz")
    )
    if not looks:
        return None
    path = Path(text) if Path(text).is_absolute() else p.path.parent / text
    return path.resolve() if path.exists() else None


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


def _upstream_print(prints: dict[str, str], ref: str) -> Any:
    name, inside = stage_ref(ref)
    return [prints[name], inside] if inside else prints[name]


def fingerprints(p: Pipeline) -> dict[str, str]:
    """Each stage's fingerprint, in order."""
    out: dict[str, str] = {}
    for stage in p.stages:
        inputs = [
            _upstream_print(out, i) if i.startswith("@") else _file_state(_resolve(p, stage, i))
            for i in stage.inputs
        ]
        for value in stage.args.values():  # files named in arguments (--against, --corpus...)
            for v in value if isinstance(value, list) else [value]:
                text = os.path.expandvars(os.path.expanduser(str(v)))
                if isinstance(v, str) and (path := _arg_path(p, text)) is not None:
                    inputs.append(_file_state(path))
        key = json.dumps(
            [__version__, stage.command, stage.args, stage.out, inputs], sort_keys=True, default=str
        )
        out[stage.name] = hashlib.sha256(key.encode()).hexdigest()[:24]
    return out


@contextmanager
def pipeline_lock(workdir: Path) -> Iterator[int]:
    """Hold ``WORKDIR/.mkdata-pipeline/lock``; yield its file descriptor (a stage process that
    inherits it keeps the lock held); LockedError when another process has it."""
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
        yield fh.fileno()
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
    log: Path | None = None  # the stage's output (stdout and stderr)


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
    with pipeline_lock(p.workdir) as lock_fd:
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
            log_path = p.workdir / STATE / "logs" / f"{stage.name}.log"
            emit({"event": "stage_start", "stage": stage.name, "reason": reason, "argv": argv,
                  "log": str(log_path)})  # fmt: skip
            started = time.perf_counter()
            code, error = run_stage(argv, log_path, lock_fd)
            seconds = round(time.perf_counter() - started, 3)
            if code != 0:
                results.append(StageResult(stage.name, "failed", error, seconds, code, log_path))
                emit({"event": "stage_failed", "stage": stage.name, "returncode": code,
                      "error": error, "seconds": seconds, "log": str(log_path)})  # fmt: skip
                break
            write_json_atomic(
                p.workdir / STATE / f"{stage.name}.json",
                {"fingerprint": prints[stage.name], "argv": argv, "seconds": seconds},
            )
            results.append(StageResult(stage.name, "done", reason, seconds, 0, log_path))
            emit({"event": "stage_done", "stage": stage.name, "seconds": seconds,
                  "log": str(log_path)})  # fmt: skip
    return results
