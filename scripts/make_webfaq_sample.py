"""Regenerate mkdata/builders/samples/webfaq-sample.nq.gz (deterministic).

Usage: python scripts/make_webfaq_sample.py
"""

from __future__ import annotations

import gzip
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from faq_content import FAQ
from nquads_gen import RDF_TYPE, page_quads

OUT = Path(__file__).parent.parent / "mkdata" / "builders" / "samples" / "webfaq-sample.nq.gz"
ISO1 = {
    "eng": "en",
    "deu": "de",
    "fra": "fr",
    "spa": "es",
    "ita": "it",
    "por": "pt",
    "nld": "nl",
    "pol": "pl",
    "rus": "ru",
    "jpn": "ja",
}


def main() -> None:
    rng = random.Random(20241201)
    lines: list[str] = []
    for lang, (site, qas) in FAQ.items():
        scheme = "https" if rng.random() < 0.7 else "http"
        # three sites per language (the shop, its help centre, its support forum), so a
        # benchmark split by site has sites for both train and test
        root = site.split(".", 1)[1]
        hosts = [site, f"hilfe.{root}", f"support.{root}"]
        for i in range(0, len(qas), 4):
            topic = ["shipping", "account", "payment"][i // 4]
            url = f"{scheme}://{hosts[i // 4]}/faq/{topic}-{i // 4}.html"
            lines += page_quads(url, qas[i : i + 4], rng, ISO1[lang])
        # the same FAQ republished on a second URL: exact duplicates to remove
        lines += page_quads(f"{scheme}://{site}/hilfe/faq?page=1", qas[:2], rng, ISO1[lang])
    g = "<https://www.example-cutoff.com/faq>"
    # a page cut off by the crawler: mainEntity points at nodes that never appear
    lines += [
        f"_:cut1 {RDF_TYPE} <http://schema.org/FAQPage> {g}   .",
        f"_:cut1 <http://schema.org/mainEntity> _:cutq1 {g}   .",
        f"_:cut1 <http://schema.org/mainEntity> _:cutq2 {g}   .",
        f"_:cutq1 {RDF_TYPE} <http://schema.org/Question> {g}   .",
        f'_:cutq1 <http://schema.org/name> "Is this question complete without its answer?" {g}   .',
    ]
    # a page whose answers are too short or boilerplate (filtered, counted)
    lines += page_quads(
        "https://www.example-short.com/faq",
        [
            ("Do you deliver on Sundays?", "No."),
            (
                "What is the meaning of this placeholder answer?",
                "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
            ),
            ("Where can I read more about the return policy?", "Read more"),
        ],
        rng,
    )
    text = "\n".join(lines) + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    print(f"wrote {OUT} ({len(lines)} quads)")


if __name__ == "__main__":
    main()
