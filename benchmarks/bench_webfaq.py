"""Benchmark `mkdata build webfaq` against `gzip -dc` on the same file, in the same run.

Usage: python benchmarks/bench_webfaq.py [--mb 100] [--parts 4] [--shapes real distinct]
       [--profile-mb 20] [--scale-mb 100] [--repeat 3] [--work DIR] [--keep]
       python benchmarks/bench_webfaq.py --input FILE [FILE ...] [--parts 4] [--profile-mb 20]

For each corpus shape (see scripts/nquads_gen.py: ``real`` = shop sites whose pages repeat
the site's FAQ beside product markup; ``distinct`` = nearly every pair distinct) it writes a
synthetic WDC-style FAQPage N-Quads file of MB uncompressed megabytes, then measures:
  1. `gzip -dc FILE > /dev/null` (best of 3) vs a one-worker build of FILE: ratio (targets:
     <= 6x real-shaped, <= 10x distinct), MB/s, pairs/s, peak RSS of the process tree, the
     same build with language ID by fastText's binding (MKDATA_FASTTEXT_BINDING=1), and
     the time language ID alone needs for the texts the build identifies, with fastText's
     binding and with mkdata's compiled predictor (same predictions, checked), the latter
     also right after an isal inflate left the vector registers' upper halves in use (as
     builds did until mkdata.core.fetch cleared them after each isal call);
  2. the same amount split into PARTS files: --workers 2 vs --workers 1 (target >= 1.8x),
     end to end, for the units' phase alone (from the manifest's timings) and a unit's mean
     time; every build is run three times and the fastest run kept; then the same on PARTS
     files of SCALE_MB each (best of 2), where the fixed cost of a build weighs less;
  3. where the one-worker time goes: a build of PROFILE_MB under cProfile, its time split
     into the phases of a build (shares; the profiler slows Python code more than C code).
     Language ID runs on a thread of the unit, which cProfile does not see: its time alone
     is in 1, and what the unit waits for it is in "rest of the unit".
With ``--input``, the same is measured on the given N-Quads files (gzip or plain: real WDC
data, held out or downloaded) instead of generated corpora: ``gzip -dc`` of all of them vs a
one-worker build of all of them (target: <= 6x, real-shaped); the files themselves as the
parts of 2 (or, for one file, that file cut at page boundaries into PARTS parts); the first
PROFILE_MB of whole pages for the profile; no SCALE_MB builds. A plain file is gzipped into
the work folder first, as WDC ships its files; the inputs are only read.
mkdata's modules are byte-compiled first, as an install from a wheel does.
Prints Markdown tables and writes WORK/webfaq_results.json (WORK: --work, default
benchmarks/_work).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import pstats
import resource
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
from nquads_gen import write_corpus  # noqa: E402

sys.path.insert(0, str(HERE))
from measure import (  # noqa: E402
    DEFAULT_WORK,
    compile_mkdata,
    distinct_files,
    given_input,
    run_measured,
    work_folder,
)

WORK = DEFAULT_WORK  # --work
TARGET = {"real": 6.0, "distinct": 10.0, "input": 6.0}  # given files: real WDC data
# phase -> (file suffix, function name, cumulative or own time) in the profile of a build
PHASES = {
    "start-up and the rest (imports, options, publishing)": None,
    # the reader is a generator: the time of its frames, compiled or Python
    "N-Quads parsing": ("builders/nquads.py", ("_read_compiled", "_read_python"), "cum"),
    "normalizing questions and answers": ("builders/normalize.py", "normalize_entry", "cum"),
    "rest of the unit (filters, rows, bucket files)": (
        "builders/qa_unit.py",
        "process_unit",
        "cum",
    ),
    "merge (dedup across units, shards)": ("builders/qa_build.py", "_merge", "cum"),
    "dataset card (statistics, charts)": ("cards/card.py", "write_card_of_run", "cum"),
}


REPEAT = 3  # each build is timed this many times, the best kept (this machine is noisy): --repeat


class Build(NamedTuple):
    """The fastest of a build's timed runs."""

    seconds: float  # wall time
    rss_mib: float  # peak RSS of the whole process tree
    cores: float  # CPU time of the build's process and the workers it waited for, / wall
    manifest: dict


def build(
    sources: list[Path], out: Path, workers: int, binding: bool = False, repeat: int | None = None
) -> Build:
    """The fastest of ``repeat`` fresh builds; with ``binding``, language ID by fastText's
    binding instead of mkdata's predictor."""
    env = {**os.environ, "MKDATA_FASTTEXT_BINDING": "1" if binding else ""}
    cmd = [sys.executable, "-m", "mkdata", "build", "webfaq", "--out", str(out)]
    cmd += ["--workers", str(workers), "--min-rows", "1"]
    for s in sources:
        cmd += ["--source", str(s)]
    runs = []
    for _ in range(repeat or REPEAT):
        shutil.rmtree(out, ignore_errors=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, mib = run_measured(cmd, env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        manifest = json.loads((out / "mkdata.json").read_text())
        runs.append(Build(seconds, mib, cpu / seconds, manifest))
    return min(runs, key=lambda r: r.seconds)


def profile_shares(corpus: Path, out: Path) -> dict[str, float]:
    """Shares of a profiled one-worker build's time per phase (PHASES)."""
    shutil.rmtree(out, ignore_errors=True)
    prof = WORK / "build.prof"
    prof.unlink(missing_ok=True)  # never read an earlier run's profile
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "mkdata", "build", "webfaq"]
    run_measured([*cmd, "--source", str(corpus), "--out", str(out), "--min-rows", "1"])
    stats = pstats.Stats(str(prof)).stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, name), (_, _, _, ct, _) in stats.items() if name == "<module>")
    times: dict[str, float] = {}
    for phase, where in PHASES.items():
        if where is None:
            continue
        suffix, func, kind = where
        times[phase] = sum(
            (ct if kind == "cum" else tt)
            for (file, _, name), (_, _, tt, ct, _) in stats.items()
            if name in ((func,) if isinstance(func, str) else func) and file.endswith(suffix)
        )
    unit = "rest of the unit (filters, rows, bucket files)"
    parts = [p for p in PHASES if p.startswith(("N-Quads", "normalizing"))]
    times[unit] -= sum(times[p] for p in parts)
    times["start-up and the rest (imports, options, publishing)"] = total - sum(times.values())
    return {p: round(times[p] / total, 3) for p in PHASES} | {"profiled_seconds": round(total, 2)}


def lid_seconds(corpus: list[Path]) -> tuple[float, float, float | None]:
    """Seconds language ID alone takes on the texts a build of ``corpus`` identifies (the
    joint text of each distinct pair, then each distinct question and answer a language
    rule reads, cut and cleaned as the build does): (fastText's binding, its C entry point
    without the Python-side work; mkdata's compiled predictor, its Python entry point; the
    same right after an isal inflate left the vector registers' upper halves in use, as they
    were in a build before mkdata.core.fetch cleared them, None where the clearing helper is
    not built). Best of 3 each, alternating; the predictions must be the same."""
    import fasttext
    from isal import isal_zlib

    try:
        from mkdata.core import _vector_state
    except ImportError:
        _vector_state = None

    from mkdata.builders import filters as F
    from mkdata.builders.nquads import read_faq_pairs
    from mkdata.builders.qa_unit import LID_MAX_CHARS, prepare_pair
    from mkdata.core.lang import LanguageIdentifier, default_model_path, to_iso639_3
    from mkdata.core.report import Report

    cfg = F.QAFilterConfig()
    pairs: dict[str, tuple[str, str, str, str]] = {}
    for raw in (r for path in corpus for r in read_faq_pairs(path, Report())):
        _, q, a, key, _ = prepare_pair(raw.question, raw.answer)  # as the build's unit does
        if key:
            pairs.setdefault(key, (q, a, q[:LID_MAX_CHARS], a[:LID_MAX_CHARS]))
    ours = LanguageIdentifier()
    binding = fasttext.load_model(str(default_model_path())).f  # the C entry point

    def clean(text: str) -> str:  # as LanguageIdentifier.predict cleans it for the binding
        return text.replace("\n", " ").replace("\r", " ")

    joint = [clean(f"{qc} {ac}") for _, _, qc, ac in pairs.values()]
    joints = ours.predict(joint, k=3)
    sides = {
        clean(t): None
        for (q, a, qc, ac), j in zip(pairs.values(), joints, strict=True)
        if F.text_rule(q, a, cfg) is None and F.reads_sides(j, cfg)
        for t in (qc, ac)
    }
    texts = joint + list(sides)
    lines = [t + "\n" for t in texts]
    best = {"binding": float("inf"), "mkdata": float("inf"), "dirty": float("inf")}
    inflated = gzip.compress(b"x" * 1_000_000)
    for _ in range(3):
        start = time.perf_counter()
        labels, probs = binding.multilinePredict(lines, 3, 0.0, "strict")
        best["binding"] = min(best["binding"], time.perf_counter() - start)
        start = time.perf_counter()
        got = ours.predict(texts, k=3)
        best["mkdata"] = min(best["mkdata"], time.perf_counter() - start)
        if _vector_state is not None:
            isal_zlib.decompressobj(wbits=31).decompress(inflated)  # not cleared after
            if not _vector_state.upper_in_use():
                raise SystemExit("isal's inflate left the upper state clear on this CPU")
            start = time.perf_counter()
            dirty = ours.predict(texts, k=3)
            best["dirty"] = min(best["dirty"], time.perf_counter() - start)
            _vector_state.zero_upper()
            if dirty != got:
                raise SystemExit("language ID differs with the upper state in use")
    want = [
        (tuple(to_iso639_3(x) for x in lab), tuple(min(float(p), 1.0) for p in pr))
        for lab, pr in zip(labels, probs, strict=True)
    ]
    if [(p.langs, p.scores) for p in got] != want:
        raise SystemExit("mkdata's language ID differs from fastText's binding")
    return best["binding"], best["mkdata"], best["dirty"] if _vector_state else None


def reader_seconds(corpus: list[Path]) -> tuple[float | None, float]:
    """Seconds the N-Quads reader takes on ``corpus`` compiled (None when it was not built)
    and in Python: best of 3, alternating, in this process."""
    import os

    from mkdata.builders import nquads
    from mkdata.core.report import Report

    compiled = nquads._compiled() is not None
    best = {"": float("inf"), "1": float("inf")}
    for _ in range(3):
        for pure in best if compiled else ["1"]:
            os.environ["MKDATA_PURE_PYTHON_NQUADS"] = pure
            start = time.perf_counter()
            for path in corpus:
                for _ in nquads.read_faq_pairs(path, Report()):
                    pass
            best[pure] = min(best[pure], time.perf_counter() - start)
    os.environ.pop("MKDATA_PURE_PYTHON_NQUADS")
    return (best[""] if compiled else None), best["1"]


def sample_build_seconds() -> float:
    """Seconds a build of the bundled sample (1,847 lines) takes, best of 3: the fixed cost
    of every build (start-up, merge, card)."""
    out = WORK / "out-sample"
    times = []
    for _ in range(3):
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "mkdata", "build", "webfaq", "--sample", "--out", str(out)]
        times.append(run_measured(cmd)[0])
    return min(times)


def mean_unit_seconds(manifest: dict) -> float:
    """The mean time of a build's units (each as its unit timed itself)."""
    return sum(i["seconds"] for i in manifest["inputs"]) / len(manifest["inputs"])


def workers_scaling(parts: list[Path], tag: str, label: str) -> dict:
    """--workers 1 and 2 on ``parts``: end to end, the units' phase alone, a unit's mean time
    (how much two running at once slow each other down)."""
    small = sum(p.stat().st_size for p in parts) <= 20_000_000  # gzip; a large build: best of 2
    repeat = REPEAT if small else min(2, REPEAT)
    one = build(parts, WORK / f"outw1{label}-{tag}", workers=1, repeat=repeat)
    two = build(parts, WORK / f"outw2{label}-{tag}", workers=2, repeat=repeat)
    return {
        f"parts{label}": len(parts),
        f"part{label}_mb": round(uncompressed_bytes(parts) / len(parts) / 1e6, 1),
        f"parts{label}_1_worker_seconds": round(one.seconds, 3),
        f"parts{label}_2_workers_seconds": round(two.seconds, 3),
        f"speedup{label}_2_workers": round(one.seconds / two.seconds, 2),
        # the units' phase alone (pool start-up included), from the builds' own timings
        f"units{label}_speedup_2_workers": round(
            one.manifest["timings"]["parse_seconds"] / two.manifest["timings"]["parse_seconds"], 2
        ),
        f"unit{label}_mean_seconds_1_worker": round(mean_unit_seconds(one.manifest), 3),
        f"unit{label}_mean_seconds_2_workers": round(mean_unit_seconds(two.manifest), 3),
        # CPU time / wall time: how many cores each build kept busy (of this machine's)
        f"cores{label}_used_1_worker": round(one.cores, 2),
        f"cores{label}_used_2_workers": round(two.cores, 2),
        f"peak_rss{label}_1_worker_mib": round(one.rss_mib),
        f"peak_rss{label}_2_workers_mib": round(two.rss_mib),
    }


def uncompressed_bytes(files: list[Path]) -> int:
    """The bytes of ``files`` once gunzipped (as mkdata reads them: gzip or plain); each file
    is inflated once per run while it stays as it was (the inputs are checked, built and cut
    into parts: one inflation for all)."""
    stamps = [(f.resolve(), f.stat().st_mtime_ns, f.stat().st_size) for f in files]
    return sum(_inflated_bytes(*stamp) for stamp in stamps)


@functools.cache
def _inflated_bytes(path: Path, mtime_ns: int, size: int) -> int:
    """The bytes of ``path`` once gunzipped, as it was at ``mtime_ns`` and ``size``."""
    from mkdata.core.fetch import iter_decompressed

    return sum(len(piece) for piece in iter_decompressed(path))


def graph_of(line: bytes) -> bytes:
    """The graph (the page) of an N-Quads line: its last term before the final dot."""
    body = line.rstrip()
    if body.endswith(b"."):
        body = body[:-1].rstrip()
    terms = body.rsplit(None, 1)
    return terms[-1] if terms else b""


def nquads_lines(sources: list[Path]) -> Iterator[bytes]:
    """The non-empty lines of ``sources`` (gzip or plain), in order, without their ends, as
    the build's reader frames them (``nquads._iter_blocks``); CorruptInput where one is
    broken."""
    from mkdata.builders.nquads import _iter_blocks
    from mkdata.core.fetch import CorruptInput
    from mkdata.core.report import Report

    for f in sources:
        report = Report()
        for _, data, end in _iter_blocks(f, report, str(f)):
            yield from filter(None, data[:end].split(b"\n"))
        if report.error:
            raise CorruptInput(report.error)


def split_pages(sources: list[Path], parts: list[Path], part_bytes: int) -> list[Path]:
    """Write the lines of ``sources`` into the gzip files ``parts`` in order, each holding
    whole pages, at least one: part ``i`` ends at the first page boundary (the graph changes)
    after ``(i + 1) * part_bytes`` uncompressed bytes in all; lines after the last part ended
    are left out. Returns the parts written (fewer where the pages ran out)."""
    lines = nquads_lines(sources)
    line = next(lines, None)
    written, done = [], 0
    for i, part in enumerate(parts):
        if line is None:
            break
        part.unlink(missing_ok=True)  # a link left here is replaced, not written through
        with gzip.open(part, "wb", compresslevel=6) as fh:
            last = None
            while line is not None:
                graph = graph_of(line)
                if last is not None and graph != last and done >= (i + 1) * part_bytes:
                    break
                fh.write(line + b"\n")
                done, last = done + len(line) + 1, graph
                line = next(lines, None)
        written.append(part)
    return written


def check_faq_pairs(path: Path) -> None:
    """SystemExit (one line naming ``path``) unless the build's reader finds a FAQ
    question-answer pair in it: there would be nothing to measure."""
    from mkdata.builders.nquads import read_faq_pairs
    from mkdata.core.report import Report

    report = Report()
    if next(iter(read_faq_pairs(path, report, str(path), None)), None) is None:
        why = f" ({report.error.removeprefix(f'{path}: ')})" if report.error else ""
        raise SystemExit(f"--input {path}: no FAQ question-answer pair in it{why}")


def given_files(inputs: list[Path], n_parts: int, profile_mb: int) -> tuple[list, list, Path]:
    """(the files to build: the inputs, gzipped into WORK where plain; the parts of the
    workers' scaling: those files, or the one file cut into ``n_parts`` at page boundaries;
    the first ``profile_mb`` MB of whole pages, for the profile), all gzip. SystemExit where
    an input is missing, inside WORK, given twice, not readable (corrupt gzip) or without a
    FAQ pair."""
    from mkdata.core.fetch import CorruptInput

    distinct_files([given_input(f, WORK, "--input") for f in inputs], "--input")
    files, sizes = [], []
    for i, f in enumerate(inputs):
        try:  # read whole once: a broken input fails here, not later
            sizes.append(uncompressed_bytes([f]))
        except (CorruptInput, OSError) as exc:
            raise SystemExit(f"--input {f}: {exc}") from None
        check_faq_pairs(f)
        with open(f, "rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
        if not gzipped:  # gzip -dc is the baseline, as WDC ships gzip files
            target = WORK / f"input-{i}.nq.gz"
            split_pages([f], [target], 1 << 62)
            f = target
        files.append(f)
    parts = files
    if len(files) == 1:
        cuts = [WORK / f"part_input_{i}.nq.gz" for i in range(n_parts)]
        parts = split_pages(files, cuts, -(-sizes[0] // n_parts))
        if len(parts) < n_parts:
            print(f"note: {len(parts)} parts, not {n_parts}: the file has fewer pages", flush=True)
    profile = WORK / "profile-input.nq.gz"
    split_pages(files, [profile], profile_mb * 1_000_000)
    return files, parts, profile


def generated_files(shape: str, mb: int, n_parts: int, profile_mb: int) -> tuple[list, list, Path]:
    """The same as :func:`given_files` for a ``shape`` corpus of ``mb`` MB, generated."""
    big = WORK / f"corpus-{shape}.nq.gz"
    write_corpus(big, mb * 1_000_000, seed=7, shape=shape)
    parts = generated_parts(shape, n_parts, mb // n_parts, "")
    small = WORK / f"profile-{shape}.nq.gz"
    write_corpus(small, profile_mb * 1_000_000, seed=7, shape=shape)
    return [big], parts, small


def generated_parts(shape: str, n_parts: int, part_mb: int, label: str) -> list[Path]:
    """``n_parts`` generated ``shape`` corpora of ``part_mb`` MB each, in WORK."""
    parts = []
    for i in range(n_parts):
        p = WORK / f"part{label}_{shape}_{i}.nq.gz"
        write_corpus(p, part_mb * 1_000_000, seed=100 + i, shape=shape)
        parts.append(p)
    return parts


def bench_files(shape: str, files: list[Path], parts: list[Path], profile: Path) -> dict:
    """Every measurement of a corpus (``files``, its ``parts`` and ``profile`` cut) but the
    large scaling builds."""
    size = uncompressed_bytes(files) / 1e6
    names = " ".join(shlex.quote(str(f)) for f in files)
    gz = min(run_measured(["sh", "-c", f"gzip -dc {names} > /dev/null"])[0] for _ in range(3))
    ours = build(files, WORK / f"out1-{shape}", workers=1)
    one, manifest = ours.seconds, ours.manifest
    binding = build(files, WORK / f"out1b-{shape}", 1, binding=True)
    if binding.manifest["configs"] != manifest["configs"]:
        raise SystemExit("a build with fastText's binding kept other rows")
    lid_binding, lid_ours, lid_dirty = lid_seconds(files)
    reader_c, reader_py = reader_seconds(files)
    pairs_in = manifest["counts"].get("raw_pairs", 0)
    rows = sum(c["train"] for c in manifest["configs"].values())
    scaling = workers_scaling(parts, shape, "") if len(parts) > 1 else {}
    if not scaling:
        print("note: one part only, no --workers 2 vs 1", flush=True)
    shares = profile_shares(profile, WORK / f"outp-{shape}")
    return {
        "shape": shape,
        "files": len(files),
        "corpus_mb_uncompressed": round(size, 1),
        "corpus_mb_gz": round(sum(f.stat().st_size for f in files) / 1e6, 1),
        "pages": manifest["counts"].get("pages", 0),
        "pairs_in_file": pairs_in,
        "rows_out": rows,
        "gzip_dc_seconds": round(gz, 3),
        "build_1_worker_seconds": round(one, 3),
        "ratio_vs_gzip": round(one / gz, 2),
        "build_1_worker_fasttext_binding_seconds": round(binding.seconds, 3),
        "ratio_vs_gzip_fasttext_binding": round(binding.seconds / gz, 2),
        "target_ratio": TARGET[shape],
        "build_mb_per_s": round(size / one, 1),
        "build_pairs_per_s": round(pairs_in / one),
        "peak_rss_mib": round(ours.rss_mib),
        "cores_used_file_1_worker": round(ours.cores, 2),  # the parts': cores_used_1_worker
        "lid_fasttext_binding_seconds": round(lid_binding, 3),
        "lid_fasttext_binding_ratio_vs_gzip": round(lid_binding / gz, 2),
        "lid_mkdata_seconds": round(lid_ours, 3),
        "lid_speedup_vs_binding": round(lid_binding / lid_ours, 2),
        # after an isal inflate, the vector registers' upper halves not cleared (as before
        # 2026-12-04): the same texts, the same predictions
        "lid_mkdata_upper_state_in_use_seconds": lid_dirty and round(lid_dirty, 3),
        "lid_slowdown_upper_state_in_use": lid_dirty and round(lid_dirty / lid_ours, 2),
        "reader_seconds_compiled": reader_c and round(reader_c, 3),
        "reader_seconds_python": round(reader_py, 3),
        "unit_seconds": manifest["timings"]["parse_seconds"],
        "merge_seconds": manifest["timings"]["merge_seconds"],
        **scaling,
        f"profile_{round(uncompressed_bytes([profile]) / 1e6)}mb": shares,
    }


def at_least_one(value: str) -> int:
    """An option's whole number, at least 1."""
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value}: at least 1")
    return n


def main() -> None:
    global REPEAT, WORK
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=100, help="uncompressed size of each corpus")
    ap.add_argument(
        "--parts", type=at_least_one, default=4, help="files of the --workers 1 vs 2 builds"
    )
    ap.add_argument(
        "--shapes",
        nargs="+",
        default=["real", "distinct"],
        choices=["real", "distinct"],
        help="generated corpora measured",
    )
    ap.add_argument(
        "--input",
        type=Path,
        nargs="+",
        help="N-Quads files (gzip or plain, e.g. real WDC data) to measure instead of the "
        "generated corpora",
    )
    ap.add_argument(
        "--profile-mb", type=at_least_one, default=20, help="size of the profiled build"
    )
    ap.add_argument(
        "--scale-mb",
        type=int,
        default=100,
        help="also --workers 1 vs 2 on PARTS parts of this many MB each (0: not; generated "
        "corpora only)",
    )
    ap.add_argument(
        "--repeat", type=at_least_one, default=REPEAT, help="builds timed, the best kept"
    )
    ap.add_argument("--work", type=Path, default=WORK, help="folder for corpora and outputs")
    ap.add_argument("--keep", action="store_true", help="keep the corpora written here")
    args = ap.parse_args()
    REPEAT, WORK = args.repeat, work_folder(args.work)
    given = given_files(args.input, args.parts, args.profile_mb) if args.input else None
    compile_mkdata()
    results = []
    fixed = sample_build_seconds()
    for shape in ["input"] if args.input else args.shapes:
        if given is not None:
            files, parts, profile = given
        else:
            files, parts, profile = generated_files(shape, args.mb, args.parts, args.profile_mb)
        result = bench_files(shape, files, parts, profile)
        inputs = {f.resolve() for f in args.input or []}
        made = [f for f in {*files, *parts, profile} if f.resolve() not in inputs]
        if args.scale_mb and not args.input:
            large = generated_parts(shape, args.parts, args.scale_mb, "_large")
            result |= workers_scaling(large, shape, "_large")
            made += large
        result["sample_build_seconds"] = round(fixed, 3)  # the fixed cost of every build
        results.append(result)
        if not args.keep:
            for p in made:
                p.unlink()
    (WORK / "webfaq_results.json").write_text(json.dumps(results, indent=2) + "\n")
    for r in results:
        print(f"\n### shape: {r['shape']}\n\n| metric | value |\n|---|---:|")
        for k, v in r.items():
            if not isinstance(v, dict):
                print(f"| {k} | {v} |")
        (label, shares), *_ = [(k, v) for k, v in r.items() if isinstance(v, dict)]
        print(f"\n{label} ({shares['profiled_seconds']} s profiled): share of the build time")
        print("\n| phase | share |\n|---|---:|")
        for phase in PHASES:
            print(f"| {phase} | {shares[phase]:.0%} |")


if __name__ == "__main__":
    main()
