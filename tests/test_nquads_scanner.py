"""The compiled N-Quads reader splits every line exactly as the Python tokenizer does and
gives the same pairs and report as the Python reader."""

from __future__ import annotations

import gzip
import itertools
import random

import pytest
from conftest import CAN_BUILD, TYPE, S, build_snapshot, faq_page, quad, write_nq

from mkdata.builders import nquads
from mkdata.core.report import Report

URL = "https://example.com/faq"


try:
    from mkdata.builders._nquads_scan import Pages, split
except ImportError:
    Pages = split = None

pytestmark = pytest.mark.skipif(
    split is None and not CAN_BUILD, reason="no C compiler here: the Python reader is used"
)

PREDICATES = {k.encode(): v for k, v in nquads.PREDICATES.items()}
KINDS = {k.encode(): nquads.KIND_CODES[v] for k, v in nquads.TYPES.items()}

# whitespace str.split() knows beyond ASCII space/tab, and look-alikes it does not
SPACES = ["\u00a0", "\u2028", "\u3000", "\u0085", "\u1680", "\u2009", "\x1c", "\x1f", "\x0b", "\r"]
NOT_SPACES = ["\u200b", "\ufeff", "\x00", "\u180e", "é", "東", "\U0001f600"]
BAD_UTF8 = [b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80", b"\xff"]


def test_the_scanner_was_built_at_install():
    assert split is not None, "a C compiler is here but mkdata/builders/_nquads_scan was not built"
    from mkdata.builders import _nquads_scan

    # an editable install keeps an old build after the C source changes: rebuild it
    assert _nquads_scan.VERSION == nquads.SCANNER_VERSION, "stale build: pip install -e ."
    assert nquads._compiled() is _nquads_scan


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


def _read_by_both(path, monkeypatch, limits) -> dict:
    """``limit -> (pairs, report)`` of the compiled reader, checked equal to the Python
    reader's for each of ``limits``."""
    results = {}
    for pure in ("1", ""):
        monkeypatch.setenv("MKDATA_PURE_PYTHON_NQUADS", pure)
        for limit in limits:
            report = Report()
            pairs = list(nquads.read_faq_pairs(path, report, limit=limit))
            results[pure, limit] = (pairs, report.to_dict())
    for limit in limits:
        assert results["", limit] == results["1", limit], limit
    return {limit: results["", limit] for limit in limits}


@pytest.mark.parametrize("seed", range(4))
def test_every_line_splits_as_the_python_tokenizer_splits_it(seed):
    for raw in _lines(seed, 3000):
        got, expected = split(raw, PREDICATES), _expected(raw)
        if expected == "invalid":  # not UTF-8: left to the Python reader
            assert got == "python", raw
        elif got == "python":  # left to the Python tokenizer: a comment or a problem
            assert expected is None or len(expected) == 2, raw
        elif got == "other":  # counted only: a quad with another predicate
            assert expected == nquads.OTHER_QUAD, raw
        else:
            assert got == expected, raw


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
    results = _read_by_both(path, monkeypatch, (None, 5))
    assert results[None][0], "the pages' own pairs are read"


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


LITERAL_BITS = [
    "plain words",
    "東京 Grüße",
    "",
    '\\"quoted\\"',
    "\\n\\t\\r\\b\\f\\'\\\\",
    "\\u00e9\\u00E9",
    "\\uD83D\\uDE00",  # a surrogate pair, joined
    "\\uD800",  # lone surrogates become U+FFFD
    "\\uDC00\\uD800x",
    "\\uD800\\uD800\\uDC00",
    "\\U0001F600",
    "\\U0000D83D\\uDE00",
    "\\U00110000",  # broken escapes are kept
    "\\x41",
    "\\u12G4",
    "\\U0010",
    "\\a",
    "\\é",
    "\\\\uD800",
    "<p>markup</p>",
]


def _literal(rng: random.Random) -> str:
    text = "".join(rng.choice(LITERAL_BITS) for _ in range(rng.randrange(4)))
    if rng.random() < 0.05:
        text += "\\"  # a backslash just before the closing quote
    tail = rng.choice(["", "", "@en", "@de-AT", "^^<http://www.w3.org/2001/XMLSchema#string>"])
    return rng.choice([f'"{text}"{tail}'] * 20 + [f'"{text}', '"a"b"', '"'])


def _random_page_lines(rng: random.Random, graph: str) -> list[str]:
    """One page's quads, drawn to reach every branch of the page assembly."""
    nodes = ["_:f", "_:f2", "_:q1", "_:q2", "_:q3", "_:a1", "_:a2", "_:w", "_:x"]
    nodes += [f"<{graph}>", f"<{graph}#faq>", f"<{graph}#q>", "<https://other.example/>"]
    types = [*nquads.TYPES, f"{S}Product>", f"{S}Organization>"]
    kept = list(nquads.PREDICATES)
    lines = []
    if rng.random() < 0.8:  # a FAQ skeleton, some of it left out, with random literals
        ctx = rng.choice([f"<{graph}>", "_:w", "_:x", "<https://other.example/>"])
        skeleton = [
            ("_:f", TYPE, f"{S}FAQPage>"),
            (ctx, TYPE, rng.choice([f"{S}WebPage>", f"{S}Article>", f"{S}WebSite>"])),
            (ctx, rng.choice([f"{S}name>", f"{S}headline>"]), _literal(rng)),
            (ctx, f"{S}description>", _literal(rng)),
            (ctx, f"{S}inLanguage>", '"de"'),
        ]
        for q, a in (("_:q1", "_:a1"), ("_:q2", "_:a2"), ("_:q3", _literal(rng))):
            skeleton += [
                ("_:f", f"{S}mainEntity>", q),
                (q, f"{S}name>", _literal(rng)),
                (q, rng.choice([f"{S}acceptedAnswer>", f"{S}suggestedAnswer>"]), a),
                (a, f"{S}text>", _literal(rng)),
            ]
        lines += [quad(*t, graph) for t in skeleton if rng.random() < 0.9]
    for _ in range(rng.randrange(1, 15)):
        subj, pred = rng.choice(nodes), rng.choice(kept)
        if nquads.PREDICATES[pred] == nquads.TYPE:
            obj = rng.choice(types) if rng.random() < 0.9 else _literal(rng)
        elif rng.random() < 0.5:
            obj = rng.choice(nodes)
        else:
            obj = _literal(rng)
        lines.append(quad(subj, pred, obj, graph, sep=rng.choice([" ", "\t", "  "])))
    rng.shuffle(lines)
    return lines


@pytest.mark.parametrize("seed", range(6))
def test_random_pages_give_the_same_pairs_and_report_with_both_readers(tmp_path, monkeypatch, seed):
    rng = random.Random(1000 + seed)
    graphs = [f"{URL}/{i}" for i in range(5)] + ["https://例え.jp/ページ"]
    lines: list[bytes] = []
    for i in range(400):
        lines += [ln.encode() for ln in _random_page_lines(rng, rng.choice(graphs))]
        if rng.random() < 0.1:
            lines += _lines(seed * 1000 + i, 1)  # malformed, comments, not UTF-8
    path = tmp_path / "random.nq"
    path.write_bytes(b"\n".join(lines) + b"\n")
    results = _read_by_both(path, monkeypatch, (None, 1, 37))
    for stop in (1, 7, 60):  # a consumer that stops: the report so far is the same too
        stopped = {}
        for pure in ("1", ""):
            monkeypatch.setenv("MKDATA_PURE_PYTHON_NQUADS", pure)
            report = Report()
            pairs = nquads.read_faq_pairs(path, report)
            taken = list(itertools.islice(pairs, stop))
            stopped[pure] = (taken, report.to_dict())
            pairs.close()
            stopped[pure, "closed"] = report.to_dict()
        assert stopped[""] == stopped["1"], stop
        assert stopped["", "closed"] == stopped["1", "closed"], stop
    pairs, report = results[None]
    assert len(pairs) > 50 and report["problems"]["broken_escape"] > 10
    assert {"dangling_entities", "questions_without_answer"} <= set(report["counts"])
    assert any(p.title for p in pairs) and any(p.page_language for p in pairs)
    assert any("\ufffd" in p.question + p.answer for p in pairs)


@pytest.mark.parametrize("pure", ["1", ""])
def test_a_page_larger_than_a_block_and_many_nodes(tmp_path, monkeypatch, pure):
    """One page of 20,000 questions (many 1 MiB blocks, node tables regrown), then small
    pages (the tables are shrunk again)."""
    monkeypatch.setenv("MKDATA_PURE_PYTHON_NQUADS", pure)
    pairs = [(f"Question number {i} here?", f"Answer {i} \\u00e9.") for i in range(20_000)]
    lines = faq_page(URL, pairs)
    for i in range(3):
        lines += faq_page(f"{URL}/{i}", [("Small page?", "Yes.")])
    path = write_nq(tmp_path / "big.nq.gz", lines)
    report = Report()
    got = list(nquads.read_faq_pairs(path, report))
    assert len(got) == 20_003
    assert got[19_999].question == "Question number 19999 here?"
    assert got[19_999].answer == "Answer 19999 é."
    assert got[-1].url == f"{URL}/2"
    assert report.counts["pages"] == 4 and report.counts["lines"] == len(lines)


def test_the_compiled_reader_rejects_bad_arguments():
    with pytest.raises(TypeError):
        Pages({"str key": 1}, KINDS, -1)
    with pytest.raises(ValueError):
        Pages({b"<p>": 9}, KINDS, -1)
    pages = Pages(PREDICATES, KINDS, -1)
    with pytest.raises(ValueError):
        pages.feed(b"abc", 0, 4, 1, True)
    with pytest.raises(ValueError):
        pages.feed(b"abc", 4, 3, 1, True)
    with pytest.raises(ValueError):
        pages.add(1, 9, "_:s", "_:o", URL)
    with pytest.raises(ValueError):
        split(b"two\nlines", PREDICATES)
    one = (
        quad("_:o", TYPE, f"{S}Offer>", URL).encode()
        + b"\n"
        + quad("_:o", TYPE, "_:t", "g").encode()
    )
    pages = Pages(PREDICATES, KINDS, 1)
    assert pages.feed(one, 0, len(one), 1, True) == ([], [], None)  # the limit: one page
    with pytest.raises(RuntimeError):
        pages.feed(one, 0, len(one), 1, True)


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


def test_a_quad_on_a_line_that_is_not_utf8_opens_a_page_and_meets_the_limit(tmp_path, monkeypatch):
    """The compiled reader leaves such a line to Python, which hands its quad back."""
    first = faq_page(f"{URL}/1", [("Is this the first page?", "Yes, it is the first one.")])
    second = faq_page(f"{URL}/2", [("Is this the second page?", "Yes, it is the second.")])
    bad = quad("_:x", f"{S}name>", '"caf\xff"', f"{URL}/2").encode("latin-1")
    path = tmp_path / "bad.nq"
    path.write_bytes(
        b"\n".join([*(ln.encode() for ln in first), bad, *(ln.encode() for ln in second)])
    )
    results = _read_by_both(path, monkeypatch, (None, 1, 2))
    pairs, report = results[1]
    assert len(pairs) == 1 and report["counts"]["lines"] == len(first)
    assert report["problems"] == {"invalid_utf8": 1}
    assert len(results[None][0]) == 2
