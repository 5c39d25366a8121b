"""`mkdata build mfaq` end to end through the CLI: markup variants, encodings, bad input, crawls."""

from __future__ import annotations

import gzip
import json
import random
import zlib
from pathlib import Path

import brotli
import datasets
import polars as pl
import pytest
from conftest import run_cli
from http_server import FileServer
from warc_gen import (
    chunked,
    http_response,
    jsonld_block,
    jsonld_page,
    microdata_page,
    plain_page,
    rdfa_page,
    request_record,
    warc_record,
    write_warc,
)

TOPICS = [
    "delivery to Ireland",
    "returning a damaged parcel",
    "changing my billing address",
    "paying with a gift card",
    "cancelling a subscription",
    "tracking an express order",
    "ordering a replacement part",
    "booking a repair appointment",
    "getting an invoice for my company",
    "using a discount code",
    "reporting a missing item",
    "changing the delivery date",
    "ordering spare batteries",
    "extending the warranty",
    "collecting an order from a store",
    "exchanging a size",
    "reading the user manual online",
    "registering a new product",
]


def english_pair(i: int) -> tuple[str, str]:
    topic = TOPICS[i % len(TOPICS)]
    q = f"What should I know about {topic} (case {i})?"
    a = (
        f"<p>Everything about {topic} is explained on this page. Our support team answers "
        f"within one working day, and you can also reach us by phone on weekdays.</p>"
    )
    return q, a


def answer_text(a: str) -> str:
    return a.removeprefix("<p>").removesuffix("</p>")


def resp(url: str, page: str | bytes, **kw) -> list[bytes]:
    body = page if isinstance(page, bytes) else page.encode()
    return [request_record(url), warc_record(url, http_response(body, **kw))]


def variant_warc(path: Path) -> dict[str, set[tuple[str, str]]]:
    """A WARC with one page per variant; returns the pairs expected per language."""
    rng = random.Random(7)
    pair = iter(range(1000))
    expected: dict[str, set[tuple[str, str]]] = {}
    records: list[bytes] = []

    def take(n: int, lang: str = "eng") -> list[tuple[str, str]]:
        ps = [english_pair(next(pair)) for _ in range(n)]
        expected.setdefault(lang, set()).update((q, answer_text(a)) for q, a in ps)
        return ps

    site = "https://help.example.com"
    # JSON-LD shapes
    records += resp(f"{site}/a", jsonld_page(take(2)))
    block = jsonld_block(take(2), context="http://schema.org")
    records += resp(f"{site}/graph", jsonld_page([], raw=json.dumps({"@graph": [block]})))
    block = jsonld_block(take(2))
    block["@type"] = ["FAQPage", "WebPage"]
    records += resp(
        f"{site}/typelist", jsonld_page([], raw=json.dumps([{"@type": "Thing"}, block]))
    )
    q, a = take(1)[0]
    one = {
        "@type": "FAQPage",
        "mainEntity": {"@type": "Question", "name": q, "suggestedAnswer": [{"text": a}]},
    }
    records += resp(f"{site}/object", jsonld_page([], raw=json.dumps(one)))
    lenient = json.dumps(jsonld_block(take(2)), indent=1).replace("}\n", "},\n", 1)
    records += resp(f"{site}/lenient", jsonld_page([], raw="// faq\n" + lenient))
    records += resp(f"{site}/broken", jsonld_page([], raw='{"@type": "FAQPage", "mainEntity": [{'))
    # microdata, RDFa, both syntaxes on one page
    records += resp(f"{site}/micro", microdata_page(take(2), scheme="http"))
    records += resp(f"{site}/rdfa", rdfa_page(take(2)))
    ps = take(2)
    both = jsonld_page(ps).replace("<main>", microdata_page(ps).split("<body>")[1])
    records += resp(f"{site}/both", both)
    # transfer and content encodings
    records += resp(
        f"{site}/chunked",
        chunked(jsonld_page(take(1)).encode()),
        headers={"Transfer-Encoding": "chunked"},
    )
    records += resp(
        f"{site}/gzip",
        gzip.compress(jsonld_page(take(1)).encode()),
        headers={"Content-Encoding": "gzip"},
    )
    records += resp(
        f"{site}/br",
        brotli.compress(jsonld_page(take(1)).encode()),
        headers={"Content-Encoding": "br"},
    )
    records += resp(
        f"{site}/deflate",
        zlib.compress(rdfa_page(take(1)).encode()),
        headers={"Content-Encoding": "deflate"},
    )
    records += resp(
        f"{site}/badgzip", b"\x1f\x8b not really gzip FAQPage", headers={"Content-Encoding": "gzip"}
    )
    # broken and enormous pages
    page = jsonld_page(take(2))
    records += resp(f"{site}/truncated", page[: page.index("</head>") + 40])
    records += resp(f"{site}/deep", "<div>" * 5000 + microdata_page(take(1)) + "</div>" * 10)
    records += resp(f"{site}/huge", plain_page(rng, 4000) + microdata_page(take(1)))
    # charsets
    rus = [
        (
            "Сколько времени занимает доставка по России?",
            "Доставка по России занимает от трёх до семи рабочих дней в зависимости от региона.",
        )
    ]
    jpn = [
        (
            "注文をキャンセルすることはできますか？",
            "発送前であれば、マイページからいつでも注文をキャンセルできます。返金は五営業日以内に行われます。",
        )
    ]
    zho = [
        (
            "你们的快递需要多长时间才能送到？",
            "我们通常在下单后两天内发货，国内快递一般需要三到五个工作日才能送达，偏远地区可能会更久一些。",
        )
    ]
    for lang, ps in (("rus", rus), ("jpn", jpn), ("zho", zho)):
        expected[lang] = set(ps)
    records += resp(
        "https://shop.example.ru/faq",
        microdata_page(rus, "ru").replace('<meta charset="utf-8">', "").encode("cp1251"),
        content_type="text/html; charset=windows-1251",
    )
    jp_page = jsonld_page(jpn, "ja").replace('charset="utf-8"', 'charset="shift_jis"')
    records += resp(
        "https://shop.example.jp/faq", jp_page.encode("cp932"), content_type="text/html"
    )
    zh_page = rdfa_page(zho, "zh").replace('<meta charset="utf-8">', "")
    records += resp(
        "https://shop.example.cn/faq", zh_page.encode("gb18030"), content_type="text/html"
    )
    # records that must be skipped
    records += [
        warc_record(
            f"{site}/gone",
            http_response(jsonld_page([english_pair(998)]).encode(), status="404 Not Found"),
        ),
        warc_record(f"{site}/a", b"HTTP/1.1 200 OK\r\n\r\n", "revisit"),
        warc_record(
            f"{site}/x.json",
            http_response(
                json.dumps(jsonld_block([english_pair(999)])).encode(), "application/json"
            ),
        ),
    ]
    for _ in range(5):
        records += resp(f"{site}/blog/{rng.random()}", plain_page(rng))
    write_warc(path, records)
    return expected


def output_pairs(out: Path) -> dict[str, set[tuple[str, str]]]:
    df = pl.read_parquet(out / "data" / "*" / "*.parquet")
    got: dict[str, set[tuple[str, str]]] = {}
    for lang, q, a in df.select("language", "question", "answer").iter_rows():
        got.setdefault(lang, set()).add((q, a))
    return got


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> tuple[Path, dict[str, set[tuple[str, str]]]]:
    folder = tmp_path_factory.mktemp("warc")
    return folder / "variants.warc.gz", variant_warc(folder / "variants.warc.gz")


def test_every_markup_variant_and_encoding(variants, tmp_path):
    warc, expected = variants
    out = tmp_path / "out"
    proc = run_cli(
        "build", "mfaq", "--source", str(warc), "--min-rows", "1", "--out", str(out), check=True
    )
    got = output_pairs(out)
    assert got == expected
    m = json.loads((out / "mkdata.json").read_text())
    counts = m["counts"]
    assert (
        counts["warc_revisit"] == 1 and counts["http_status_404"] == 1 and counts["not_html"] == 1
    )
    assert counts["pages_without_faq_markup"] == 5
    assert counts["content_decoding_failed"] == 1
    assert {"charset_cp1251", "charset_cp932", "charset_gb18030"} <= set(counts)
    assert m["problems"]["invalid_jsonld"] == 1
    assert "invalid_jsonld" in proc.stderr
    assert m["builder"] == "mfaq" and m["inputs"][0]["checksum"]


def test_page_layout_loads_with_datasets(variants, tmp_path):
    warc, _ = variants
    flat, paged = tmp_path / "flat", tmp_path / "paged"
    run_cli("build", "mfaq", "--source", str(warc), "--out", str(flat), check=True)
    run_cli(
        "build", "mfaq", "--source", str(warc), "--layout", "page", "--out", str(paged), check=True
    )
    ds = datasets.load_dataset(str(paged), "eng", split="train")
    assert set(ds.column_names) >= {"id", "language", "num_pairs", "domain", "qa_pairs"}
    assert sum(ds["num_pairs"]) == len(datasets.load_dataset(str(flat), "eng", split="train"))
    row = ds[0]
    assert row["domain"] == "help.example.com" and len(row["qa_pairs"]) == row["num_pairs"]
    assert set(row["qa_pairs"][0]) == {"question", "answer", "language"}
    card = (paged / "README.md").read_text()
    assert "`qa_pairs`" in card and "MFAQ" in card


def test_sample_matches_webfaq_sample(sample_build, tmp_path):
    out = tmp_path / "mfaq"
    proc = run_cli("build", "mfaq", "--sample", "--out", str(out), check=True)
    assert "wrote 120 rows in 10 configs" in proc.stdout
    assert output_pairs(out) == output_pairs(sample_build)


def test_bad_inputs_fail_cleanly_and_keep_rows(variants, tmp_path):
    warc, expected = variants
    data = warc.read_bytes()
    (tmp_path / "truncated.warc.gz").write_bytes(data[: len(data) * 2 // 3])
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    (tmp_path / "garbage.warc").write_bytes(b"this is not a WARC file\n" * 50)
    (tmp_path / "corrupt.warc.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4)
    for name in ("truncated.warc.gz", "empty.warc.gz", "garbage.warc", "corrupt.warc.gz"):
        out = tmp_path / f"out-{name}"
        proc = run_cli(
            "build", "mfaq", "--source", str(tmp_path / name), "--min-rows", "1", "--out", str(out)
        )
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert errors and name in errors[0], proc.stderr
        if name == "truncated.warc.gz":
            kept = output_pairs(out)["eng"]
            assert 5 < len(kept) < len(expected["eng"])
            assert kept <= expected["eng"]


def test_crawl_listing_over_http(tmp_path):
    root = tmp_path / "cc"
    crawl = "CC-MAIN-2024-42"
    paths = []
    for i in range(4):
        rel = (
            f"crawl-data/{crawl}/segments/1727944253135.{i}/warc/{crawl}-2024091{i}-0000{i}.warc.gz"
        )
        (root / rel).parent.mkdir(parents=True)
        ps = [english_pair(100 + 4 * i + k) for k in range(4)]
        write_warc(root / rel, resp(f"https://site{i}.example.org/faq", jsonld_page(ps)))
        paths.append(rel)
    (root / f"crawl-data/{crawl}/warc.paths.gz").write_bytes(
        gzip.compress("\n".join(paths).encode())
    )
    with FileServer(root) as srv:
        env = {"MKDATA_CC_BASE_URL": srv.url, "MKDATA_CACHE_DIR": str(tmp_path / "cache")}
        out = tmp_path / "out"
        run_cli(
            "build",
            "mfaq",
            "--crawl",
            crawl,
            "--segments",
            "1:3",
            "--min-rows",
            "1",
            "--out",
            str(out),
            env=env,
            check=True,
        )
        bad = run_cli(
            "build", "mfaq", "--crawl", "CC-MAIN-2099-01", "--out", str(tmp_path / "x"), env=env
        )
        none = run_cli(
            "build",
            "mfaq",
            "--crawl",
            crawl,
            "--segments",
            "9:",
            "--out",
            str(tmp_path / "y"),
            env=env,
        )
    df = pl.read_parquet(out / "data" / "*" / "*.parquet")
    assert sorted(df["origin"].unique()) == [
        "https://site1.example.org",
        "https://site2.example.org",
    ]
    assert set(df["source"]) == {f"cc:{crawl}"}
    m = json.loads((out / "mkdata.json").read_text())
    assert [i["source"] for i in m["inputs"]] == [srv.url.rstrip("/") + "/" + p for p in paths[1:3]]
    assert bad.returncode == 2 and "warc.paths.gz" in bad.stderr and "404" in bad.stderr
    assert none.returncode == 2 and "selects none of the 4" in none.stderr
    proc = run_cli("build", "mfaq", "--crawl", "CC-2024", "--out", str(tmp_path / "z"))
    assert proc.returncode == 2 and "invalid crawl" in proc.stderr


def test_a_lone_surrogate_escaped_in_jsonld_becomes_a_replacement_character(tmp_path):
    """JSON may escape half a UTF-16 pair ("\\ud800"); such a question is kept with U+FFFD
    (as the N-Quads reader does), not a crash of language ID or the parquet writer."""
    pairs = [english_pair(i) for i in range(4)]
    raw = json.dumps(jsonld_block(pairs)).replace("(case 2)", "(case \\ud800 2)")
    raw = raw.replace("(case 3)", "(case \\ud83d\\ude00 3)")  # a pair stays one character
    records = []
    for i in range(2):
        records += resp(f"https://shop{i}.example.com/faq", jsonld_page(pairs, raw=raw))
    src = write_warc(tmp_path / "in.warc.gz", records)
    out = tmp_path / "out"
    run_cli("build", "mfaq", "--source", str(src), "--out", str(out), "--min-rows", "1",
            check=True)  # fmt: skip
    questions = {q for q, _ in output_pairs(out)["eng"]}
    assert "What should I know about delivery to Ireland (case 0)?" in questions
    assert any("(case \ufffd 2)" in q for q in questions)
    assert any("(case \U0001f600 3)" in q for q in questions)
    assert len(questions) == 4
