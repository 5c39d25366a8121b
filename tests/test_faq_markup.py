"""FAQ extraction from single pages (JSON-LD, microdata, RDFa) and HTML charset decoding."""

from __future__ import annotations

import json

import pytest
from warc_gen import jsonld_page, microdata_page, rdfa_page

from mkdata.builders.charset import decode_html
from mkdata.builders.faq_markup import extract_faq, has_faq_markup, parse_jsonld
from mkdata.builders.normalize import normalize_entry

Q1, A1 = "How long does delivery take?", "<p>Delivery takes <b>3 days</b>.</p>"
Q2, A2 = "Can I return an item?", "Yes, within 30 days."


def pairs(html: str) -> list[tuple[str, str]]:
    return [(normalize_entry(q), normalize_entry(a)) for q, a in extract_faq(html).pairs]


def script(doc) -> str:
    body = doc if isinstance(doc, str) else json.dumps(doc)
    return (
        f'<html><head><script type="application/ld+json">{body}</script></head><body></body></html>'
    )


EXPECTED = [("How long does delivery take?", "Delivery takes 3 days."), (Q2, A2)]
QUESTION_1 = {"@type": "Question", "name": Q1, "acceptedAnswer": {"@type": "Answer", "text": A1}}
QUESTION_2 = {"@type": "Question", "name": Q2, "acceptedAnswer": {"@type": "Answer", "text": A2}}


@pytest.mark.parametrize(
    "doc",
    [
        {
            "@context": "http://schema.org",
            "@type": "FAQPage",
            "mainEntity": [QUESTION_1, QUESTION_2],
        },
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite"},
                {"@type": "FAQPage", "mainEntity": [QUESTION_1, QUESTION_2]},
            ],
        },
        [{"@type": "Organization"}, {"@type": "FAQPage", "mainEntity": [QUESTION_1, QUESTION_2]}],
        {"@type": ["WebPage", "FAQPage"], "mainEntity": [QUESTION_1, QUESTION_2]},
        {"@type": "https://schema.org/FAQPage", "mainEntity": [QUESTION_1, QUESTION_2]},
        {
            "@graph": [
                {"@type": "FAQPage", "mainEntity": [{"@id": "#q1"}, {"@id": "#q2"}]},
                {**QUESTION_1, "@id": "#q1"},
                {**QUESTION_2, "@id": "#q2"},
            ]
        },
        {
            "@type": "FAQPage",
            "mainEntity": [
                {**QUESTION_1, "acceptedAnswer": [{"@type": "Answer", "text": A1}]},
                {"@type": "Question", "name": Q2, "suggestedAnswer": {"text": A2}},
            ],
        },
        {
            "@type": "FAQPage",
            "mainEntity": [
                {"@type": "Question", "name": {"@value": Q1}, "acceptedAnswer": {"text": [A1]}},
                QUESTION_2,
            ],
        },
    ],
    ids=[
        "top",
        "graph",
        "list",
        "type-list",
        "type-iri",
        "id-refs",
        "answer-list-suggested",
        "values",
    ],
)
def test_jsonld_shapes(doc):
    assert pairs(script(doc)) == EXPECTED


def test_main_entity_as_object():
    doc = {"@type": "FAQPage", "mainEntity": QUESTION_2}
    assert pairs(script(doc)) == [(Q2, A2)]


def test_lenient_json():
    raw = """<!--
    { "@context": "https://schema.org", // a comment
      "@type": "FAQPage", /* block comment */
      "mainEntity": [
        {"@type": "Question", "name": "Can I return an item?",
         "acceptedAnswer": {"@type": "Answer", "text": "Yes, within 30 days.",},},
      ],
    }
    -->"""
    assert pairs(script(raw)) == [(Q2, A2)]
    docs, problem = parse_jsonld('{"a": "it\\\'s", "b": "line\nbreak"}')
    assert problem is None and docs == [{"a": "it's", "b": "line\nbreak"}]
    docs, problem = parse_jsonld('{"@type": "FAQPage"}{"@type": "Thing"}')
    assert len(docs) == 2 and problem is None


def test_invalid_json_is_reported_not_raised():
    faq = extract_faq(script('{"@type": "FAQPage", "mainEntity": [{"name": "x"'))
    assert faq.pairs == []
    assert faq.problems and faq.problems[0][0] == "invalid_jsonld"
    deep = "[" * 100_000 + "]" * 100_000
    docs, problem = parse_jsonld(deep)  # counted as invalid, never a crash
    assert docs == [] and problem is not None and problem.startswith("invalid JSON-LD")
    faq = extract_faq(script(deep.replace("[[", '[{"@type": "FAQPage"}, [', 1)))
    assert faq.pairs == [] and [p for p, _ in faq.problems] == ["invalid_jsonld"]


def test_microdata_and_rdfa():
    assert pairs(microdata_page([(Q1, A1), (Q2, A2)])) == EXPECTED
    assert pairs(microdata_page([(Q1, A1), (Q2, A2)], scheme="http")) == EXPECTED
    assert pairs(rdfa_page([(Q1, A1), (Q2, A2)])) == EXPECTED


def test_microdata_nested_and_meta_content():
    html = (
        '<div itemscope itemtype="https://schema.org/FAQPage"><section><div class="wrap">'
        '<div itemprop="mainEntity" itemscope itemtype="https://schema.org/Question">'
        f'<meta itemprop="name" content="{Q2}"><span>visible title</span>'
        '<div itemprop="acceptedAnswer" itemscope itemtype="https://schema.org/Answer">'
        f'<div><div itemprop="text">{A2}</div></div>'
        '<div itemscope itemtype="https://schema.org/Person"><span itemprop="name">Ann</span></div>'
        "</div></div></div></section></div>"
    )
    assert pairs(html) == [(Q2, A2)]


def test_same_faq_in_two_syntaxes_yields_each_pair_once():
    both = jsonld_page([(Q1, A1), (Q2, A2)]).replace(
        "<main>", microdata_page([(Q1, A1), (Q2, A2)]).split("<body>")[1]
    )
    faq = extract_faq(both)
    assert len(faq.pairs) == 2 and faq.syntaxes == ["jsonld", "jsonld"]


def test_empty_names_deep_nesting_and_truncation_survive():
    doc = {
        "@type": "FAQPage",
        "mainEntity": [{"name": "", "acceptedAnswer": {"text": A2}}, QUESTION_2],
    }
    faq = extract_faq(script(doc))
    assert [normalize_entry(q) for q, _ in faq.pairs] == [Q2]
    assert ("empty_question", "") in faq.problems
    deep = "<div>" * 20_000 + microdata_page([(Q2, A2)]) + "</div>" * 20_000
    assert pairs(deep) == [(Q2, A2)]
    page = jsonld_page([(Q1, A1), (Q2, A2)])
    assert pairs(page[: len(page) // 2 + 200]) == EXPECTED  # cut after the JSON-LD


def test_prefilter():
    assert has_faq_markup(b'"@type": "FAQPage"') and has_faq_markup(b"schema.org/faqpage")
    assert not has_faq_markup(b"<html>FAQ page about things</html>")


@pytest.mark.parametrize(
    "text,codec,header,meta",
    [
        ("Привет, как доставить заказ в Москву?", "cp1251", "windows-1251", None),
        ("配送にはどのくらい時間がかかりますか？", "cp932", None, "Shift_JIS"),
        ("配送需要多长时间？我们通常在两天内发货。", "gb18030", "gbk", None),
        ("Zażółć gęślą jaźń - dostawa w Polsce", "iso8859-2", None, "iso-8859-2"),
        ("Ça coûte combien, la livraison à Genève ?", "utf-8", "iso-8859-1", None),
    ],
)
def test_charsets(text, codec, header, meta):
    head = f'<meta charset="{meta}">' if meta else ""
    page = f"<html><head>{head}</head><body><p>{text}</p></body></html>"
    decoded, used = decode_html(page.encode(codec), header)
    assert text in decoded and used == codec


def test_charset_detection_and_bom():
    text = "Сколько времени занимает доставка по России? Обычно от трёх до семи рабочих дней. " * 3
    decoded, _ = decode_html(f"<html><body><p>{text}</p></body></html>".encode("cp1251"))
    assert text in decoded
    page = "<html><body>Größe</body></html>"
    assert decode_html(b"\xef\xbb\xbf" + page.encode(), "windows-1252")[0] == page
    assert decode_html(b"\xff\xfe" + page.encode("utf-16-le"))[0] == page
