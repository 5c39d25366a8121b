"""`mkdata run PIPELINE.toml`: stages, staleness, lock, exit codes, JSON logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from mkdata.core.errors import EXIT_LOCKED
from mkdata.core.pipeline import pipeline_lock

PIPELINE = """
[pipeline]
workdir = "work"

[[stage]]
name = "build"
command = "build webfaq"
out = "webfaq"
args = {{ langs = "deu,fra,eng", sample = true }}

[[stage]]
name = "dedup"
command = "dedup"
input = "@build"
out = "dedup"
args = {{ threshold = {threshold} }}

[[stage]]
name = "bench"
command = "export beir"
input = "@dedup"
out = "bench"
args = {{ test_size = 0.3 }}

[[stage]]
name = "card"
command = "card"
input = "@bench"
args = {{ repo = "org/bench" }}
"""


def write(tmp_path: Path, threshold: float = 0.8) -> Path:
    path = tmp_path / "pipe.toml"
    path.write_text(PIPELINE.format(threshold=threshold))
    return path


def events(proc) -> list[dict]:
    return [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]


def test_run_rerun_and_partial_rerun(tmp_path: Path) -> None:
    pipe = write(tmp_path)
    first = run_cli("run", str(pipe), "--log-format", "json", check=True)
    assert [e["stage"] for e in events(first) if e["event"] == "stage_done"] == [
        "build",
        "dedup",
        "bench",
        "card",
    ]
    work = tmp_path / "work"
    assert (work / "bench" / "beir" / "deu" / "corpus.jsonl").exists()
    assert 'load_dataset("org/bench"' in (work / "bench" / "README.md").read_text()
    again = run_cli("run", str(pipe), "--log-format", "json", check=True)
    assert {e["event"] for e in events(again)} == {"stage_skipped"}
    write(tmp_path, threshold=0.9)  # only dedup and what follows are stale
    dry = run_cli("run", str(pipe), "--dry-run", "--log-format", "json", check=True)
    assert [(e["stage"], e["event"]) for e in events(dry)] == [
        ("build", "stage_skipped"), ("dedup", "stage_planned"),
        ("bench", "stage_planned"), ("card", "stage_planned"),
    ]  # fmt: skip
    third = run_cli("run", str(pipe), "--log-format", "json", check=True)
    assert [e["stage"] for e in events(third) if e["event"] == "stage_done"] == [
        "dedup",
        "bench",
        "card",
    ]
    m = json.loads((work / "dedup" / "mkdata.json").read_text())
    assert m["parameters"]["threshold"] == 0.9
    # a deleted output is rebuilt
    (work / "bench" / "mkdata.json").unlink()
    fourth = run_cli("run", str(pipe), "--log-format", "json", check=True)
    assert [e["stage"] for e in events(fourth) if e["event"] == "stage_done"] == ["bench", "card"]


def test_lock_failures_and_bad_files(tmp_path: Path) -> None:
    pipe = write(tmp_path)
    with pipeline_lock(tmp_path / "work"):
        proc = run_cli("run", str(pipe))
    assert proc.returncode == EXIT_LOCKED and "another run holds" in proc.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[[stage]]\nname = 'x'\ncommand = 'dedup'\ninput = '@nope'\nout = 'o'\n")
    proc = run_cli("run", str(bad))
    assert proc.returncode == 2 and "@nope" in proc.stderr
    bad.write_text("[[stage\n")
    assert run_cli("run", str(bad)).returncode == 2
    failing = tmp_path / "fail.toml"
    failing.write_text("[[stage]]\nname = 'd'\ncommand = 'dedup'\ninput = 'missing'\nout = 'o'\n")
    proc = run_cli("run", str(failing), "--log-format", "json")
    assert proc.returncode == 1
    failed = [e for e in events(proc) if e["event"] == "stage_failed"]
    assert failed and failed[0]["returncode"] == 2 and "missing" in failed[0]["error"]


def test_shipped_example_pipeline_parses() -> None:
    from mkdata.core.pipeline import command_line, load_pipeline

    p = load_pipeline(ROOT / "examples" / "webfaq-benchmark.toml")
    argv = command_line(p, p.stage("publish"))
    assert argv[:1] == ["push"] and "--dry-run" in argv
    sap = load_pipeline(ROOT / "examples" / "sap-from-passages.toml")
    argv = command_line(sap, sap.stage("sap"))
    assert argv[:2] == ["synth", "sap"] and "~" not in " ".join(argv)
    assert command_line(sap, sap.stage("passages"))[2].endswith("examples/docs.jsonl")


def test_shipped_example_builds_a_site_disjoint_benchmark_and_scores_it(tmp_path: Path) -> None:
    """The example on the bundled sample: every language's test split is non-empty and
    shares no site with train; BM25 is scored on it and the scores land in the workdir."""
    import shutil

    import polars as pl

    folder = tmp_path / "ex"
    shutil.copytree(ROOT / "examples", folder)
    run_cli("run", str(folder / "webfaq-benchmark.toml"), check=True)
    work = folder / "out"
    m = json.loads((work / "webfaq-beir" / "mkdata.json").read_text())
    for lang, info in m["beir"]["splits"].items():
        assert info["split_by"] == "origin" and info["queries"]["test"] > 0, lang
    dedup = pl.read_parquet(work / "webfaq-dedup" / "data" / "*" / "*.parquet")
    origin = dict(zip(dedup["id"], dedup["origin"], strict=True))
    for lang in m["beir"]["splits"]:
        qrels = {
            s: pl.read_parquet(work / "webfaq-beir" / "data" / f"{lang}-qrels" / f"{s}-*.parquet")
            for s in ("train", "test")
        }
        sites = {s: {origin[q[2:]] for q in df["query-id"]} for s, df in qrels.items()}
        assert sites["test"] and sites["train"].isdisjoint(sites["test"]), lang
    scores = json.loads((work / "bm25-scores.json").read_text())
    assert len(scores) == len(m["beir"]["splits"]) and all(s["queries"] > 0 for s in scores)
    assert not (folder / "bm25-scores.json").exists()


def test_retriever_training_example_reads_inside_a_stage_output(tmp_path: Path) -> None:
    """`@stage/path` names a folder inside an earlier stage's output; the training example
    mines from the benchmark's train split only and scores baselines on its test split."""
    import shutil

    from mkdata.core.pipeline import PipelineError, load_pipeline

    folder = tmp_path / "ex"
    shutil.copytree(ROOT / "examples", folder)
    run_cli("run", str(folder / "retriever-training-data.toml"), check=True)
    work = folder / "out-training"
    test_queries = {
        line.split("\t")[0]
        for line in (work / "benchmark/beir/deu/qrels/test.tsv").read_text().splitlines()[1:]
    }
    run = (work / "distill-deu" / "runs" / "deu.trec").read_text().split("\n")
    mined = {line.split()[0] for line in run if line}
    assert mined and mined.isdisjoint(test_queries)
    scores = json.loads((work / "scores-usem3.json").read_text())
    assert scores and all(s["split"] == "test" for s in scores)
    bad = tmp_path / "bad.toml"
    bad.write_text("[[stage]]\nname='a'\ncommand='dedup'\ninput='x.jsonl'\nout='o'\n"
                   "[[stage]]\nname='b'\ncommand='dedup'\ninput='@a/../../etc'\nout='p'\n")  # fmt: skip
    with pytest.raises(PipelineError, match="must name a path inside @a"):
        load_pipeline(bad)
