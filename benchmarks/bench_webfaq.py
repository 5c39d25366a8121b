"""Benchmark `mkdata build webfaq` against `gzip -dc` on the same file, in the same run.

Usage: python benchmarks/bench_webfaq.py [--mb 100] [--parts 4] [--keep]

Writes a synthetic WDC-style FAQPage N-Quads corpus (see scripts/nquads_gen.py),
then measures:
  1. `gzip -dc FILE > /dev/null` (best of 3) vs a one-worker build of FILE:
     ratio (target <= 6x), MB/s, pairs/s, peak RSS (target < 1 GiB);
  2. the same bytes split into PARTS files: --workers 2 vs --workers 1 (target >= 1.7x).
Prints a Markdown table and writes benchmarks/_work/results.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
from nquads_gen import write_corpus  # noqa: E402

sys.path.insert(0, str(HERE))
from measure import run_measured  # noqa: E402

WORK = HERE / "_work"


def timed(cmd: list[str]) -> tuple[float, int]:
    """Run ``cmd``; return (wall seconds, peak RSS in bytes of its whole process tree)."""
    seconds, mib = run_measured(cmd)
    return seconds, int(mib * 2**20)


def build(sources: list[Path], out: Path, workers: int) -> tuple[float, int, dict]:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "mkdata", "build", "webfaq", "--out", str(out)]
    cmd += ["--workers", str(workers), "--min-rows", "1"]
    for s in sources:
        cmd += ["--source", str(s)]
    seconds, rss = timed(cmd)
    return seconds, rss, json.loads((out / "mkdata.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=100, help="uncompressed size of the corpus")
    ap.add_argument("--parts", type=int, default=4)
    ap.add_argument("--keep", action="store_true", help="keep the generated corpus")
    args = ap.parse_args()
    WORK.mkdir(exist_ok=True)
    big = WORK / "corpus.nq.gz"
    info = write_corpus(big, args.mb * 1_000_000, seed=7)
    mb = info["bytes"] / 1e6

    gz = min(timed(["sh", "-c", f"gzip -dc {big} > /dev/null"])[0] for _ in range(3))
    one, rss, manifest = build([big], WORK / "out1", workers=1)
    pairs_in = manifest["counts"]["raw_pairs"]
    rows = sum(c["train"] for c in manifest["configs"].values())

    parts = []
    per_part = info["bytes"] // args.parts
    for i in range(args.parts):
        p = WORK / f"part_{i}.nq.gz"
        write_corpus(p, per_part, seed=100 + i)
        parts.append(p)
    w1, _, _ = build(parts, WORK / "outw1", workers=1)
    w2, rss2, _ = build(parts, WORK / "outw2", workers=2)

    results = {
        "corpus_mb_uncompressed": round(mb, 1),
        "corpus_mb_gz": round(big.stat().st_size / 1e6, 1),
        "pages": info["pages"],
        "pairs_in_file": pairs_in,
        "rows_out": rows,
        "gzip_dc_seconds": round(gz, 3),
        "build_1_worker_seconds": round(one, 3),
        "ratio_vs_gzip": round(one / gz, 2),
        "build_mb_per_s": round(mb / one, 1),
        "build_pairs_per_s": round(pairs_in / one),
        "peak_rss_mib": round(rss / 2**20),
        "parts": args.parts,
        "parts_1_worker_seconds": round(w1, 3),
        "parts_2_workers_seconds": round(w2, 3),
        "speedup_2_workers": round(w1 / w2, 2),
        "peak_rss_2_workers_mib": round(rss2 / 2**20),
        "parse_seconds": manifest["timings"]["parse_seconds"],
        "merge_seconds": manifest["timings"]["merge_seconds"],
    }
    (WORK / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| metric | value |\n|---|---:|")
    for k, v in results.items():
        print(f"| {k} | {v} |")
    if not args.keep:
        for p in [big, *parts]:
            p.unlink()


if __name__ == "__main__":
    main()
