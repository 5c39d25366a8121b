"""Benchmark `mkdata dedup` against what a user would pick instead: rensa (Rust MinHash).

Usage: python benchmarks/bench_dedup.py [--sig-docs 20000] [--docs 100000] [--million 1000000]
       [--sentences FILE] [--work DIR]

All in one run, same texts:

1. Signatures, num_perm 128, character 5-grams of the normalized texts: rensa's
   `RMinHash` per document (shingles built in Python, as its README does), datasketch's
   `MinHash.bulk`, mkdata `--hash fast` (compiled, threads) and mkdata `--hash datasketch`
   (checked equal to datasketch's `MinHash`).
2. End to end on DOCS documents of 4 real sentences (the bundled parallel sets, all
   languages) with 10% planted near-duplicates (one light edit each): `mkdata dedup IN
   --out OUT` (exact + near, defaults) vs a 25-line rensa script (RMinHash on character
   5-grams + RMinHashLSH at threshold 0.8, candidates verified by exact Jaccard, first kept,
   kept rows written to parquet), each as its own process: wall time, peak RSS of the whole
   process tree, planted duplicates removed (recall), distinct documents removed.
3. `mkdata dedup` on MILLION short documents (two real sentences): wall time and
   peak RSS (targets: under 2 minutes, under 4 GiB).
``--sentences FILE`` builds every document from the given real sentences instead (held-out
data: a text file of one sentence per line, or a data file mkdata reads, .parquet / .jsonl /
.jsonl.gz / ..., with a ``text`` column). Writes WORK/dedup_results.json (WORK: --work,
default benchmarks/_work).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from measure import DEFAULT_WORK, given_input, run_measured, work_folder  # noqa: E402

from mkdata.core.text import NormConfig, normalize  # noqa: E402

WORK = DEFAULT_WORK  # --work
SENTENCES: Path | None = None  # --sentences: the documents' sentences, else the bundled ones

RENSA_SCRIPT = r"""
import sys, pyarrow as pa, pyarrow.parquet as pq
from rensa import RMinHash, RMinHashLSH
src, out = sys.argv[1], sys.argv[2]
texts = pq.read_table(src, columns=["text"]).column("text").to_pylist()
def shingles(t):
    t = " ".join(t.lower().split())
    return {t[i:i + 5] for i in range(max(1, len(t) - 4))}
sets = [shingles(t) for t in texts]
lsh = RMinHashLSH(threshold=0.8, num_perm=128, num_bands=16)
hashes = []
for i, s in enumerate(sets):
    m = RMinHash(num_perm=128, seed=42)
    m.update(list(s))
    lsh.insert(i, m)
    hashes.append(m)
removed = set()
for i, m in enumerate(hashes):
    for j in lsh.query(m):
        if j < i and j not in removed:
            a, b = sets[i], sets[j]
            if len(a & b) / len(a | b) >= 0.8:
                removed.add(i)
                break
table = pq.read_table(src)
keep = [i for i in range(table.num_rows) if i not in removed]
pq.write_table(table.take(keep), out)
"""


@functools.cache
def real_sentences() -> list[str]:
    """Every sentence of ``SENTENCES`` (else of the bundled parallel sets, all languages),
    distinct, sorted."""
    if SENTENCES is None:
        out = []
        for f in sorted((HERE / "bitext_gold").glob("*/parallel.jsonl")):
            for line in f.read_text("utf-8").splitlines():
                out += [v for v in json.loads(line).values() if isinstance(v, str) and v.strip()]
    else:
        out = _read_sentences(SENTENCES)
    return sorted(set(out))


def _read_sentences(path: Path) -> list[str]:
    """The non-blank texts of ``path``: the ``text`` column of a data file mkdata reads
    (.parquet, .arrow, .jsonl, .jsonl.gz, .json, .ndjson: ``mkdata.core.records``), else one
    per line of UTF-8 text (gzipped or not); SystemExit naming the file where it cannot be
    read, a record of it is malformed, or it has no string column named text."""
    import gzip

    import pyarrow as pa

    from mkdata.core.records import DATA_SUFFIXES, ReadStats, read_file

    stats = ReadStats()
    try:
        if path.name.lower().endswith(DATA_SUFFIXES):
            table = read_file(path, stats)
            kind = table.schema.field("text").type if "text" in table.column_names else None
            if kind is not None and pa.types.is_dictionary(kind):  # a categorical column
                kind = kind.value_type
            if kind is None or not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                raise SystemExit(f"--sentences {path}: no string column named text")
            texts = table.column("text").to_pylist()
        else:
            with open(path, "rb") as fh:
                gzipped = fh.read(2) == b"\x1f\x8b"
            opener = gzip.open if gzipped else open
            with opener(path, "rt", encoding="utf-8") as fh:  # lines end at \n, \r\n or \r
                texts = fh.read().split("\n")
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise SystemExit(f"--sentences {path}: unreadable ({exc})") from None
    if stats.skipped:
        problem = next(iter(stats.first_problem.values()))
        raise SystemExit(f"--sentences {path}: unreadable ({problem})")
    return [t for t in texts if t and t.strip()]


def edit(text: str, rng: random.Random) -> str:
    """One light edit: case and punctuation, a word dropped, doubled or appended."""
    words = text.split()
    kind = rng.randrange(4)
    if kind == 0:
        return text.upper().replace(".", "!").replace(",", "")
    i = rng.randrange(len(words))
    if kind == 1 and len(words) > 8:
        return " ".join(words[:i] + words[i + 1 :])
    if kind == 2:
        return " ".join([*words[:i], words[i], *words[i:]])
    return text + " " + rng.choice(words)


def check_enough_sentences(n: int, sentences: int) -> None:
    """SystemExit unless the sentences can make ``n`` distinct documents of ``sentences``."""
    pool = real_sentences()
    if math.comb(len(pool), sentences) < n:
        raise SystemExit(
            f"{n} distinct documents of {sentences} sentences need more than the "
            f"{len(pool)} distinct sentences given"
        )


def corpus(n: int, sentences: int, seed: int) -> list[dict]:
    """n documents of ``sentences`` real sentences; 10% are planted near-duplicates."""
    check_enough_sentences(n, sentences)
    pool = real_sentences()
    rng = random.Random(seed)
    rows: list[dict] = []
    seen: set[str] = set()
    while len(rows) < n:
        if rows and rng.random() < 0.1:
            base = rows[rng.randrange(len(rows))]
            if base["of"] is None:
                rows.append(
                    {"id": f"d{len(rows)}", "text": edit(base["text"], rng), "of": base["id"]}
                )
            continue
        text = " ".join(rng.sample(pool, sentences))
        if text in seen:
            continue
        seen.add(text)
        rows.append({"id": f"d{len(rows)}", "text": text, "of": None})
    return rows


def write(directory: Path, rows: list[dict], shards: int) -> Path:
    shutil.rmtree(directory, ignore_errors=True)
    data = directory / "data" / "default"
    data.mkdir(parents=True)
    table = pa.Table.from_pylist([{"id": r["id"], "text": r["text"]} for r in rows])
    step = -(-len(rows) // shards)
    for i in range(shards):
        pq.write_table(table.slice(i * step, step), data / f"train-{i:05d}-of-{shards:05d}.parquet")
    return directory


def bench_signatures(n: int) -> dict:
    from datasketch import MinHash
    from rensa import RMinHash

    from mkdata.dedup.fast_minhash import fast_signatures
    from mkdata.dedup.minhash import shingles, signatures

    texts = [normalize(r["text"], NormConfig()) for r in corpus(n, 4, seed=1)]
    fast_signatures(texts[:10], 5, "char")  # load the compiled kernel before timing
    times = {}
    start = time.perf_counter()
    for t in texts:
        m = RMinHash(num_perm=128, seed=42)
        m.update([t[i : i + 5] for i in range(max(1, len(t) - 4))])
        m.digest()
    times["rensa_RMinHash_s"] = time.perf_counter() - start
    start = time.perf_counter()
    fast = fast_signatures(texts, 5, "char")
    times["mkdata_fast_s"] = time.perf_counter() - start
    grams = [shingles(t, 5, "char") for t in texts]
    start = time.perf_counter()
    bulk = MinHash.bulk(grams, num_perm=128)
    times["datasketch_bulk_s"] = time.perf_counter() - start
    start = time.perf_counter()
    ours = signatures(grams, 128)
    times["mkdata_datasketch_mode_s"] = time.perf_counter() - start
    equal = bool(np.array_equal(np.stack([m.hashvalues for m in bulk]).astype(np.uint32), ours))
    return times | {
        "docs": n,
        "fast_vs_rensa": times["rensa_RMinHash_s"] / times["mkdata_fast_s"],
        "datasketch_mode_equal_to_datasketch": equal,
        "fast_shape": list(fast.shape),
    }


def quality(rows: list[dict], kept_ids: set[str]) -> dict:
    planted = [r for r in rows if r["of"] is not None]
    distinct = [r for r in rows if r["of"] is None]
    return {
        "planted": len(planted),
        "planted_removed": (  # None where the documents got no planted copy (a few)
            sum(r["id"] not in kept_ids for r in planted) / len(planted) if planted else None
        ),
        "distinct_removed": sum(r["id"] not in kept_ids for r in distinct),
    }


def bench_end_to_end(n: int) -> dict:
    rows = corpus(n, 4, seed=2)
    src = write(WORK / "dedup_in", rows, shards=2)
    single = WORK / "dedup_in.parquet"
    for name in (single, WORK / "rensa_dedup.py", WORK / "rensa_kept.parquet"):
        name.unlink(missing_ok=True)  # a link left here is replaced, not written through
    pq.write_table(pa.Table.from_pylist([{"id": r["id"], "text": r["text"]} for r in rows]), single)
    script = WORK / "rensa_dedup.py"
    script.write_text(RENSA_SCRIPT)
    out = WORK / "dedup_out"
    results: dict = {"docs": n}
    for name in ("rensa_script", "mkdata", "rensa_script_2", "mkdata_2"):  # alternate, twice
        shutil.rmtree(out, ignore_errors=True)
        if name.startswith("rensa"):
            kept_file = WORK / "rensa_kept.parquet"
            seconds, rss = run_measured([sys.executable, str(script), str(single), str(kept_file)])
            kept = set(pq.read_table(kept_file, columns=["id"]).column("id").to_pylist())
        else:
            seconds, rss = run_measured([sys.executable, "-m", "mkdata", "dedup", str(src),
                                         "--out", str(out)])  # fmt: skip
            kept = set(
                pq.read_table(out / "data" / "default", columns=["id"]).column("id").to_pylist()
            )
        results[name] = {"seconds": round(seconds, 2), "peak_rss_mib": round(rss)} | quality(
            rows, kept
        )
    best = {
        k: min(results[k]["seconds"], results[k + "_2"]["seconds"])
        for k in ("rensa_script", "mkdata")
    }
    results["mkdata_vs_rensa_script"] = best["rensa_script"] / best["mkdata"]
    return results


def bench_million(n: int) -> dict:
    rows = corpus(n, 2, seed=3) if n else []
    src = write(WORK / "million_in", rows, shards=max(2, n // 250_000))
    out = WORK / "million_out"
    shutil.rmtree(out, ignore_errors=True)
    seconds, rss = run_measured([sys.executable, "-m", "mkdata", "dedup", str(src), "--out", str(out),
                                 "--workers", "2"])  # fmt: skip
    m = json.loads((out / "mkdata.json").read_text())
    return {"docs": n, "seconds": round(seconds, 1), "peak_rss_mib": round(rss),
            "filters": m["filters"]["default"]}  # fmt: skip


def main() -> None:
    global SENTENCES, WORK
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sig-docs", type=int, default=20_000, help="documents signed in 1")
    ap.add_argument("--docs", type=int, default=100_000, help="documents deduplicated in 2")
    ap.add_argument("--million", type=int, default=1_000_000, help="short documents in 3 (0: skip)")
    ap.add_argument(
        "--sentences",
        type=Path,
        help="real sentences for the documents: text (one per line), or a data file "
        "(.parquet, .jsonl, .jsonl.gz, ...) with a text column; default: the bundled sets",
    )
    ap.add_argument("--work", type=Path, default=WORK, help="folder for inputs and outputs")
    args = ap.parse_args()
    WORK = work_folder(args.work)
    if args.sentences is not None:
        SENTENCES = given_input(args.sentences, WORK, "--sentences")
    # the sentences read and counted now: a file that cannot make the documents fails before
    # anything is measured
    for n, sentences in ((args.sig_docs, 4), (args.docs, 4), (args.million, 2)):
        check_enough_sentences(n, sentences)
    results = {"signatures": bench_signatures(args.sig_docs)}
    print(json.dumps(results, indent=1), flush=True)
    results["end_to_end"] = bench_end_to_end(args.docs)
    print(json.dumps(results["end_to_end"], indent=1), flush=True)
    if args.million:
        results["million"] = bench_million(args.million)
        print(json.dumps(results["million"], indent=1), flush=True)
    (WORK / "dedup_results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
