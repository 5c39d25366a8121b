"""A build killed with SIGKILL and re-run gives the same shards as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import run_cli
from nquads_gen import write_corpus


def _shards(out):
    return {p.relative_to(out): p.read_bytes() for p in sorted((out / "data").rglob("*.parquet"))}


def test_kill_9_then_rerun_matches_uninterrupted(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(4):
        write_corpus(src / f"part_{i}.gz", 4_000_000, seed=i)
    args = ["build", "webfaq", "--source", str(src), "--min-rows", "1"]

    ref = tmp_path / "ref"
    run_cli(*args, "--out", str(ref), check=True)

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdata", *args, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parts = out / ".mkdata" / "parts"
    deadline = time.time() + 120
    while time.time() < deadline and not list(parts.glob("*/done.json")):
        time.sleep(0.02)
    assert proc.poll() is None, "build finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(parts.glob("*/done.json")))
    assert 1 <= done < 4
    assert not (out / "data").exists()  # nothing half-published

    finished = {p: p.stat().st_mtime_ns for p in parts.glob("*/done.json")}
    rerun = run_cli(*args, "--out", str(out), check=True)
    assert {p: p.stat().st_mtime_ns for p in finished} == finished  # not redone
    assert "wrote" in rerun.stdout
    assert _shards(out) == _shards(ref)
    assert len(_shards(ref)) >= 10


def test_two_workers_give_the_same_shards_as_one(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        write_corpus(src / f"part_{i}.gz", 600_000, seed=10 + i)
    args = ["build", "webfaq", "--source", str(src), "--min-rows", "1"]
    run_cli(*args, "--out", str(tmp_path / "w1"), check=True)
    run_cli(*args, "--workers", "2", "--out", str(tmp_path / "w2"), check=True)
    assert _shards(tmp_path / "w1") == _shards(tmp_path / "w2") != {}
