"""N-Quads parsing and FAQ assembly."""

from __future__ import annotations

import pytest
from conftest import TYPE, S, faq_page, one_pair_pages, quad, write_nq

from mkdata.builders.nquads import read_faq_pairs, unescape_literal
from mkdata.core.report import Report

URL = "https://example.com/faq"


def pairs_of(path, report=None):
    report = report or Report()
    return [(p.url, p.question, p.answer) for p in read_faq_pairs(path, report)], report


def test_unescape_all_ntriples_escapes():
    text, ok = unescape_literal(r"a\tb\nc\"d\\e\u00E9\U0001F600\'\r\b\f")
    assert ok
    assert text == "a\tb\nc\"d\\e\u00e9\U0001f600'\r\b\f"


def test_unescape_joins_surrogate_pairs_and_keeps_unicode():
    assert unescape_literal(r"\uD83D\uDE00 Grüße 東京")[0] == "\U0001f600 Grüße 東京"


def test_unescape_broken_escapes_are_flagged_and_kept():
    for raw in (r"C:\xyz", r"bad \u12G4", "trailing \\", r"\U00110000", r"\a bell"):
        text, ok = unescape_literal(raw)
        assert not ok, raw
        assert text == raw


def test_page_assembly_any_whitespace_datatypes_tags_and_iris(tmp_path):
    g = "http://example.com/faq"  # graph scheme differs from the subjects' https IRIs
    hs = "<https://schema.org/"
    lines = [
        quad("_:b1", TYPE, f"{hs}Organization>", g),
        quad("_:b1", f"{hs}name>", '"ACME"', g),
        quad("<https://example.com/faq#page>", TYPE, f"{hs}FAQPage>", g, sep="\t"),
        quad(
            "<https://example.com/faq#page>",
            f"{hs}mainEntity>",
            "<https://example.com/faq#q1>",
            g,
            sep=" ",
        ),
        quad("<https://example.com/faq#q1>", TYPE, f"{hs}Question>", g),
        quad("<https://example.com/faq#q1>", f"{hs}name>", '"What is \\"ACME\\"?"@en', g, sep=""),
        quad("<https://example.com/faq#q1>", f"{hs}acceptedAnswer>", "_:a1", g),
        quad("_:a1", TYPE, f"{hs}Answer>", g),
        quad(
            "_:a1",
            f"{hs}text>",
            '"<p>A company.</p>"^^<http://www.w3.org/2001/XMLSchema#string>',
            g,
        ),
    ]
    path = write_nq(tmp_path / "a.nq.gz", lines)
    pairs, report = pairs_of(path)
    assert pairs == [(g, 'What is "ACME"?', "<p>A company.</p>")]
    assert not report.problems


def test_suggested_answer_is_the_fallback_and_accepted_wins(tmp_path):
    lines = [
        quad("_:f", TYPE, f"{S}FAQPage>", URL),
        quad("_:f", f"{S}mainEntity>", "_:q1", URL),
        quad("_:f", f"{S}mainEntity>", "_:q2", URL),
        quad("_:q1", f"{S}name>", '"Q one?"', URL),
        quad("_:q1", f"{S}suggestedAnswer>", "_:s1", URL),
        quad("_:q1", f"{S}acceptedAnswer>", "_:a1", URL),
        quad("_:s1", f"{S}text>", '"suggested one"', URL),
        quad("_:a1", f"{S}text>", '"accepted one"', URL),
        quad("_:q2", f"{S}name>", '"Q two?"', URL),
        quad("_:q2", f"{S}suggestedAnswer>", "_:s2", URL),
        quad("_:s2", f"{S}text>", '"suggested two"', URL),
    ]
    pairs, _ = pairs_of(write_nq(tmp_path / "s.nq", lines, gz=False))
    assert [(q, a) for _, q, a in pairs] == [
        ("Q one?", "accepted one"),
        ("Q two?", "suggested two"),
    ]


def test_cut_off_page_yields_only_complete_entries(tmp_path):
    lines = faq_page(URL, [("Complete question?", "Complete answer.")])
    lines += [
        quad("_:pf", f"{S}mainEntity>", "_:never", URL),  # points at a node that never appears
        quad("_:pf", f"{S}mainEntity>", "_:noanswer", URL),
        quad("_:noanswer", TYPE, f"{S}Question>", URL),
        quad("_:noanswer", f"{S}name>", '"Where is my answer?"', URL),
    ]
    pairs, report = pairs_of(write_nq(tmp_path / "c.nq.gz", lines))
    assert [(q, a) for _, q, a in pairs] == [("Complete question?", "Complete answer.")]
    assert report.counts["dangling_entities"] == 1
    assert report.counts["questions_without_answer"] == 1


def test_pages_are_grouped_by_graph_and_non_faq_pages_skipped(tmp_path):
    lines = faq_page("https://a.example/faq", [("A question?", "A answer.")], "a")
    lines += [
        quad("_:x", TYPE, f"{S}Product>", "https://b.example/p"),
        quad("_:x", f"{S}name>", '"Shoe"', "https://b.example/p"),
    ]
    lines += faq_page("https://c.example/faq", [("C question?", "C answer.")], "c")
    pairs, report = pairs_of(write_nq(tmp_path / "g.nq.gz", lines))
    assert [u for u, _, _ in pairs] == ["https://a.example/faq", "https://c.example/faq"]
    assert report.counts["pages"] == 3  # the name quad of the Product page is a FAQ predicate


def test_malformed_lines_invalid_utf8_and_broken_escapes_are_located(tmp_path):
    good = faq_page(URL, [("Good question here?", "A good answer that is long enough.")])
    text = "\n".join(good[:3]) + "\nthis is not a quad\n" + "\n".join(good[3:]) + "\n"
    text += quad("_:z", f"{S}name>", '"unterminated', URL)[:-5] + "\n"
    text += quad("_:z2", f"{S}name>", '"bad \\q escape"', URL) + "\n"
    data = (
        text.encode() + b'_:z3 <http://schema.org/name> "caf\xe9" <https://example.com/faq>   .\n'
    )
    path = tmp_path / "bad.nq"
    path.write_bytes(data)
    pairs, report = pairs_of(path)
    assert [(q, a) for _, q, a in pairs] == [
        ("Good question here?", "A good answer that is long enough.")
    ]
    assert report.problems["malformed_line"] == 2
    assert report.problems["broken_escape"] == 1
    assert report.problems["invalid_utf8"] == 1
    assert any(e.startswith(f"{path}:4: not a quad") for e in report.examples)
    assert any(":11: invalid UTF-8" in e for e in report.examples)


def test_truncated_gzip_keeps_what_came_before(tmp_path):
    lines = one_pair_pages([(f"Question number {i}?", f"Answer number {i}.") for i in range(300)])
    full = write_nq(tmp_path / "full.nq.gz", lines)
    data = full.read_bytes()
    cut = tmp_path / "cut.nq.gz"
    cut.write_bytes(data[: len(data) // 2])
    pairs, report = pairs_of(cut)
    assert 10 < len(pairs) < 300
    assert report.error and "truncated gzip" in report.error and str(cut) in report.error
    corrupt = tmp_path / "corrupt.nq.gz"
    corrupt.write_bytes(data[:200] + b"\x00garbage" * 50 + data[600:])
    pairs, report = pairs_of(corrupt)
    assert report.error and "corrupt" in report.error


def test_limit_stops_after_n_pages(tmp_path):
    lines = one_pair_pages([(f"Q{i} question?", f"A{i} answer.") for i in range(5)])
    path = write_nq(tmp_path / "l.nq.gz", lines)
    assert len(list(read_faq_pairs(path, Report(), limit=2))) == 2
    for bad in (0, -1):  # both readers: refused, not read as "one page" or "no limit"
        with pytest.raises(ValueError, match="at least one page"):
            read_faq_pairs(path, Report(), limit=bad)


@pytest.mark.parametrize("pure", ["", "1"])
def test_a_line_over_the_limit_is_skipped_and_one_at_it_kept(tmp_path, monkeypatch, pure):
    # lines that span many gunzipped pieces: joined once when they end, or, past
    # MAX_LINE_BYTES, skipped up to their end (a problem names the line)
    from mkdata.builders import nquads
    from mkdata.core import fetch

    monkeypatch.setenv("MKDATA_PURE_PYTHON_NQUADS", pure)
    monkeypatch.setattr(fetch, "OUT_BYTES", 65_536)
    monkeypatch.setattr(nquads, "MAX_LINE_BYTES", 300_000)
    first = faq_page(URL, [("What is A?", "A is the first letter.")], "a")
    at_limit = faq_page("https://b.example/faq", [("What is B?", "B")], "b")
    pad = 300_000 - len(at_limit[-1].encode())
    at_limit[-1] = at_limit[-1].replace('"B"', '"B' + "b" * pad + '"')
    assert len(at_limit[-1].encode()) == 300_000
    over = quad("_:x", "<https://schema.org/text>", '"' + "x" * 300_000 + '"', URL)
    last = faq_page("https://c.example/faq", [("What is C?", "C is the third letter.")], "c")
    path = write_nq(tmp_path / "long.nq.gz", [*first, *at_limit, over, *last])
    pairs, report = pairs_of(path)
    assert [(q, len(a)) for _, q, a in pairs] == [
        ("What is A?", 22),
        ("What is B?", 1 + pad),
        ("What is C?", 22),
    ]
    line = len(first) + len(at_limit) + 1
    assert report.problems == {"line_too_long": 1}
    assert report.examples == [f"{path}:{line}: longer than 300000 bytes, skipped"]
    assert report.counts["lines"] == line + len(last)  # the skipped one counted too
    # the same lines, the long one last and unended: skipped, nothing after it
    path = write_nq(tmp_path / "end.nq.gz", "\n".join([*first, over[:-2]]))
    pairs, report = pairs_of(path)
    assert [q for _, q, _ in pairs] == ["What is A?"] and report.problems == {"line_too_long": 1}
    assert report.counts["lines"] == len(first) + 1
    # a long line ending exactly where a gunzipped piece ends
    head = "\n".join(first) + "\n"
    tail = 65_536 * 7 - len(head.encode()) - 1
    path = write_nq(tmp_path / "edge.nq.gz", head + "y" * tail + "\n" + "\n".join(last) + "\n")
    pairs, report = pairs_of(path)
    assert [q for _, q, _ in pairs] == ["What is A?", "What is C?"]
    assert report.problems == {"line_too_long": 1}
    assert report.counts["lines"] == len(first) + 1 + len(last)
