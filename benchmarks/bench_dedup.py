"""Benchmark `mkdata dedup`: MinHash signature speed vs datasketch, end-to-end near-dup, quality.

Usage: python benchmarks/bench_dedup.py [--sig-docs 20000] [--docs 1000000] [--quality-base 2000]

1. Signatures at num_perm=128 on word 5-grams of the same texts: datasketch's
   per-document ``MinHash(num_perm=128).update_batch(shingles)`` vs mkdata's batched
   ``signatures`` (same run; both get the same shingle bytes; equality checked).
2. ``mkdata dedup --near`` end to end on DOCS short documents (a planted-duplicate
   corpus, scripts/dedup_corpus.py): wall time and peak RSS of the process.
3. Quality at the default settings: share of planted near-duplicates removed,
   of half-overlapping distinct documents kept and of unrelated documents kept.
Writes benchmarks/_work/dedup_results.json.
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

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
sys.path.insert(0, str(HERE.parent))
from dedup_corpus import make_corpus  # noqa: E402

from mkdata.core.text import NormConfig, normalize  # noqa: E402
from mkdata.dedup.minhash import shingles, signatures  # noqa: E402

WORK = HERE / "_work"


def write_dataset(directory: Path, rows: list[dict], shards: int) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    data = directory / "data" / "default"
    data.mkdir(parents=True)
    table = pa.Table.from_pylist([{"id": r["id"], "text": r["text"]} for r in rows])
    step = -(-len(rows) // shards)
    for i in range(shards):
        pq.write_table(table.slice(i * step, step), data / f"train-{i:05d}-of-{shards:05d}.parquet")


def bench_signatures(n: int) -> dict:
    from datasketch import MinHash

    rows = make_corpus(n // 3 + 1, seed=1)[:n]
    docs = [shingles(normalize(r["text"], NormConfig()), 5, "word") for r in rows]
    start = time.perf_counter()
    theirs = []
    for d in docs:
        m = MinHash(num_perm=128)
        m.update_batch(d)
        theirs.append(m.hashvalues)
    t_ds = time.perf_counter() - start
    start = time.perf_counter()
    ours = signatures(docs, 128)
    t_ours = time.perf_counter() - start
    return {
        "docs": n,
        "datasketch_s": t_ds,
        "mkdata_s": t_ours,
        "speedup": t_ds / t_ours,
        "equal": bool(np.array_equal(np.stack(theirs), ours)),
    }


def run(cmd: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def bench_end_to_end(n: int, workers: int) -> dict:
    rows = make_corpus(n // 3 + 1, seed=2)[:n]
    src, out = WORK / "dedup_in", WORK / "dedup_out"
    write_dataset(src, rows, shards=max(2, n // 100_000))
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "mkdata", "dedup", str(src), "--out", str(out), "--near"]
    seconds, rss = run([*cmd, "--workers", str(workers)])
    m = json.loads((out / "mkdata.json").read_text())
    return {"docs": n, "seconds": seconds, "peak_rss_mib": rss, "filters": m["filters"]["default"]}


def bench_quality(n_base: int) -> dict:
    rows = make_corpus(n_base, seed=4)
    src, out = WORK / "quality_in", WORK / "quality_out"
    write_dataset(src, rows, shards=2)
    shutil.rmtree(out, ignore_errors=True)
    run([sys.executable, "-m", "mkdata", "dedup", str(src), "--out", str(out)])
    kept = set(pq.read_table(out / "data" / "default").column("id").to_pylist())
    result = {}
    for kind in ("near_dup", "half_overlap", "unrelated"):
        group = [r for r in rows if r["kind"] == kind]
        if kind == "near_dup":
            result["near_dup_removed"] = float(
                np.mean([not (r["id"] in kept and r["of"] in kept) for r in group])
            )
            by_edit: dict[str, list[bool]] = {}
            for r in group:
                by_edit.setdefault(r["edit"], []).append(not (r["id"] in kept and r["of"] in kept))
            result["removed_by_edit"] = {k: float(np.mean(v)) for k, v in sorted(by_edit.items())}
        else:
            result[f"{kind}_kept"] = float(np.mean([r["id"] in kept for r in group]))
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sig-docs", type=int, default=20_000)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quality-base", type=int, default=2000)
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    results = {
        "signatures": bench_signatures(args.sig_docs),
        "quality": bench_quality(args.quality_base),
        "end_to_end": bench_end_to_end(args.docs, args.workers),
    }
    print(json.dumps(results, indent=1))
    (WORK / "dedup_results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
