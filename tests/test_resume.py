"""A build killed with SIGKILL and re-run gives the same shards as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import run_cli
from nquads_gen import write_corpus


def _shards(out):
    return {p.relative_to(out): p.read_bytes() for p in sorted((out / "data").rglob("*.parquet"))}


@pytest.fixture(scope="module")
def corpus_and_reference(tmp_path_factory):
    """Four N-Quads parts and the shards of an uninterrupted one-worker build of them."""
    src = tmp_path_factory.mktemp("src")
    for i in range(4):
        write_corpus(src / f"part_{i}.gz", 4_000_000, seed=i)
    args = ["build", "webfaq", "--source", str(src), "--min-rows", "1"]
    ref = tmp_path_factory.mktemp("ref") / "out"
    run_cli(*args, "--out", str(ref), check=True)
    assert len(_shards(ref)) >= 10
    return args, _shards(ref)


@pytest.mark.parametrize(
    "sig, workers",
    [(signal.SIGKILL, "1"), (signal.SIGINT, "2")],
    ids=["kill-9", "ctrl-c-2-workers"],
)
def test_stopped_build_then_rerun_matches_uninterrupted(
    tmp_path, corpus_and_reference, sig, workers
):
    """SIGKILL of the build's process, or Ctrl-C (SIGINT to its process group, as a terminal
    sends it) of a build whose units run on this process and a worker process."""
    args, ref = corpus_and_reference
    args = [*args, "--workers", workers]
    out = tmp_path / "stopped"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdata", *args, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    parts = out / ".mkdata" / "parts"
    deadline = time.time() + 120
    while time.time() < deadline and not list(parts.glob("*/done.json")):
        time.sleep(0.02)
    assert proc.poll() is None, "build finished before it could be stopped"
    if sig == signal.SIGKILL:
        os.kill(proc.pid, sig)
    else:
        os.killpg(proc.pid, sig)
    assert proc.wait(60) != 0
    done = len(list(parts.glob("*/done.json")))
    assert 1 <= done < 4
    assert not (out / "data").exists()  # nothing half-published
    deadline = time.time() + 30  # no process of the build outlives it
    while time.time() < deadline and _group_alive(proc.pid):
        time.sleep(0.1)
    assert not _group_alive(proc.pid)

    finished = {p: p.stat().st_mtime_ns for p in parts.glob("*/done.json")}
    rerun = run_cli(*args, "--out", str(out), check=True)
    assert {p: p.stat().st_mtime_ns for p in finished} == finished  # not redone
    assert "wrote" in rerun.stdout
    assert _shards(out) == ref


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_workers_give_the_same_shards_as_one(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(3):
        write_corpus(src / f"part_{i}.gz", 600_000, seed=10 + i)
    args = ["build", "webfaq", "--source", str(src), "--min-rows", "1"]
    run_cli(*args, "--out", str(tmp_path / "w1"), check=True)
    run_cli(*args, "--workers", "2", "--out", str(tmp_path / "w2"), check=True)
    assert _shards(tmp_path / "w1") == _shards(tmp_path / "w2") != {}
