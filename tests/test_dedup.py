"""`mkdata dedup` through the CLI: exact, near, semantic, against, determinism, resume, bad input."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import run_cli
from datasketch import MinHash
from dedup_corpus import make_corpus

from mkdata.core.text import NormConfig, normalize
from mkdata.dedup.minhash import shingles, signatures


def write_dataset(
    directory: Path, rows: list[dict], config: str = "default", shards: int = 2
) -> Path:
    data = directory / "data" / config
    data.mkdir(parents=True)
    table = pa.Table.from_pylist(rows)
    step = -(-len(rows) // shards)
    for i in range(shards):
        pq.write_table(table.slice(i * step, step), data / f"train-{i:05d}-of-{shards:05d}.parquet")
    return directory


def kept_ids(out: Path, config: str = "default") -> set[str]:
    return set(pl.read_parquet(out / "data" / config / "*.parquet")["id"])


@pytest.mark.parametrize("unit,n", [("word", 5), ("char", 5), ("word", 1)])
def test_signatures_equal_datasketch(unit, n):
    texts = [
        "The quick brown fox jumps over the lazy dog near the river bank",
        "short",
        "",
        "Ünïcode façade — naïve café",
    ]
    docs = [shingles(normalize(t, NormConfig()), n, unit) for t in texts]
    ours = signatures(docs, num_perm=128, seed=1)
    for doc, row in zip(docs, ours, strict=True):
        m = MinHash(num_perm=128, seed=1)
        m.update_batch(doc)
        assert np.array_equal(m.hashvalues, row)


def test_lsh_params_equal_datasketch_optimiser():
    from datasketch.lsh import _optimal_param

    from mkdata.dedup.minhash import lsh_params

    for num_perm in (64, 128, 256):
        for t in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
            assert lsh_params(t, num_perm) == _optimal_param(t, num_perm, 0.05, 0.95), (num_perm, t)


@pytest.mark.parametrize("unit", ["char", "word"])
def test_fast_signatures_estimate_jaccard(unit):
    from mkdata.dedup.fast_minhash import fast_signatures

    rows = make_corpus(300, seed=9)
    texts = [normalize(r["text"], NormConfig()) for r in rows] + ["", "abc", "x y"]
    sigs = fast_signatures(texts, 5, unit)
    assert sigs.shape == (len(texts), 128) and sigs.dtype == np.uint32
    assert (sigs[-3] == 0xFFFFFFFF).all() and not (sigs[-2] == 0xFFFFFFFF).all()
    assert np.array_equal(sigs, fast_signatures(texts, 5, unit))  # deterministic
    errors = []
    for i in range(len(rows) - 1):
        a, b = (set(shingles(texts[k], 5, unit)) for k in (i, i + 1))
        errors.append((sigs[i] == sigs[i + 1]).mean() - len(a & b) / len(a | b))
    assert abs(np.mean(errors)) < 0.01 and np.std(errors) < 0.06  # ~1/sqrt(128)


@pytest.mark.parametrize("unit", ["char", "word"])
def test_pair_jaccard_equals_python_sets(unit):
    from mkdata.dedup.fast_minhash import pair_jaccard

    rows = make_corpus(100, seed=3)
    texts = [normalize(r["text"], NormConfig()) for r in rows] + ["", "ab", "x y", "ab"]
    x, y = np.arange(len(texts) - 1), np.arange(1, len(texts))
    expected = []
    for a, b in zip(x.tolist(), y.tolist(), strict=True):
        sa, sb = set(shingles(texts[a], 5, unit)), set(shingles(texts[b], 5, unit))
        expected.append(len(sa & sb) / len(sa | sb) if sa | sb else 1.0)
    assert np.array_equal(pair_jaccard(texts, texts, x, y, 5, unit), np.array(expected))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[dict]]:
    rows = make_corpus(400, seed=5)
    src = write_dataset(
        tmp_path_factory.mktemp("corpus") / "in", [{k: r[k] for k in ("id", "text")} for r in rows]
    )
    return src, rows


def test_near_dedup_quality_and_removed_rows(corpus, tmp_path):
    src, rows = corpus
    out = tmp_path / "out"
    proc = run_cli("dedup", str(src), "--out", str(out), "--write-removed", check=True)
    kept = kept_ids(out)
    by_kind: dict[str, list[dict]] = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)
    # a planted pair counts only when exactly one of the two stays: the one earlier in the
    # input (the documented tie-break), the later one goes
    pos = {r["id"]: i for i, r in enumerate(rows)}
    dups_removed = np.mean(
        [
            ((r["id"] in kept) != (r["of"] in kept)) and min(r["id"], r["of"], key=pos.get) in kept
            for r in by_kind["near_dup"]
        ]
    )
    half_kept = np.mean([r["id"] in kept for r in by_kind["half_overlap"]])
    unrelated_kept = np.mean([r["id"] in kept for r in by_kind["unrelated"]])
    assert dups_removed >= 0.95 and half_kept >= 0.95 and unrelated_kept >= 0.99
    removed = pl.read_parquet(out / "removed" / "data" / "default" / "*.parquet")
    assert len(removed) + len(kept) == len(rows)
    assert set(removed["removed_by"]) <= {"exact", "near"}
    assert set(removed["duplicate_of"]) <= kept
    m = json.loads((out / "mkdata.json").read_text())
    f = m["filters"]["default"]
    assert f["input"] == len(rows) and f["kept"] == len(kept) and f["exact"] > 0 and f["near"] > 0
    assert m["dedup"]["clusters"]["default"]["near_clusters"]["2"] > 0
    assert "near_clusters by size" in proc.stdout
    assert "configs:" in (out / "README.md").read_text()


def test_hash_modes_agree_on_planted_duplicates(corpus, tmp_path):
    src, rows = corpus
    kept = {}
    for mode in ("fast", "datasketch"):
        out = tmp_path / mode
        run_cli("dedup", str(src), "--out", str(out), "--hash", mode, check=True)
        kept[mode] = kept_ids(out)
        m = json.loads((out / "mkdata.json").read_text())
        assert m["parameters"]["hash"] == mode
    planted = [r for r in rows if r["kind"] == "near_dup"]
    for mode, ids in kept.items():
        caught = np.mean([(r["id"] in ids) != (r["of"] in ids) for r in planted])
        assert caught >= 0.95, mode
    assert len(kept["fast"] ^ kept["datasketch"]) <= 0.02 * len(rows)


def test_exact_only_and_determinism(corpus, tmp_path):
    src, rows = corpus
    a, b = tmp_path / "a", tmp_path / "b"
    run_cli("dedup", str(src), "--out", str(a), "--exact", check=True)
    run_cli("dedup", str(src), "--out", str(b), "--exact", "--workers", "2", check=True)
    text = {r["id"]: normalize(r["text"], NormConfig()) for r in rows}
    same = {r["id"] for r in rows if r["kind"] == "near_dup" and text[r["id"]] == text[r["of"]]}
    assert {r["id"] for r in rows if r.get("edit") == "case_punct"} <= same
    gone = {r["id"] for r in rows} - kept_ids(a)
    # one of each exact pair goes (the later row); nothing else does
    assert len(gone) == len(same)
    assert all((r["id"] in gone) != (r["of"] in gone) for r in rows if r["id"] in same)
    fa = sorted((a / "data" / "default").glob("*.parquet"))
    fb = sorted((b / "data" / "default").glob("*.parquet"))
    assert [f.read_bytes() for f in fa] == [f.read_bytes() for f in fb]


def test_against_removes_leaks(corpus, tmp_path):
    src, rows = corpus
    base = [r for r in rows if r["kind"] == "unrelated"][:3]
    test_rows = [
        {"id": "t0", "text": base[0]["text"].upper()},  # exact after normalization
        {"id": "t1", "text": base[1]["text"].replace(".", " again.")},  # near
        {"id": "t2", "text": "nothing like anything in the training data at all"},
    ]
    other = write_dataset(tmp_path / "test", test_rows, shards=1)
    out = tmp_path / "out"
    run_cli(
        "dedup",
        str(src),
        "--out",
        str(out),
        "--exact",
        "--against",
        str(other),
        "--write-removed",
        check=True,
    )
    removed = pl.read_parquet(out / "removed" / "data" / "default" / "*.parquet")
    leaks = removed.filter(pl.col("removed_by") == "against")
    assert dict(zip(leaks["id"], leaks["duplicate_of"], strict=True)) == {
        base[0]["id"]: "t0",
        base[1]["id"]: "t1",
    }


def qa_rows() -> list[dict]:
    answer = "Standard delivery takes three to five working days within the country."
    rows = [
        ("https://a.example", "How long does delivery take?", answer),
        ("https://a.example", "How long does the delivery take?", answer + " Express is faster."),
        ("https://b.example", "How long does delivery take?", answer),
        (
            "https://a.example",
            "Can I pay with a credit card?",
            "Yes, we accept Visa, Mastercard and American Express.",
        ),
        (
            "https://a.example",
            "Where is your office?",
            "Bananas are rich in potassium and taste sweet when ripe.",
        ),
    ]
    return [
        {
            "id": f"r{i}",
            "origin": o,
            "url": o + "/faq",
            "language": "eng",
            "question": q,
            "answer": a,
        }
        for i, (o, q, a) in enumerate(rows)
    ]


def test_semantic_within_origin_and_qa_consistency(tmp_path):
    src = write_dataset(tmp_path / "qa", qa_rows(), config="eng", shards=1)
    out = tmp_path / "out"
    run_cli(
        "dedup",
        str(src),
        "--out",
        str(out),
        "--semantic",
        "--threshold",
        "0.8",
        "--write-removed",
        check=True,
    )
    kept = pl.read_parquet(out / "data" / "eng" / "*.parquet")
    assert set(kept["id"]) == {"r0", "r2", "r3", "r4"}  # r1 paraphrases r0 on the same site
    qa = dict(zip(kept["id"], kept["qa_similarity"], strict=True))
    assert min(qa["r0"], qa["r3"]) > 0.1 > qa["r4"]
    filtered = tmp_path / "filtered"
    run_cli("dedup", str(src), "--out", str(filtered), "--semantic", "--qa-filter", check=True)
    assert "r4" not in kept_ids(filtered, "eng")
    m = json.loads((filtered / "mkdata.json").read_text())
    assert m["filters"]["eng"]["qa_inconsistent"] == 1 and m["filters"]["eng"]["semantic"] == 1


def test_resume_after_kill(tmp_path):
    rows = make_corpus(3000, seed=9)
    src = write_dataset(
        tmp_path / "in", [{"id": r["id"], "text": r["text"]} for r in rows], shards=10
    )
    ref = tmp_path / "ref"
    run_cli("dedup", str(src), "--out", str(ref), check=True)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "mkdata", "dedup", str(src), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    units = out / ".mkdata" / "dedup" / "units"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(units.glob("*/done.json"))) < 2:
        time.sleep(0.02)
    assert proc.poll() is None, "dedup finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in units.glob("*/done.json")}
    assert 2 <= len(finished) < 10 and not (out / "data").exists()
    run_cli("dedup", str(src), "--out", str(out), check=True)
    assert all(p.stat().st_mtime_ns == t for p, t in finished.items())  # not redone
    fa = sorted((ref / "data" / "default").glob("*.parquet"))
    fb = sorted((out / "data" / "default").glob("*.parquet"))
    assert [f.read_bytes() for f in fa] == [f.read_bytes() for f in fb]


def test_bad_input(tmp_path):
    (tmp_path / "empty").mkdir()
    proc = run_cli("dedup", str(tmp_path / "empty"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2 and "no .parquet, .arrow or .jsonl files" in proc.stderr
    src = write_dataset(tmp_path / "in", [{"id": "a", "body": "x"}], shards=1)
    proc = run_cli("dedup", str(src), "--out", str(tmp_path / "o2"))
    assert (
        proc.returncode == 2 and "--text-column" in proc.stderr and "Traceback" not in proc.stderr
    )
    proc = run_cli("dedup", str(src), "--out", str(tmp_path / "o3"), "--text-column", "nope")
    assert proc.returncode == 2 and "no column 'nope'" in proc.stderr
    bad = tmp_path / "bad"
    (bad / "data" / "default").mkdir(parents=True)
    (bad / "data" / "default" / "train-00000-of-00001.parquet").write_bytes(b"PAR1 not parquet")
    proc = run_cli("dedup", str(bad), "--out", str(tmp_path / "o4"))
    assert proc.returncode == 2 and "train-00000-of-00001.parquet" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_jsonl_keys_missing_from_the_first_records_are_kept(tmp_path):
    """JSON Lines records need not all carry every key: a key the first record lacks is
    still a column (null where a record lacks it), deduplicated on and written out."""
    texts = [
        "How long does shipping to Norway take with the standard parcel service?",
        "Our shop accepts payment by credit card, bank transfer and invoice.",
        "Returns are free within thirty days if the item is unused and complete.",
        "The warranty covers manufacturing defects for two full years after purchase.",
        "You can change the delivery address until the order has been packed.",
    ]
    records = [{"id": "0"}, {"id": "1", "text": texts[0], "extra": 1}]
    records += [{"id": str(i), "text": texts[i - 1]} for i in range(2, 6)]
    records.append({"id": "9", "text": texts[0], "extra": [1, "x"]})  # mixed: kept as JSON text
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "out"
    run_cli("dedup", str(src), "--out", str(out), check=True)
    kept = pl.read_parquet(out / "data" / "default" / "*.parquet").sort("id")
    assert kept["id"].to_list() == ["1", "2", "3", "4", "5"]  # no text: empty; 9: a copy of 1
    assert kept["text"].to_list() == texts
    assert kept["extra"].to_list() == ["1", None, None, None, None]
    manifest = json.loads((out / "mkdata.json").read_text())
    assert manifest["filters"]["default"]["empty_text"] == 1


def test_files_of_one_config_with_other_columns_and_types_keep_them_all(tmp_path):
    """A folder of shards need not share one schema: every column of every file is kept
    (null where a file lacks it, types merged); ids and origins may be numbers; string views
    are read. What cannot merge, or would be overwritten, is one error line naming the file."""
    texts = [
        "How long does shipping to Norway take with the standard parcel service?",
        "Our shop accepts payment by credit card, bank transfer and invoice.",
        "Returns are free within thirty days if the item is unused and complete.",
        "The warranty covers manufacturing defects for two full years after purchase.",
    ]
    src = tmp_path / "in"
    src.mkdir()
    pq.write_table(pa.table({"id": [1, 2], "text": texts[:2]}), src / "a.parquet")
    rows = [{"id": 3, "text": texts[2], "lang": "eng", "score": 0.5}, {"id": 4, "text": texts[0]}]
    (src / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    view = pa.table(
        {
            "id": pa.array([5], pa.int32()),
            "text": pa.array([texts[3]], pa.string_view()),
            "origin": [7],
        }
    )
    pq.write_table(view, src / "c.parquet")
    out = tmp_path / "out"
    run_cli("dedup", str(src), "--out", str(out), "--write-removed", check=True)
    kept = pl.read_parquet(out / "data" / "default" / "*.parquet")
    assert kept.columns == ["id", "text", "lang", "score", "origin"]
    assert kept.rows() == [
        (1, texts[0], None, None, None),
        (2, texts[1], None, None, None),
        (3, texts[2], "eng", 0.5, None),
        (5, texts[3], None, None, 7),
    ]
    removed = pl.read_parquet(out / "removed" / "data" / "default" / "*.parquet")
    assert removed.select("id", "duplicate_of", "removed_by").rows() == [(4, "1", "exact")]
    # not an mkdata dataset: the card lists its own columns, not a QA pair's
    card = (out / "README.md").read_text().split("## Columns")[1].split("##")[0]
    assert re.findall(r"^\| `([^`]+)` \|", card, re.M) == ["id", "text", "lang", "score", "origin"]
    assert "| `score` | as in the input (double) |" in card

    def error(*files: tuple[str, pa.Table], option: str = "--exact") -> str:
        bad = tmp_path / f"bad-{len(list(tmp_path.iterdir()))}"
        bad.mkdir()
        for name, table in files:
            pq.write_table(table, bad / name)
        proc = run_cli("dedup", str(bad), "--out", str(tmp_path / "o-bad"), option)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        return proc.stderr

    ok = pa.table({"text": texts})
    assert "b.parquet: its columns do not merge" in error(
        ("a.parquet", ok), ("b.parquet", pa.table({"text": [1, 2]}))
    )
    twice = pa.table([pa.array(texts), pa.array(texts)], names=["text", "text"])
    assert "a.parquet: two columns are named 'text'" in error(("a.parquet", twice))
    taken = ok.append_column("removed_by", pa.array(["x"] * 4))
    assert "has a column 'removed_by', which dedup adds" in error(
        ("a.parquet", taken), option="--write-removed"
    )


def test_rows_with_a_text_column_null_blank_or_not_text_are_empty_text(tmp_path):
    """As every command skips them (``empty_text``): a question or answer that is null,
    blank or an object; a number is text (as JSON writes it). export beir, reading the same
    file, skips the same rows."""
    pairs = [
        ("How long does shipping to Norway take?", "Three to five working days by parcel."),
        ("Which payment methods can I use?", "Credit card, bank transfer and invoice."),
        ("Can I return an item I have used?", None),
        ("Is the warranty valid abroad?", "   "),
        ("What is the answer to everything?", 42),
        ({"nested": True}, "An object is not a question, whatever it holds."),
    ]
    src = tmp_path / "qa.jsonl"
    rows = [{"id": f"r{i}", "question": q, "answer": a} for i, (q, a) in enumerate(pairs)]
    rows[1]["origin"] = 7  # a number where a site is expected: read as text
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    run_cli("dedup", str(src), "--out", str(out), "--write-removed", check=True)
    kept = pl.read_parquet(out / "data" / "default" / "*.parquet")
    assert kept["id"].to_list() == ["r0", "r1", "r4"]
    removed = pl.read_parquet(out / "removed" / "data" / "default" / "*.parquet")
    assert removed["id"].to_list() == ["r2", "r3", "r5"]
    assert removed["removed_by"].to_list() == ["empty_text"] * 3
    m = json.loads((out / "mkdata.json").read_text())
    assert m["filters"]["default"]["empty_text"] == 3
    beir = tmp_path / "beir"
    run_cli("export", "beir", str(src), "--out", str(beir), check=True)
    beir_splits = json.loads((beir / "mkdata.json").read_text())["beir"]["splits"]
    assert beir_splits["default"]["dropped"] == {"empty_text": 3}
