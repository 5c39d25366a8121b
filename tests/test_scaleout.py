"""Scale-out and incremental builds: the Ray executor gives the same rows as the local one (a
local Ray instance, started by the command itself); --append adds sources to an output."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from conftest import run_cli
from nquads_gen import write_corpus


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
        write_corpus(parts / f"part_{i}.gz", 150_000, seed=i)
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
