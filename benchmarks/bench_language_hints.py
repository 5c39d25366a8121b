"""What language hints change in `build webfaq` / `build mfaq` (issue 18): rows kept and
rows labelled right, with `--language-hints` (default) against `--no-language-hints`.

Usage: python benchmarks/bench_language_hints.py

Sets, each built both ways:
  * the bundled webfaq and mfaq samples (`--sample`);
  * "short": the hand-written FAQ content of 10 languages (scripts/faq_content.py) cut to
    short pairs (the question's first 4 words, the answer's first 8), the kind of pair
    fastText is unsure of, on pages declaring their true language (`inLanguage`);
  * "short, wrong hint": the same pages declaring a wrong language (English; German for
    the English pages), as template-default `lang` attributes do on the web.
Truth is the language the content was written in. Prints, per set: rows kept with and
without hints, pairs kept by a hint (`language_by_hint` in mkdata.json), and how many
kept rows carry a wrong language. Writes benchmarks/_work/language_hints_results.json.
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "scripts"))
from faq_content import FAQ  # noqa: E402
from nquads_gen import page_quads  # noqa: E402

WORK = HERE / "_work" / "language_hints"
ISO1 = {"eng": "en", "deu": "de", "fra": "fr", "spa": "es", "ita": "it", "por": "pt",
        "nld": "nl", "pol": "pl", "rus": "ru", "jpn": "ja"}  # fmt: skip


def _words(text: str, n: int) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", " ", text))
    if " " not in plain.strip():  # Japanese: characters, not words
        return plain.strip()[: n * 3]
    return " ".join(plain.split()[:n])


def short_set(path: Path, wrong_hint: bool) -> dict[str, str]:
    """Write the short-pair pages; return the true language of each question."""
    rng = random.Random(7)
    lines, truth = [], {}
    for lang, (site, qas) in FAQ.items():
        pairs = [(_words(q, 4), _words(a, 8)) for q, a in qas]
        truth.update({q: lang for q, _ in pairs})
        hint = ("de" if lang == "eng" else "en") if wrong_hint else ISO1[lang]
        for i in range(0, len(pairs), 4):
            lines += page_quads(f"https://{site}/faq/{i}", pairs[i : i + 4], rng, hint)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return truth


def sample_truth() -> dict[str, str]:
    """True language of each question of the bundled samples (by its text)."""
    return {_words(q, 1000): lang for lang, (_, qas) in FAQ.items() for q, _ in qas}


def build(args: list[str], out: Path, hints: bool) -> tuple[pl.DataFrame, dict]:
    flag = "--language-hints" if hints else "--no-language-hints"
    cmd = [sys.executable, "-m", "mkdata", "build", *args, "--out", str(out), "--overwrite",
           "--min-rows", "0", flag]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)
    files = sorted((out / "data").glob("*/*.parquet"))
    df = pl.concat([pl.read_parquet(f, columns=["id", "language", "question"]) for f in files])
    return df, json.loads((out / "mkdata.json").read_text())


def compare(name: str, args: list[str], truth: dict[str, str]) -> dict:
    result = {"set": name}
    for hints in (False, True):
        df, m = build(args, WORK / f"{name.replace(' ', '_').replace(',', '')}-{hints}", hints)
        known = df.filter(pl.col("question").is_in(list(truth)))
        wrong = sum(
            truth[q] != lang for q, lang in zip(known["question"], known["language"], strict=True)
        )
        key = "hints" if hints else "no_hints"
        result[key] = {
            "rows": df.height,
            "wrong_language": wrong,
            "checked": known.height,
            "language_by_hint": m.get("counts", {}).get("language_by_hint", 0),
        }
    return result


def main() -> None:
    argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split())).parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    truth = sample_truth()
    sets = [
        compare("webfaq sample", ["webfaq", "--sample"], truth),
        compare("mfaq sample", ["mfaq", "--sample"], truth),
    ]
    for wrong in (False, True):
        path = WORK / f"short-{wrong}.nq.gz"
        t = short_set(path, wrong)
        name = "short, wrong hint" if wrong else "short"
        sets.append(compare(name, ["webfaq", "--source", str(path)], t))
    print(f"{'set':<20} {'rows (no hints)':>16} {'rows (hints)':>13} {'by hint':>8} "
          f"{'wrong (no hints)':>17} {'wrong (hints)':>14}")  # fmt: skip
    for r in sets:
        a, b = r["no_hints"], r["hints"]
        print(f"{r['set']:<20} {a['rows']:>16} {b['rows']:>13} {b['language_by_hint']:>8} "
              f"{a['wrong_language']:>17} {b['wrong_language']:>14}")  # fmt: skip
    (HERE / "_work" / "language_hints_results.json").write_text(json.dumps(sets, indent=1))


if __name__ == "__main__":
    main()
