"""`mkdata build webfaq` end to end through the CLI."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import yaml
from conftest import one_pair_pages, run_cli, write_deu_fra_parts, write_nq

from mkdata.core.shards import read_config

LANGS = ["deu", "eng", "fra", "ita", "jpn", "nld", "pol", "por", "rus", "spa"]


def test_sample_build_loads_with_datasets_for_every_language(sample_build):
    from datasets import load_dataset

    manifest = json.loads((sample_build / "mkdata.json").read_text())
    assert sorted(manifest["configs"]) == LANGS
    for lang in LANGS:
        ds = load_dataset(str(sample_build), lang, split="train")
        assert len(ds) == manifest["configs"][lang]["train"] >= 10
        assert set(ds.column_names) == {
            "id",
            "origin",
            "url",
            "language",
            "language_score",
            "question",
            "answer",
            "source",
            "title",
            "description",
            "page_language",
        }
        assert set(ds["language"]) == {lang}
        assert all(
            len(a) >= 30 and len(q) >= 10 for q, a in zip(ds["question"], ds["answer"], strict=True)
        )
        assert all(o.startswith(("http://", "https://")) for o in ds["origin"])


def test_sample_content_is_normalized(sample_build):
    eng = read_config(sample_build, "eng").to_pylist()
    by_q = {r["question"]: r for r in eng}
    ret = by_q["Can I return an item I no longer want?"]
    assert ret["answer"] == (
        "Yes. You can return unused items within 30 days of delivery.\n"
        "Print the prepaid label from your account\nDrop the parcel at any post office"
    )
    deu = {r["question"] for r in read_config(sample_build, "deu").to_pylist()}
    assert "Wie setze ich mein Passwort zurück?" in deu
    ids = [r["id"] for r in eng]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_card_and_manifest(sample_build):
    card = (sample_build / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert {c["config_name"] for c in header["configs"]} == {*LANGS, "all"}  # all: default
    assert header["configs"][0]["data_files"][0]["path"].startswith("data/")
    assert header["language"] == LANGS and header["size_categories"] == ["n<1K"]
    assert "load_dataset" in card and "| deu |" in card
    m = json.loads((sample_build / "mkdata.json").read_text())
    assert m["tool"]["name"] == "mkdata" and m["command"] == "build webfaq"
    assert m["inputs"][0]["checksum"].startswith("sha256:") and m["inputs"][0]["size"] > 0
    assert m["filters"]["eng"]["answer_too_short"] == 2 and m["filters"]["deu"]["duplicate"] == 2
    assert m["counts"]["dangling_entities"] == 1
    assert m["stages"]["parse"]["status"] == "done"


def test_rerun_is_idempotent_and_deterministic(sample_build, tmp_path):
    other = tmp_path / "again"
    run_cli("build", "webfaq", "--sample", "--out", str(other), check=True)
    for lang in LANGS:
        a = sorted((sample_build / "data" / lang).iterdir())
        b = sorted((other / "data" / lang).iterdir())
        assert [p.name for p in a] == [p.name for p in b]
        assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))
    before = {p: p.read_bytes() for p in (other / "data").rglob("*.parquet")}
    proc = run_cli("build", "webfaq", "--sample", "--out", str(other), check=True)
    assert "wrote 120 rows" in proc.stdout
    assert {p: p.read_bytes() for p in (other / "data").rglob("*.parquet")} == before


def test_selected_languages_min_rows_and_shard_bounds(tmp_path):
    out = tmp_path / "o"
    run_cli(
        "build",
        "webfaq",
        "--sample",
        "--langs",
        "deu,fr,jpn",
        "--max-shard-rows",
        "5",
        "--out",
        str(out),
        check=True,
    )
    assert sorted(p.name for p in (out / "data").iterdir()) == ["deu", "fra", "jpn"]
    shards = sorted((out / "data" / "deu").iterdir())
    assert [p.name for p in shards] == [f"train-0000{i}-of-00003.parquet" for i in range(3)]
    assert [pq.read_metadata(p).num_rows for p in shards] == [5, 5, 2]
    m = json.loads((out / "mkdata.json").read_text())
    assert m["filters"]["eng"]["not_selected"] == 12
    out2 = tmp_path / "o2"
    # without hints nld keeps 11 of its 12 pairs (one is too short for fastText to be sure)
    run_cli("build", "webfaq", "--sample", "--min-rows", "12", "--out", str(out2),
            "--no-language-hints", check=True)  # fmt: skip
    assert "nld" not in json.loads((out2 / "mkdata.json").read_text())["configs"]


def test_local_sources_dirs_globs_and_plain_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    write_deu_fra_parts(src, "part_0.gz", "part_1.nq")
    for spec in ([str(src)], [str(src / "part_*")]):
        out = tmp_path / f"out{len(spec[0])}"
        run_cli(
            "build",
            "webfaq",
            "--min-rows",
            "1",
            "--out",
            str(out),
            *[x for s in spec for x in ("--source", s)],
            check=True,
        )
        assert sorted(json.loads((out / "mkdata.json").read_text())["configs"]) == ["deu", "fra"]


def test_bad_inputs_give_one_line_errors(tmp_path):
    proc = run_cli(
        "build", "webfaq", "--source", str(tmp_path / "missing.nq.gz"), "--out", str(tmp_path / "x")
    )
    assert proc.returncode == 2
    assert "source not found" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli(
        "build", "webfaq", "--langs", "german!", "--sample", "--out", str(tmp_path / "x")
    )
    assert proc.returncode == 2 and "--langs" in proc.stderr
    proc = run_cli("build", "webfaq", "--snapshot", "2024-07", "--out", str(tmp_path / "x"))
    assert proc.returncode == 2 and "invalid snapshot" in proc.stderr


def test_empty_and_garbage_inputs(tmp_path):
    # an input that holds no N-Quads is a failed input (exit 1), not an empty success
    empty = write_nq(tmp_path / "empty.nq.gz", "")
    out = tmp_path / "e"
    proc = run_cli("build", "webfaq", "--source", str(empty), "--out", str(out))
    assert proc.returncode == 1 and "no N-Quads in this file" in proc.stderr
    assert "wrote 0 rows in 0 configs" in proc.stdout
    garbage = tmp_path / "garbage.nq"
    garbage.write_bytes(b"\xff\xfe not n-quads at all\n<<<>>>\n")
    proc = run_cli("build", "webfaq", "--source", str(garbage), "--out", str(tmp_path / "g"))
    assert proc.returncode == 1
    assert "malformed_line" in proc.stderr and "invalid_utf8" in proc.stderr


def test_truncated_part_fails_that_part_only_and_keeps_rows(tmp_path):
    good_pairs = [
        (
            f"Wie lange dauert der Versand nach Ort {i}?",
            f"Der Versand nach Ort {i} dauert in der Regel drei bis fünf Werktage.",
        )
        for i in range(40)
    ]
    lines = one_pair_pages(good_pairs)
    good = write_nq(tmp_path / "good.nq.gz", lines[: 7 * 17])
    full = write_nq(tmp_path / "full.nq.gz", lines[7 * 17 :])
    cut = tmp_path / "cut.nq.gz"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size * 2 // 3])
    out = tmp_path / "o"
    args = ["build", "webfaq", "--min-rows", "1", "--source", str(good), "--source", str(cut)]
    proc = run_cli(*args, "--out", str(out))
    assert proc.returncode == 1
    assert f"{cut}:" in proc.stderr and "truncated gzip" in proc.stderr
    rows = read_config(out, "deu").num_rows
    assert 20 < rows < 40  # all of good.nq.gz plus what came before the cut
    m = json.loads((out / "mkdata.json").read_text())
    assert [i["status"] for i in m["inputs"]] == ["done", "failed"]
    # repairing the file and re-running redoes only the failed part
    shutil.copy(full, cut)
    proc = run_cli(*args, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert read_config(out, "deu").num_rows == 40


def test_help_on_every_command():
    for args in ([], ["build"], ["build", "webfaq"], ["card"]):
        proc = run_cli(*args, "--help", check=True)
        assert "Usage" in proc.stdout
