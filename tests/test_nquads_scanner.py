"""The compiled N-Quads scanner splits every line exactly as the Python tokenizer does."""

from __future__ import annotations

import gzip
import random

import pytest
from conftest import CAN_BUILD, TYPE, S, build_snapshot, faq_page, quad, write_nq

from mkdata.builders import nquads
from mkdata.core.report import Report

URL = "https://example.com/faq"


try:
    from mkdata.builders._nquads_scan import scan
except ImportError:
    scan = None

pytestmark = pytest.mark.skipif(
    scan is None and not CAN_BUILD, reason="no C compiler here: the Python tokenizer is used"
)

PREDICATES = {k.encode(): v for k, v in nquads.PREDICATES.items()}
KNOWN_TYPES = tuple(k.encode() for k in nquads.TYPES)

# whitespace str.split() knows beyond ASCII space/tab, and look-alikes it does not
SPACES = ["\u00a0", "\u2028", "\u3000", "\u0085", "\u1680", "\u2009", "\x1c", "\x1f", "\x0b", "\r"]
NOT_SPACES = ["\u200b", "\ufeff", "\x00", "\u180e", "é", "東", "\U0001f600"]
BAD_UTF8 = [b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80", b"\xff"]


def test_the_scanner_was_built_at_install():
    assert scan is not None, "a C compiler is here but mkdata/builders/_nquads_scan was not built"
    from mkdata.builders import _nquads_scan

    # an editable install keeps an old build after the C source changes: rebuild it
    assert _nquads_scan.VERSION == nquads.SCANNER_VERSION, "stale build: pip install -e ."
    assert nquads._scanner() is not nquads._scan_py


def _pick(rng: random.Random, usual: list[str], odd: list[str]) -> str:
    return rng.choice(usual if rng.random() < 0.8 else odd)


def _pieces(rng: random.Random) -> list[str]:
    subj = _pick(rng, ["_:b0", "<https://example.com/q1>", "_:é"], ["x", "#c", "<a\u00a0b>", "_:"])
    pred = _pick(rng, list(nquads.PREDICATES), ["<https://schema.org/price>", "name", "<>"])
    obj = _pick(
        rng,
        [
            '"What is it?"@en',
            '"a \\"quoted\\" text"',
            f"{S}Question>",
            f"{S}Product>",
            "_:a1",
            '"東京"^^<http://www.w3.org/2001/XMLSchema#string>',
        ],
        ['"x" <y', '"open', ""],
    )
    graph = _pick(rng, [f"<{URL}>", "<https://例え.jp/ページ>"], ["<x", "", "<>", "<g\u3000h>"])
    end = _pick(rng, [" .", ".", " . "], [" ", " .\u00a0", " .\r", "\u2028.", " . #c"])
    return [subj, pred, obj, graph, end]


def _line(rng: random.Random) -> str:
    parts = _pieces(rng)
    seps = [_pick(rng, [" ", "\t", "  "], ["", *SPACES, *NOT_SPACES]) for _ in parts]
    text = _pick(rng, [""], [" ", "\u3000", "\t"]) + "".join(
        p + s for p, s in zip(parts, seps, strict=True)
    )
    if rng.random() < 0.05:
        cut = rng.randrange(len(text) + 1)
        text = text[:cut]
    return text


def _lines(seed: int, n: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        raw = _line(rng).encode("utf-8")
        if rng.random() < 0.05:
            at = rng.randrange(len(raw) + 1)
            raw = raw[:at] + rng.choice(BAD_UTF8) + raw[at:]
        out.append(raw)
    return out


def _expected(raw: bytes):
    try:
        return nquads._tokenize(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return "invalid"


@pytest.mark.parametrize("seed", range(4))
def test_every_line_splits_as_the_python_tokenizer_splits_it(seed):
    for raw in _lines(seed, 3000):
        items, n_lines, other, skipped, invalid = scan(raw, len(raw), 7, PREDICATES, 0, None, None)
        expected = _expected(raw)
        assert n_lines == 1 and skipped == 0 and invalid == (expected == "invalid")
        if not items:  # only counted: a blank line or a quad with another predicate
            assert expected == (nquads.OTHER_QUAD if other else None), raw
            continue
        assert len(items) == 1 and other == 0, raw
        item = items[0]
        if len(item) == 5:  # split in C
            assert item[0] == 7 and item[1:] == expected, raw
        else:  # left to the Python tokenizer, as bytes only when it is not UTF-8
            assert item == (7, raw if expected == "invalid" else raw.decode()), raw
            if expected != "invalid":
                assert expected is None or len(expected) == 2, raw  # a comment or a problem


@pytest.mark.parametrize("seed", range(3))
def test_reader_gives_the_same_pairs_and_report_with_both_scanners(tmp_path, monkeypatch, seed):
    rng = random.Random(seed)
    lines: list[bytes] = []
    for i in range(60):
        page = faq_page(f"{URL}/{i % 7}", [(f"Question {i} here?", f"An answer for {i}, long.")])
        page.insert(rng.randrange(len(page)), quad("_:p", TYPE, f"{S}Product>", f"{URL}/{i % 7}"))
        lines += [ln.encode() for ln in page]
        lines += _lines(seed * 100 + i, rng.randrange(5))
    data = b"\n".join(lines) + rng.choice([b"\n", b"", b"\n\n"])
    path = tmp_path / "mixed.nq.gz"
    path.write_bytes(gzip.compress(data))  # the bytes as they are, bad ones too
    results = []
    for pure in ("1", ""):
        monkeypatch.setenv("MKDATA_PURE_PYTHON_NQUADS", pure)
        for limit in (None, 5):
            report = Report()
            pairs = list(nquads.read_faq_pairs(path, report, limit=limit))
            results.append((pairs, report.to_dict()))
    assert results[0] == results[2] and results[1] == results[3]
    assert results[0][0], "the pages' own pairs are read"


@pytest.mark.parametrize("pure", ["1", ""])
def test_invalid_utf8_is_reported_before_the_blocks_other_problems(tmp_path, monkeypatch, pure):
    """As the reader always did: a block's lines are decoded (and reported) first, also past
    the page where ``limit`` stops."""
    monkeypatch.setenv("MKDATA_PURE_PYTHON_NQUADS", pure)
    page = [ln.encode() for ln in faq_page(URL, [("Is this a question?", "Yes, it is one.")])]
    path = tmp_path / "bad.nq"
    path.write_bytes(b"foo\n\xff bad\n" + b"\n".join(page) + b"\n\xfe late\n")
    report = Report()
    assert len(list(nquads.read_faq_pairs(path, report))) == 1
    assert [e.split(": ", 1)[0].rsplit(":", 1)[1] for e in report.examples] == [
        "2",
        str(len(page) + 3),
        "1",
        "2",
        str(len(page) + 3),
    ]
    assert list(report.problems) == ["invalid_utf8", "malformed_line"]
    report = Report()
    assert len(list(nquads.read_faq_pairs(path, report, limit=1))) == 1
    assert report.problems["invalid_utf8"] == 2


def test_type_quads_are_skipped_only_on_the_page_they_cannot_change():
    g1, g2 = "https://a.example/1", "https://a.example/2"
    text = "\n".join(
        [
            quad("_:p", TYPE, f"{S}Product>", g1),  # first of its graph: a new page
            quad("_:o", TYPE, f"{S}Offer>", g1),  # same graph, unknown type: counted only
            quad("_:q", TYPE, f"{S}Question>", g1),  # a type the reader keeps
            quad("_:o", TYPE, f"{S}Offer>", g2),  # another graph: the page changes
            "broken line",  # left to Python: the page the caller is on is unknown now
            quad("_:o", TYPE, f"{S}Offer>", g2),
        ]
    ).encode()
    items, n_lines, other, skipped, invalid = scan(
        text, len(text), 1, PREDICATES, 0, KNOWN_TYPES, None
    )
    assert [item[0] for item in items] == [1, 3, 4, 5, 6]
    assert (n_lines, other, skipped, invalid) == (6, 0, 1, 0)
    # the page the caller is on, passed in from the block before, counts as the same graph
    one = quad("_:o", TYPE, f"{S}Offer>", g1).encode()
    assert scan(one, len(one), 1, PREDICATES, 0, KNOWN_TYPES, g1)[:4] == ([], 1, 0, 1)


def test_scanner_rejects_bad_arguments():
    with pytest.raises(ValueError):
        scan(b"abc", 4, 1, PREDICATES, 0, None, None)
    with pytest.raises(TypeError):
        scan(b"abc", 3, 1, {"str key": 1}, 0, None, None)
    with pytest.raises(TypeError):
        scan(b"abc", 3, 1, PREDICATES, 0, {b"a set"}, None)


def test_build_through_the_cli_is_identical_with_the_python_tokenizer(tmp_path):
    lines = []
    for i in range(40):
        lines += faq_page(
            f"{URL}/{i}", [(f"How do I reset device number {i}?", f"Hold the button {i} s.")]
        )
        lines.append(quad("_:x", TYPE, f"{S}Offer>", f"{URL}/{i}"))
        lines.append(f'_:bad{i}\u00a0{S}name> "nbsp-split subject" <{URL}/{i}> .')
    src = write_nq(tmp_path / "in.nq.gz", lines)
    outs = {
        name: build_snapshot(src, tmp_path / name, {"MKDATA_PURE_PYTHON_NQUADS": pure})
        for name, pure in (("c", ""), ("py", "1"))
    }
    assert outs["c"] == outs["py"]
    assert outs["c"][0]["counts"]["raw_pairs"] == 40
