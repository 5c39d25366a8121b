"""Language hints: the page's declared language and its URL's language code break ties
fastText cannot, never override a confident prediction, and are counted."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from conftest import TYPE, S, faq_page, quad, run_cli, write_nq

from mkdata.core.language_hints import declared_language, language_hints, url_language

UNSURE_NLD = ("Zijn er verzendkosten?", "Boven de 25 euro verzenden we gratis. Voor")
CLEAR_DEU = (
    "Wie lange dauert die Lieferung nach Österreich?",
    "Die Lieferung nach Österreich dauert in der Regel drei bis fünf Werktage.",
)


def test_hints_from_tags_and_urls() -> None:
    assert declared_language("nl-NL") == "nld" and declared_language(" PT_br ") == "por"
    assert declared_language("english") is None and declared_language("xx") is None
    assert url_language("https://shop.example.com/de-at/faq") == "deu"
    assert url_language("https://fr.example.com/faq") == "fra"
    assert url_language("https://www.example.com/faq") is None
    assert url_language("https://example.com/faq/de") is None  # only the first segment
    assert url_language("http://[broken") is None
    assert language_hints("https://example.com/de/faq", "nl") == ("nld", "deu")
    assert language_hints("https://example.com/nl/faq", "nl-BE") == ("nld",)


def page(url: str, pair: tuple[str, str], declared: str, prefix: str) -> list[str]:
    node = f"_:{prefix}w"
    return [
        *faq_page(url, [pair], prefix),
        quad(node, TYPE, f"{S}WebPage>", url),
        quad(node, f"{S}inLanguage>", f'"{declared}"', url),
    ]


def build(tmp_path: Path, name: str, lines: list[str], *extra: str) -> tuple[pl.DataFrame, dict]:
    src = write_nq(tmp_path / f"{name}.nq.gz", lines)
    out = tmp_path / name
    run_cli("build", "webfaq", "--source", str(src), "--out", str(out), "--min-rows", "0",
            *extra, check=True)  # fmt: skip
    files = sorted((out / "data").glob("*/*.parquet"))
    df = pl.concat([pl.read_parquet(f) for f in files]) if files else pl.DataFrame()
    return df, json.loads((out / "mkdata.json").read_text())


def test_an_unsure_pair_is_kept_by_its_pages_language(tmp_path: Path) -> None:
    lines = page("https://a.example/faq", UNSURE_NLD, "nl-NL", "a")
    df, m = build(tmp_path, "hinted", lines)
    assert df["language"].to_list() == ["nld"] and df["language_score"][0] < 0.63
    assert m["counts"]["language_by_hint"] == 1 and m["counts"]["language_by_hint:nld"] == 1
    # the URL's code works the same way
    df, m = build(tmp_path, "url", faq_page("https://a.example/nl/faq", [UNSURE_NLD], "u"))
    assert df["language"].to_list() == ["nld"]
    # without hints the pair is dropped by the confidence rule, as before
    df, m = build(tmp_path, "off", lines, "--no-language-hints")
    assert df.height == 0 and "language_by_hint" not in m["counts"]
    assert sum(c.get("language_low_confidence", 0) for c in m["filters"].values()) == 1
    # a wrong hint (a language fastText does not see in the text) keeps nothing
    df, _ = build(tmp_path, "wrong", page("https://a.example/faq", UNSURE_NLD, "en", "w"))
    assert df.height == 0


def test_a_confident_prediction_is_never_overridden(tmp_path: Path) -> None:
    df, m = build(tmp_path, "clear", page("https://a.example/fr/faq", CLEAR_DEU, "fr", "c"))
    assert df["language"].to_list() == ["deu"] and df["page_language"].to_list() == ["fr"]
    assert "language_by_hint" not in m["counts"]


def test_each_copy_of_a_repeated_pair_takes_its_own_pages_hint(tmp_path: Path) -> None:
    lines = page("https://a.example/faq", UNSURE_NLD, "en", "x")  # no usable hint: dropped
    lines += page("https://b.example/faq", UNSURE_NLD, "nl", "y")  # the same pair, hinted
    df, m = build(tmp_path, "repeat", lines)
    assert df["language"].to_list() == ["nld"] and df["url"].to_list() == ["https://b.example/faq"]
    assert m["counts"]["language_by_hint"] == 1
