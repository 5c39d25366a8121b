"""The console entry point ends the process without the interpreter's teardown, once the
command's exit code is known and every exit handler has run."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import atexit, sys, threading, time
from pathlib import Path
import mkdata.cli
atexit.register(lambda: print("exit handler ran", flush=True))
mode = sys.argv.pop(1)
if mode == "thread":  # a thread that is not a daemon still writes after the command
    target = Path(sys.argv.pop())
    def late():
        time.sleep(0.5)
        target.write_text("written")
    threading.Thread(target=late).start()
if mode == "crash":
    mkdata.cli.main = lambda: 1 / 0
sys.argv[0] = "mkdata"
mkdata.cli.run()
"""


def probe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args, code",
    [(("plain", "--help"), 0), (("plain", "build", "--no-such-option"), 2)],
    ids=["help", "usage-error"],
)
def test_exit_code_output_and_exit_handlers(args: tuple[str, ...], code: int) -> None:
    proc = probe(*args)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout.rstrip().endswith("exit handler ran")
    assert ("Usage: mkdata" in proc.stdout) == (code == 0)


def test_a_running_thread_or_a_crash_ends_the_process_as_usual(tmp_path) -> None:
    late = tmp_path / "late.txt"
    proc = probe("thread", "--help", str(late))
    assert proc.returncode == 0, proc.stderr
    assert late.read_text() == "written"  # the thread was waited for
    assert proc.stdout.rstrip().endswith("exit handler ran")  # once, after it
    assert proc.stdout.count("exit handler ran") == 1
    proc = probe("crash", "--help")
    assert proc.returncode == 1
    assert "ZeroDivisionError" in proc.stderr


@pytest.mark.parametrize("tool", ["cProfile", "trace"])
def test_a_profiled_or_traced_run_ends_as_usual(tool: str, tmp_path) -> None:
    """A profiler or tracer writes its results after the command: the process must live on."""
    if tool == "cProfile":
        out = tmp_path / "run.prof"
        cmd = ["-m", "cProfile", "-o", str(out), "-m", "mkdata", "--help"]
    else:  # the standard library's tracer writes its counts at its own end
        out = tmp_path / "counts"
        cmd = ["-m", "trace", "--count", "--file", str(out), "-C", str(tmp_path)]
        cmd += ["--module", "mkdata", "--help"]
    proc = subprocess.run([sys.executable, *cmd], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Usage:" in proc.stdout
    assert out.stat().st_size > 0
