"""Page context (title, description, declared language) in `build webfaq` and `build mfaq`,
through the CLI, on WDC-shaped N-Quads and HTML fixtures."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from conftest import TYPE, S, faq_page, quad, run_cli, write_nq
from test_build_mfaq import resp
from warc_gen import jsonld_page, write_warc

PAIR = (
    "How long does delivery to Austria usually take?",
    "Delivery to Austria usually takes three to five working days after dispatch from our store.",
)


def pair(i: int) -> tuple[str, str]:
    return (f"{PAIR[0][:-1]} number {i}?", f"{PAIR[1]} This applies to order type {i}.")


def rows(out: Path) -> dict[str, dict]:
    df = pl.read_parquet(out / "data" / "*" / "*.parquet")
    return {r["url"]: r for r in df.iter_rows(named=True)}


def test_webfaq_context_from_the_page_entities(tmp_path: Path) -> None:
    pages = {
        # WebPage name + description + inLanguage beat the WebSite's; FAQPage name "FAQ" loses
        "https://a.example/faq": [
            quad("_:w", TYPE, f"{S}WebPage>", "https://a.example/faq"),
            quad("_:w", f"{S}name>", '"Shipping questions | Shop A"', "https://a.example/faq"),
            quad(
                "_:w", f"{S}description>", '"All about <b>delivery</b>"@en', "https://a.example/faq"
            ),
            quad("_:w", f"{S}inLanguage>", '"en-GB"', "https://a.example/faq"),
            quad("_:s", TYPE, f"{S}WebSite>", "https://a.example/faq"),
            quad("_:s", f"{S}name>", '"Shop A"', "https://a.example/faq"),
            quad("_:s", f"{S}description>", '"A shop"', "https://a.example/faq"),
            quad("_:af", f"{S}name>", '"FAQ"', "https://a.example/faq"),
        ],
        # an Article's headline, the site's description as the fallback
        "https://b.example/post": [
            quad("_:ar", TYPE, f"{S}BlogPosting>", "https://b.example/post"),
            quad("_:ar", f"{S}headline>", '"Ten delivery facts"', "https://b.example/post"),
            quad("_:bs", TYPE, f"{S}WebSite>", "https://b.example/post"),
            quad("_:bs", f"{S}description>", '"Blog B"', "https://b.example/post"),
        ],
        # nothing but the FAQ
        "https://c.example/faq": [],
        # a breadcrumb's linked WebPage loses to the FAQPage's own name; a huge description
        # is cut; labels are kept
        "https://d.example/faq": [
            quad("<https://d.example/>", TYPE, f"{S}WebPage>", "https://d.example/faq"),
            quad("<https://d.example/>", f"{S}name>", '"Home"', "https://d.example/faq"),
            quad("_:df", f"{S}name>", '"Q: Shipping FAQ of Shop D"', "https://d.example/faq"),
            quad("_:df", f"{S}description>", '"' + "x" * 5000 + '"', "https://d.example/faq"),
        ],
    }
    lines = []
    for i, (url, context) in enumerate(pages.items()):
        prefix = "abcd"[i]
        lines += faq_page(url, [pair(i)], prefix) + context
    src = write_nq(tmp_path / "part_0.gz", lines)
    out = tmp_path / "out"
    run_cli("build", "webfaq", "--source", str(src), "--out", str(out), "--langs", "eng",
            "--min-rows", "1", check=True)  # fmt: skip
    got = rows(out)
    a, b, c, d = (got[u] for u in pages)
    assert (a["title"], a["description"], a["page_language"]) == (
        "Shipping questions | Shop A", "All about delivery", "en-GB",
    )  # fmt: skip
    assert (b["title"], b["description"], b["page_language"]) == (
        "Ten delivery facts",
        "Blog B",
        "",
    )
    assert (c["title"], c["description"], c["page_language"]) == ("", "", "")
    assert d["title"] == "Q: Shipping FAQ of Shop D" and len(d["description"]) == 1000
    card = (out / "README.md").read_text()
    assert "`title`, `description`" in card and "`page_language`" in card


def test_mfaq_context_from_the_html(tmp_path: Path) -> None:
    head_title = (
        jsonld_page([pair(0)], lang="en-US")
        .replace("<title>FAQ</title>", "")
        .replace(
            "<head>",
            "<head><title> Using &lt;div&gt; in FAQ &amp;lt; </title>"
            '<meta name="description" content="Shipping help">'
            '<meta property="og:title" content="OG title">',
            1,
        )
    )
    og_only = (
        jsonld_page([pair(1)], lang="en")
        .replace("<title>FAQ</title>", "")
        .replace("<main>", "<main><svg><title>Close icon</title></svg>")
        .replace(
            "<head>",
            '<head><meta property="og:title" content="OG title">'
            '<meta property="og:description" content="OG description">',
            1,
        )
    )
    records = resp("https://a.example/faq", head_title) + resp("https://b.example/faq", og_only)
    warc = write_warc(tmp_path / "x.warc.gz", records)
    out = tmp_path / "out"
    run_cli("build", "mfaq", "--source", str(warc), "--out", str(out), "--langs", "eng",
            "--min-rows", "1", check=True)  # fmt: skip
    got = rows(out)
    a, b = got["https://a.example/faq"], got["https://b.example/faq"]
    assert (a["title"], a["description"], a["page_language"]) == (
        "Using <div> in FAQ &lt;", "Shipping help", "en-US",
    )  # fmt: skip
    assert (b["title"], b["description"], b["page_language"]) == (
        "OG title", "OG description", "en",
    )  # fmt: skip
    pages = tmp_path / "pages"
    run_cli("build", "mfaq", "--source", str(warc), "--out", str(pages), "--langs", "eng",
            "--min-rows", "1", "--layout", "page", check=True)  # fmt: skip
    df = pl.read_parquet(pages / "data" / "*" / "*.parquet")
    assert set(df["title"]) == {"Using <div> in FAQ &lt;", "OG title"}
