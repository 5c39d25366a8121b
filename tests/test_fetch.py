"""HTTP sources against a real server on 127.0.0.1: resume, retries, errors, WDC listing."""

from __future__ import annotations

import json
import os

import pytest
from conftest import run_cli, write_deu_fra_parts
from http_server import FileServer

from mkdata.core.fetch import FetchError, HttpClient


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    with FileServer(root) as srv:
        yield srv


def test_dropped_connection_is_resumed_with_range(server, tmp_path):
    data = os.urandom(300_000)
    (server.root / "f.bin").write_bytes(data)
    server.faults["/f.bin"] = ["drop", "drop"]
    dest = tmp_path / "cache" / "f.bin"
    HttpClient(backoff=0.01).download(f"{server.url}/f.bin", dest)
    assert dest.read_bytes() == data
    ranges = [r for p, r in server.requests if p == "/f.bin"]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and len(ranges) == 3
    assert not dest.with_name("f.bin.part").exists()


def test_404_fails_at_once_and_500_after_retries(server, tmp_path):
    with pytest.raises(FetchError, match="HTTP 404"):
        HttpClient(backoff=0.01).download(f"{server.url}/missing.gz", tmp_path / "m.gz")
    assert len(server.requests) == 1
    (server.root / "e.gz").write_bytes(b"x")
    server.faults["/e.gz"] = [500] * 10
    with pytest.raises(FetchError, match="HTTP 500"):
        HttpClient(retries=2, backoff=0.01).download(f"{server.url}/e.gz", tmp_path / "e.gz")
    assert len([p for p, _ in server.requests if p == "/e.gz"]) == 3
    server.faults["/e.gz"] = [500]
    HttpClient(retries=2, backoff=0.01).download(f"{server.url}/e.gz", tmp_path / "e.gz")
    assert (tmp_path / "e.gz").read_bytes() == b"x"


def _wdc_tree(root, snapshot="2024-12"):
    folder = root / "structureddata" / snapshot / "quads" / "classspecific" / "FAQPage"
    folder.mkdir(parents=True)
    write_deu_fra_parts(folder)
    (folder / "FAQPage_lookup.csv").write_text(
        "pld,file\na.example,part_0.gz\nb.example,part_1.gz\n"
    )
    return folder


def test_build_from_snapshot_listing_over_http(server, tmp_path):
    _wdc_tree(server.root)
    server.faults["/structureddata/2024-12/quads/classspecific/FAQPage/part_1.gz"] = ["drop"]
    out = tmp_path / "out"
    env = {"MKDATA_CACHE_DIR": str(tmp_path / "cache")}
    proc = run_cli(
        "build",
        "webfaq",
        "--langs",
        "all",
        "--min-rows",
        "1",
        "--out",
        str(out),
        "--wdc-base-url",
        f"{server.url}/structureddata/",
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    m = json.loads((out / "mkdata.json").read_text())
    assert sorted(m["configs"]) == ["deu", "fra"]
    assert [i["source"].rsplit("/", 1)[1] for i in m["inputs"]] == ["part_0.gz", "part_1.gz"]
    assert {"wdc:2024-12"} == {i for i in _sources(out)}


def _sources(out):
    from mkdata.core.shards import read_config

    return set(read_config(out, "deu")["source"].to_pylist()) | set(
        read_config(out, "fra")["source"].to_pylist()
    )


def test_listing_falls_back_to_folder_index_and_reports_http_errors(server, tmp_path):
    folder = _wdc_tree(server.root, "2023-12")
    (folder / "FAQPage_lookup.csv").unlink()
    from mkdata.builders.webfaq import list_parts

    urls = list_parts("2023-12", f"{server.url}/structureddata/", HttpClient(retries=0))
    assert [u.rsplit("/", 1)[1] for u in urls] == ["part_0.gz", "part_1.gz"]
    proc = run_cli(
        "build",
        "webfaq",
        "--snapshot",
        "2022-12",
        "--out",
        str(tmp_path / "o"),
        "--wdc-base-url",
        f"{server.url}/structureddata/",
    )
    assert proc.returncode == 2 and "no FAQPage parts found for snapshot 2022-12" in proc.stderr


def test_part_returning_404_fails_that_part_only(server, tmp_path):
    folder = _wdc_tree(server.root)
    (folder / "part_1.gz").unlink()
    out = tmp_path / "out"
    proc = run_cli(
        "build",
        "webfaq",
        "--min-rows",
        "1",
        "--out",
        str(out),
        "--source",
        f"{server.url}/structureddata/2024-12/quads/classspecific/FAQPage/part_0.gz",
        "--source",
        f"{server.url}/structureddata/2024-12/quads/classspecific/FAQPage/part_1.gz",
        env={"MKDATA_CACHE_DIR": str(tmp_path / "cache")},
    )
    assert proc.returncode == 1
    assert "part_1.gz: " in proc.stderr and "HTTP 404" in proc.stderr
    assert sorted(json.loads((out / "mkdata.json").read_text())["configs"]) == ["deu"]
