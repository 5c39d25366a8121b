"""Run a command and measure it: wall time and the peak resident memory of its whole process
tree (the process and all its children, summed, sampled every 20 ms with psutil)."""

from __future__ import annotations

import compileall
import contextlib
import os
import subprocess
import time
from pathlib import Path

import psutil


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak tree RSS in MiB) of ``cmd``; SystemExit with its stderr when it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            total = 0
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
            peak = max(peak, total)
        except psutil.Error:
            pass
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-3000:]}")
    return seconds, peak / 2**20


def compile_mkdata() -> None:
    """Byte-compile mkdata's modules, as an install from a wheel does: where
    PYTHONDONTWRITEBYTECODE is set (this machine) or the tree is read-only, every measured
    process would otherwise compile them again at start-up."""
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "mkdata", quiet=1)


DEFAULT_WORK = Path(__file__).resolve().parent / "_work"
WORK_MARK = ".mkdata-bench"  # in a work folder a benchmark made: its files may be replaced


def work_folder(path: Path) -> Path:
    """``path``, made a benchmark's work folder, where it writes and replaces its corpora and
    outputs: SystemExit where ``path`` is a file, or already holds files no benchmark wrote
    (a folder neither empty, nor marked by an earlier run, nor the default
    ``benchmarks/_work``)."""
    if path.exists() and not path.is_dir():
        raise SystemExit(f"--work {path}: not a folder")
    mark = path / WORK_MARK
    marked = mark.exists() or path.resolve() == DEFAULT_WORK
    if path.is_dir() and not marked and any(path.iterdir()):
        raise SystemExit(f"--work {path}: holds files no benchmark wrote; pick another folder")
    path.mkdir(parents=True, exist_ok=True)
    mark.touch()
    return path


def given_input(path: Path, work: Path, flag: str) -> Path:
    """``path``, an input given with ``flag``, checked to be a file outside the work folder
    ``work`` (where a benchmark replaces files and folders; its real path, links followed):
    SystemExit otherwise. What a benchmark writes into ``work`` goes to a new file (an
    existing name is unlinked first), so a link there to an input leaves the input as it is."""
    if path.is_dir():
        raise SystemExit(f"{flag} {path}: a folder; give its files")
    if not path.is_file():
        raise SystemExit(f"{flag} {path}: no such file")
    if path.resolve().is_relative_to(work.resolve()):
        raise SystemExit(
            f"{flag} {path}: inside the work folder {work}, where this script replaces files; "
            "pass it from elsewhere or pick another --work"
        )
    return path


def distinct_files(paths: list[Path], flag: str) -> list[Path]:
    """``paths``, SystemExit where two name the same file (links followed)."""
    for i, a in enumerate(paths):
        for b in paths[i + 1 :]:
            if os.path.samefile(a, b):
                raise SystemExit(f"{flag}: {a} and {b} are the same file")
    return paths
