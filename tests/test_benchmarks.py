"""The benchmark scripts measure data given to them (held-out WDC files, real sentences), in
one run with their baselines, and leave those inputs as they were."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_webfaq import graph_of, nquads_lines, split_pages

from mkdata.builders.webfaq import sample_path

pytestmark = pytest.mark.xdist_group("benchmarks")


def run_bench(script: str, *args: str, ok: bool = True) -> str:
    """Run a benchmark script; its stderr (asserted to have succeeded, or failed)."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert (proc.returncode == 0) == ok, proc.stderr[-3000:]
    return proc.stderr


def test_work_folder_of_someone_else_is_refused_untouched(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    (theirs / "out1-input").mkdir(parents=True)
    (theirs / "out1-input" / "notes.txt").write_text("mine")
    for script in ("bench_webfaq.py", "bench_dedup.py"):
        err = run_bench(script, "--work", str(theirs), ok=False)
        assert "holds files no benchmark wrote" in err
    assert [p.name for p in theirs.rglob("*")] == ["out1-input", "notes.txt"]
    a_file = theirs / "out1-input" / "notes.txt"
    assert "not a folder" in run_bench("bench_webfaq.py", "--work", str(a_file), ok=False)
    assert a_file.read_text() == "mine"


def test_inputs_that_could_be_overwritten_or_mislead_are_refused(tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    (work / ".mkdata-bench").touch()  # a work folder of an earlier run
    inside = work / "profile-input.nq.gz"  # an input where the script writes
    inside.write_bytes(sample_path().read_bytes())
    err = run_bench("bench_webfaq.py", "--input", str(inside), "--work", str(work), ok=False)
    assert "inside the work folder" in err
    sentences = work / "dedup_in.parquet"
    sentences.write_text("one.\n", "utf-8")
    err = run_bench("bench_dedup.py", "--sentences", str(sentences), "--work", str(work), ok=False)
    assert "inside the work folder" in err
    assert inside.read_bytes() == sample_path().read_bytes()
    assert sentences.read_text("utf-8") == "one.\n"
    # the same file twice (by a link) would be inflated twice by gzip -dc, built once
    given = tmp_path / "a.nq.gz"
    given.write_bytes(sample_path().read_bytes())
    (tmp_path / "b.nq.gz").symlink_to(given)
    args = ["--input", str(given), str(tmp_path / "b.nq.gz"), "--work", str(work)]
    assert "are the same file" in run_bench("bench_webfaq.py", *args, ok=False)
    # a broken input fails at once, named, before anything is measured
    broken = tmp_path / "broken.nq.gz"
    broken.write_bytes(sample_path().read_bytes()[:-500])
    err = run_bench("bench_webfaq.py", "--input", str(broken), "--work", str(work), ok=False)
    assert f"--input {broken}: truncated gzip" in err and "Traceback" not in err
    # inputs with nothing to measure: named at once, in one line, before any build
    other = tmp_path / "other.nq"  # N-Quads, none of them FAQ
    other.write_text('<http://x/s> <http://schema.org/name> "Shop" <http://x/g> .\n')
    empty = tmp_path / "empty.nq.gz"  # a valid gzip of nothing
    empty.write_bytes(gzip.compress(b""))
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes(range(256)) * 64)
    for given in (other, empty, noise):
        err = run_bench("bench_webfaq.py", "--input", str(given), "--work", str(work), ok=False)
        assert f"--input {given}: no FAQ question-answer pair in it" in err, err
        assert len(err.strip().splitlines()) == 1 and not (work / "out-sample").exists()
    err = run_bench("bench_webfaq.py", "--input", str(tmp_path), "--work", str(work), ok=False)
    assert f"--input {tmp_path}: a folder" in err
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet")
    err = run_bench("bench_dedup.py", "--sentences", str(bad), "--work", str(work), ok=False)
    assert f"--sentences {bad}: unreadable" in err and "Traceback" not in err
    assert sorted(p.name for p in work.iterdir()) == sorted(
        [".mkdata-bench", inside.name, sentences.name]
    )


def test_split_pages_keeps_every_line_and_whole_pages(tmp_path: Path) -> None:
    lines = list(nquads_lines([sample_path()]))
    assert lines == [x for x in gzip.decompress(sample_path().read_bytes()).split(b"\n") if x]
    long = tmp_path / "long.nq"  # lines across the reader's 1 MiB pieces
    text = b"a\n" + b"x" * (3 << 20) + b"\n\nb" + b"y" * (1 << 20) + b"\nc"
    long.write_bytes(text)
    assert list(nquads_lines([long])) == [x for x in text.split(b"\n") if x]
    parts = [tmp_path / f"p{i}.nq.gz" for i in range(5)]
    total = sum(len(line) + 1 for line in lines)
    written = split_pages([sample_path()], parts, -(-total // 3))
    assert written == parts[:3]  # a third of the bytes each, cut at the page after it
    got = [list(nquads_lines([p])) for p in written]
    assert [line for part in got for line in part] == lines  # all of them, in order
    sizes = [sum(len(line) + 1 for line in part) for part in got]
    assert max(sizes) < 1.5 * min(sizes)  # balanced: each cut at a third of the whole
    graphs = [{graph_of(line) for line in part} for part in got]
    for i, a in enumerate(graphs):  # a page is in one part only
        for b in graphs[i + 1 :]:
            assert not a & b
    # a page larger than a part's share: no part is left empty, every page is kept
    pages = [
        [line for line in lines if graph_of(line) == g] for g in dict.fromkeys(map(graph_of, lines))
    ]
    padding = b'<http://x/s> <http://x/p> "' + b"x" * 200_000 + b'" ' + graph_of(lines[0]) + b" ."
    big = [*pages[0], padding]  # a large first page
    with gzip.open(tmp_path / "big.nq.gz", "wb") as fh:
        fh.write(b"".join(line + b"\n" for line in big + [x for pg in pages[1:4] for x in pg]))
    total = sum(len(line) + 1 for line in nquads_lines([tmp_path / "big.nq.gz"]))
    written = split_pages([tmp_path / "big.nq.gz"], parts, -(-total // 5))
    got = [list(nquads_lines([p])) for p in written]
    assert len(written) == 4 and all(got)  # 4 pages, 5 parts asked: one page each
    assert [line for part in got for line in part] == list(nquads_lines([tmp_path / "big.nq.gz"]))
    # a cut: the first whole pages past the bytes asked for, the rest left out
    cut = split_pages([sample_path()], [tmp_path / "cut.nq.gz"], 1000)
    head = list(nquads_lines(cut))
    assert 0 < len(head) < len(lines) and head == lines[: len(head)]
    assert graph_of(lines[len(head)]) != graph_of(head[-1])
    assert graph_of(b'<s>\t<p>\t"a b" \t<http://x/g> .') == b"<http://x/g>"  # tabs split too
    assert graph_of(b"<s> <p> <o> <g>") == b"<g>" and graph_of(b"") == b""


@pytest.mark.parametrize("given", ["one plain file", "a gzip and a plain file"])
def test_bench_webfaq_measures_given_files(tmp_path: Path, given: str) -> None:
    # a plain (not gzip) input is gzipped into the work folder for the gzip -dc baseline; one
    # file is cut at page boundaries into the parts of the workers' scaling, two are the parts
    plain = tmp_path / "held-out.nq"
    plain.write_bytes(gzip.decompress(sample_path().read_bytes()))
    inputs = [plain]
    if given != "one plain file":
        inputs.insert(0, tmp_path / "held-out-0.nq.gz")
        inputs[0].write_bytes(sample_path().read_bytes())
    before = [f.read_bytes() for f in inputs]
    work = tmp_path / "work"
    run_bench(
        "bench_webfaq.py", "--input", *map(str, inputs), "--parts", "2", "--repeat", "1",
        "--profile-mb", "1", "--work", str(work),
    )  # fmt: skip
    [result] = json.loads((work / "webfaq_results.json").read_text())
    assert result["shape"] == "input" and result["target_ratio"] == 6.0
    assert result["files"] == len(inputs)
    assert result["pairs_in_file"] == 143 * len(inputs) and result["pages"] == 42 * len(inputs)
    assert result["ratio_vs_gzip"] == pytest.approx(
        result["build_1_worker_seconds"] / result["gzip_dc_seconds"], rel=0.05
    )
    assert result["parts"] == 2 and result["speedup_2_workers"] > 0
    manifest = json.loads((work / "out1-input" / "mkdata.json").read_text())
    assert manifest["counts"]["raw_pairs"] == 143 * len(inputs)
    assert [f.read_bytes() for f in inputs] == before  # the inputs are only read
    assert not list(work.glob("*.nq.gz"))  # what it wrote for the run, removed


def test_bench_dedup_builds_documents_from_given_sentences(tmp_path: Path) -> None:
    rows = (ROOT / "benchmarks/bitext_gold/handwritten/parallel.jsonl").read_text("utf-8")
    sentences = sorted({v for line in rows.splitlines() for v in json.loads(line).values()})
    given = tmp_path / "sentences.txt"
    given.write_text("\n".join(sentences[:300]) + "\n", "utf-8")
    work = tmp_path / "work"
    run_bench(
        "bench_dedup.py", "--sentences", str(given), "--sig-docs", "200", "--docs", "1500",
        "--million", "0", "--work", str(work),
    )  # fmt: skip
    result = json.loads((work / "dedup_results.json").read_text())
    assert result["signatures"]["datasketch_mode_equal_to_datasketch"] is True
    end = result["end_to_end"]
    assert end["mkdata_vs_rensa_script"] > 0
    for side in ("mkdata", "rensa_script"):
        assert end[side]["planted"] > 100 and end[side]["planted_removed"] >= 0.9
    assert end["mkdata"]["distinct_removed"] == 0
    # the documents are made of the given sentences, four to a document
    texts = pq.read_table(work / "dedup_in.parquet").column("text").to_pylist()
    pool = sentences[:300]
    assert all(sum(s in t for s in pool) >= 4 for t in texts[:20])
    assert not any(s in texts[0] for s in sentences[300:] if s not in pool and len(s) > 40)
    too_few = tmp_path / "few.txt"  # enough for 2 and 3 documents of 4, not 1,000 of 2
    too_few.write_text("one.\ntwo.\nthree.\nfour.\nfive.\n", "utf-8")
    err = run_bench(
        "bench_dedup.py", "--sentences", str(too_few), "--sig-docs", "2", "--docs", "3",
        "--million", "1000", "--work", str(tmp_path / "w2"), ok=False,
    )  # fmt: skip
    assert "1000 distinct documents of 2 sentences need more than the 5 distinct" in err
    assert not (tmp_path / "w2" / "dedup_in.parquet").exists()  # at once, before step 2
    # gzipped text, CRLF and a line separator inside a sentence; a categorical parquet column
    lines = [s.replace(" ", "\u2028", 1) for s in sentences[:300]]
    packed = tmp_path / "sentences.txt.gz"
    packed.write_bytes(gzip.compress("\r\n".join(lines).encode()))
    categorical = tmp_path / "sentences.parquet"
    pq.write_table(pa.table({"text": pa.array(sentences[:300]).dictionary_encode()}), categorical)
    for given, expected in ((packed, lines), (categorical, sentences[:300])):
        work = tmp_path / f"w-{given.name}"
        run_bench(
            "bench_dedup.py", "--sentences", str(given), "--sig-docs", "50", "--docs", "200",
            "--million", "0", "--work", str(work),
        )  # fmt: skip
        texts = pq.read_table(work / "dedup_in.parquet").column("text").to_pylist()
        assert all(sum(s in t for s in expected) >= 4 for t in texts[:20]), given


@pytest.mark.parametrize(
    "script",
    sorted(p.name for p in (ROOT / "benchmarks").glob("*.py") if "__main__" in p.read_text()),
)
def test_every_benchmark_option_is_documented_in_help(script: str) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--help"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "100"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    options = proc.stdout.split("options:\n", 1)[1]
    entries = re.split(r"\n(?=  -)", options.strip("\n"))
    # an option's description follows its name on the same line, or on the lines after it
    bare = [e for e in entries if "\n" not in e and "  " not in e.strip()]
    assert not bare, f"{script}: options without help: {bare}"
