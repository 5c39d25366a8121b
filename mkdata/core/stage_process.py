"""One pipeline stage as a child process: its own process group, its output in a log file,
stopped with `mkdata run` (signals forwarded to the group; the kernel's parent-death signal
when `mkdata run` is killed outright)."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from contextlib import suppress
from pathlib import Path
from typing import Any


def _die_with_parent() -> None:
    """In the stage process: get SIGTERM when `mkdata run` dies, even by SIGKILL (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def error_line(log_text: str) -> str:
    """The line that says why a stage failed: its last ``error:`` line, else its last line
    that is not decoration (box drawing, blank)."""
    lines = [x.strip() for x in log_text.splitlines() if x.strip()]
    errors = [x for x in lines if x.startswith("error:")]
    if errors:
        return errors[-1]
    plain = [x for x in lines if any(c.isalnum() for c in x)]
    return plain[-1] if plain else "(no message)"


def run_stage(argv: list[str], log_path: Path, lock_fd: int) -> tuple[int, str]:
    """Run one stage as ``python -m mkdata ARGV`` in its own process group, output to
    ``log_path``; return its exit code and error line. A signal that stops this process
    stops the stage's group first."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mkdata", *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            pass_fds=(lock_fd,),
            preexec_fn=_die_with_parent,
            env={**os.environ, "COLUMNS": os.environ.get("COLUMNS", "120")},
        )

        def stop(signum: int, frame: Any) -> None:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            raise SystemExit(128 + signum)  # the finally below waits for the group

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            code = proc.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            if proc.poll() is None:
                _stop_group(proc)
    text = log_path.read_text("utf-8", errors="replace")
    return code, "" if code == 0 else error_line(text)


def _stop_group(proc: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM the stage's process group, then SIGKILL what is left after ``grace`` seconds."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    with suppress(subprocess.TimeoutExpired):
        proc.wait(grace)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
