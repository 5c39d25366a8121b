"""Assemble gold parallel sets for calibrating and testing `mkdata mine bitext`.

Sources, each a JSON Lines file of ``{"eng": ..., "deu": ..., ...}`` tuples:

- benchmarks/bitext_gold/django/parallel.jsonl: the human translations in the Django
  wheel's gettext catalogs (``django/**/locale/<lc>/LC_MESSAGES/django.mo``,
  BSD-3-Clause): English UI messages of 3 to 40 words without placeholders or markup.
- benchmarks/bitext_gold/handwritten/parallel.jsonl: 51 everyday and FAQ sentences in
  15 languages, written for mkdata.

A tuple file becomes a BUCC-like mining set:

    OUT/sentences/<lang>.jsonl   {"id", "language", "text"}
    OUT/gold.jsonl               {"src_id", "tgt_id", "src_lang", "tgt_lang"}  (X-eng)

A fraction DROP (default 0.1) of the English sentences is left out (their
translations have no partner) and each language loses DROP of its translations
(those English rows have no partner in it), so mining must also decide when
nothing matches.

    pip download --no-deps django==5.2.19 -d /tmp/dj
    python scripts/make_bitext_gold.py django /tmp/dj/django-5.2.19-py3-none-any.whl benchmarks/bitext_gold/django/parallel.jsonl
    python scripts/make_bitext_gold.py set benchmarks/bitext_gold/handwritten/parallel.jsonl OUT [DROP]
"""

from __future__ import annotations

import gettext
import io
import json
import random
import re
import sys
import zipfile
from pathlib import Path

DJANGO_LOCALES = {
    "ara": "ar", "zho": "zh_Hans", "nld": "nl", "deu": "de", "fra": "fr", "ita": "it",
    "por": "pt", "spa": "es", "jpn": "ja", "kor": "ko", "rus": "ru", "pol": "pl",
    "tha": "th", "tur": "tr",
}  # fmt: skip
BAD = re.compile(r"[%{}<>\\_]|https?:")


def _usable(msgid: str) -> bool:
    words = msgid.split()
    return 3 <= len(words) <= 40 and not BAD.search(msgid) and "\n" not in msgid


def django_tuples(wheel: Path) -> list[dict[str, str]]:
    """One {"eng": message, lang: translation, ...} per English message, over all apps."""
    by_msg: dict[str, dict[str, str]] = {}
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            m = re.search(r"/locale/([^/]+)/LC_MESSAGES/django\.mo$", name)
            lang = next((k for k, v in DJANGO_LOCALES.items() if m and m.group(1) == v), None)
            if lang is None:
                continue
            catalog = gettext.GNUTranslations(io.BytesIO(zf.read(name)))._catalog  # type: ignore[attr-defined]
            for msgid, msgstr in catalog.items():
                if not (isinstance(msgid, str) and _usable(msgid) and msgstr.strip()):
                    continue
                text = " ".join(msgstr.split())
                if text != msgid.strip():
                    by_msg.setdefault(msgid.strip(), {"eng": msgid.strip()}).setdefault(lang, text)
    return [by_msg[m] for m in sorted(by_msg)]


def write_gold(
    tuples: list[dict[str, str]], out: Path, prefix: str, seed: int = 0, drop: float = 0.1
) -> int:
    """Write OUT/sentences/*.jsonl and OUT/gold.jsonl; return the number of gold pairs."""
    rng = random.Random(seed)
    langs = sorted({lang for t in tuples for lang in t} - {"eng"})
    no_english = set(rng.sample(range(len(tuples)), int(len(tuples) * drop)))
    (out / "sentences").mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict[str, str]]] = {lang: [] for lang in ["eng", *langs]}
    for i, t in enumerate(tuples):
        if i not in no_english:
            rows["eng"].append({"id": f"{prefix}-eng-{i:05d}", "language": "eng", "text": t["eng"]})
    gold = []
    for lang in langs:
        have = [i for i, t in enumerate(tuples) if lang in t]
        missing = set(rng.sample(have, int(len(have) * drop)))
        seen: set[str] = set()
        for i in have:
            text = tuples[i][lang]
            if i in missing or text in seen:
                continue
            seen.add(text)
            rid = f"{prefix}-{lang}-{i:05d}"
            rows[lang].append({"id": rid, "language": lang, "text": text})
            if i not in no_english:
                gold.append(
                    {
                        "src_id": rid,
                        "tgt_id": f"{prefix}-eng-{i:05d}",
                        "src_lang": lang,
                        "tgt_lang": "eng",
                    }
                )
    for lang, items in rows.items():
        with open(out / "sentences" / f"{lang}.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in items)
    with open(out / "gold.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(g) + "\n" for g in gold)
    return len(gold)


def main() -> None:
    kind, source, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if kind == "django":
        tuples = django_tuples(source)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(t, ensure_ascii=False, sort_keys=True) + "\n" for t in tuples)
        print(f"{len(tuples)} tuples -> {out}", file=sys.stderr)
        return
    drop = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
    n = write_gold(read_tuples(source), out, source.parent.name, drop=drop)
    print(f"{n} gold pairs -> {out}", file=sys.stderr)


def read_tuples(path: Path) -> list[dict[str, str]]:
    """The parallel tuples of a JSON Lines file."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


if __name__ == "__main__":
    main()
