"""The Ray executor gives the same rows as the local one (a local Ray instance, started by
the command itself)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from nquads_gen import write_corpus

pytest.importorskip("ray")


def shard_bytes(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted((out / "data").rglob("*.parquet"))
    }


@pytest.mark.slow
def test_ray_build_and_dedup_equal_local(tmp_path: Path) -> None:
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
