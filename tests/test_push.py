"""`mkdata push` against a local Hub-like server, and `mkdata card`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from hub_server import HubServer

TOKEN = "hf_test_secret_token_123"


@pytest.fixture
def hub():
    with HubServer() as server:
        yield server


def env_for(hub: HubServer) -> dict[str, str]:
    return {
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": TOKEN,
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_OFFLINE": "0",
    }


def shards(directory: Path) -> list[str]:
    return sorted(
        p.relative_to(directory).as_posix() for p in (directory / "data").rglob("*.parquet")
    )


def charts(directory: Path) -> list[str]:
    """The card's charts, which go up with the shards."""
    return sorted(p.relative_to(directory).as_posix() for p in (directory / "images").glob("*.png"))


def test_dry_run_lists_card_and_every_shard(sample_build: Path) -> None:
    proc = run_cli("push", str(sample_build), "--repo", "org/faq", "--dry-run", check=True)
    for shard in shards(sample_build):
        assert f"would upload {shard}" in proc.stdout
    assert "would upload README.md" in proc.stdout and "would upload mkdata.json" in proc.stdout
    assert 'load_dataset("org/faq"' in proc.stdout and "config_name: deu" in proc.stdout


def test_push_full_idempotent_and_resumed(
    sample_build: Path, tmp_path: Path, hub: HubServer
) -> None:
    data = tmp_path / "ds"
    shutil.copytree(sample_build, data)
    proc = run_cli(
        "push",
        str(data),
        "--repo",
        "org/faq",
        "--files-per-commit",
        "4",
        env=env_for(hub),
        check=True,
    )
    files = hub.repos["org/faq"].branches["main"]
    expected = [*shards(data), *charts(data), "README.md", "mkdata.json"]
    assert charts(data) and sorted(files) == sorted(expected)
    for name in expected:
        assert files[name] == (data / name).read_bytes()
    assert hub.commits[-1]["added"][-1] == "README.md"  # the card goes last
    assert all(len(c["added"]) <= 4 for c in hub.commits)
    assert TOKEN not in proc.stdout + proc.stderr
    assert f"Bearer {TOKEN}" in hub.auth  # the token from the environment was used
    assert 'load_dataset("org/faq"' in files["README.md"].decode()
    # a re-push of unchanged data commits nothing
    commits = len(hub.commits)
    again = run_cli("push", str(data), "--repo", "org/faq", env=env_for(hub), check=True)
    assert len(hub.commits) == commits and "nothing changed" in again.stdout


def test_interrupted_push_resumes(sample_build: Path, tmp_path: Path, hub: HubServer) -> None:
    data = tmp_path / "ds"
    shutil.copytree(sample_build, data)
    hub.fail_commits = {2}
    proc = run_cli(
        "push", str(data), "--repo", "org/r", "--files-per-commit", "3", env=env_for(hub)
    )
    assert proc.returncode == 1 and "re-run to resume" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and TOKEN not in proc.stderr
    first = set(hub.commits[0]["added"])
    uploads = len(hub.uploads)
    run_cli(
        "push",
        str(data),
        "--repo",
        "org/r",
        "--files-per-commit",
        "3",
        env=env_for(hub),
        check=True,
    )
    resumed = {p for c in hub.commits[1:] for p in c["added"]}
    assert first.isdisjoint(resumed)  # the finished commit was not redone
    assert sorted(hub.repos["org/r"].branches["main"]) == sorted(
        [*shards(data), *charts(data), "README.md", "mkdata.json"]
    )
    # every shard's bytes went up once: those sent before the failed commit were not re-sent
    assert len(hub.uploads) == len(set(hub.uploads)) == len(shards(data)) and uploads > 0


def test_changed_data_uploads_only_the_difference(
    sample_build: Path, tmp_path: Path, hub: HubServer
) -> None:
    data = tmp_path / "ds"
    shutil.copytree(sample_build, data)
    run_cli("push", str(data), "--repo", "org/x", "--revision", "v1", env=env_for(hub), check=True)
    assert "v1" in hub.repos["org/x"].branches
    stale = shards(data)[0]
    (data / stale).unlink()
    proc = run_cli(
        "push", str(data), "--repo", "org/x", "--revision", "v1", env=env_for(hub), check=True
    )
    # the card's statistics changed with the data, so it goes up again
    assert hub.commits[-1]["deleted"] == [stale] and hub.commits[-1]["added"] in ([], ["README.md"])
    assert stale not in hub.repos["org/x"].branches["v1"] and "deleted 1 stale" in proc.stdout


def test_push_bad_input(tmp_path: Path, sample_build: Path) -> None:
    proc = run_cli("push", str(tmp_path), "--repo", "org/x", "--dry-run")
    assert proc.returncode == 2 and "not a dataset directory" in proc.stderr
    proc = run_cli("push", str(sample_build), "--repo", "noslash", "--dry-run")
    assert proc.returncode == 2 and "ORG/NAME" in proc.stderr


def test_card_regenerates_from_manifest(sample_build: Path, tmp_path: Path) -> None:
    data = tmp_path / "ds"
    shutil.copytree(sample_build, data)
    (data / "README.md").unlink()
    run_cli("card", str(data), "--repo", "org/faq", check=True)
    card = (data / "README.md").read_text()
    for part in ("configs:", "config_name: deu", "language:", "license:", "## Statistics",
                 "## Filters applied", "## How it was built", "## Citation", 'load_dataset("org/faq"'):  # fmt: skip
        assert part in card


def test_a_modified_shard_is_the_only_upload(
    sample_build: Path, tmp_path: Path, hub: HubServer
) -> None:
    import pyarrow.parquet as pq

    data = tmp_path / "ds"
    shutil.copytree(sample_build, data)
    run_cli("push", str(data), "--repo", "org/m", env=env_for(hub), check=True)
    before = len(hub.commits)
    target = shards(data)[1]
    table = pq.read_table(data / target)
    pq.write_table(table.slice(1), data / target)  # one row less
    run_cli("push", str(data), "--repo", "org/m", env=env_for(hub), check=True)
    new = hub.commits[before:]
    # the shard, and the card whose statistics changed with it
    assert [c["added"] for c in new] == [[target, "README.md"]]
    assert all(not c["deleted"] for c in new)
    assert hub.repos["org/m"].branches["main"][target] == (data / target).read_bytes()
