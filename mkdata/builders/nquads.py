"""Streaming N-Quads reader for schema.org FAQPage data (Web Data Commons class-specific files).

Reads a (gzipped) N-Quads file line by line, keeps only the quads that describe
FAQ structure, groups them by page (the graph) and assembles
FAQPage -mainEntity-> Question (name) -acceptedAnswer|suggestedAnswer-> Answer (text).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdata.builders.raw_pair import RawPair
from mkdata.core.fetch import CorruptInput, iter_decompressed, read_ahead
from mkdata.core.report import Report
from mkdata.core.text import without_lone_surrogates

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"

# predicate codes
TYPE, MAIN_ENTITY, NAME, TEXT, ACCEPTED, SUGGESTED, HEADLINE, DESCRIPTION, IN_LANGUAGE = range(9)
_SCHEMA_PREDICATES = {
    "mainEntity": MAIN_ENTITY,
    "name": NAME,
    "text": TEXT,
    "acceptedAnswer": ACCEPTED,
    "suggestedAnswer": SUGGESTED,
    "headline": HEADLINE,
    "description": DESCRIPTION,
    "inLanguage": IN_LANGUAGE,
}
CONTEXT_CODES = {HEADLINE: "headlines", DESCRIPTION: "descriptions", IN_LANGUAGE: "languages"}
PREDICATES: dict[str, int] = {RDF_TYPE: TYPE}
for _scheme in ("http", "https"):
    for _local, _code in _SCHEMA_PREDICATES.items():
        PREDICATES[f"<{_scheme}://schema.org/{_local}>"] = _code

# type codes
FAQ_PAGE, QUESTION, ANSWER = "FAQPage", "Question", "Answer"
WEB_PAGE, ARTICLE, WEB_SITE = "WebPage", "Article", "WebSite"
# page context: the page itself first (FAQPage is a WebPage), then an article on it, then
# the site as a fallback
_CONTEXT_TYPES = {
    "WebPage": WEB_PAGE, "ItemPage": WEB_PAGE, "AboutPage": WEB_PAGE, "ContactPage": WEB_PAGE,
    "QAPage": WEB_PAGE, "CollectionPage": WEB_PAGE, "Article": ARTICLE, "BlogPosting": ARTICLE,
    "NewsArticle": ARTICLE, "TechArticle": ARTICLE, "WebSite": WEB_SITE,
}  # fmt: skip
TYPES: dict[str, str] = {}
for _scheme in ("http", "https"):
    for _t in (FAQ_PAGE, QUESTION, ANSWER):
        TYPES[f"<{_scheme}://schema.org/{_t}>"] = _t
    for _t, _kind in _CONTEXT_TYPES.items():
        TYPES[f"<{_scheme}://schema.org/{_t}>"] = _kind

_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.)|$)", re.DOTALL)
_SIMPLE = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
# escapes that N-Triples does not define but Python's unicode_escape would accept
_NON_PYTHON_ESCAPE = re.compile(
    r"\\(?![tbnrf\"'\\]|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})|\\U(?!0010|000)"
)


def unescape_literal(value: str) -> tuple[str, bool]:
    """Decode N-Triples string escapes (``\\t \\n \\" \\uXXXX \\UXXXXXXXX`` ...).

    Returns ``(text, ok)``; ``ok`` is False when a broken escape was found (it is
    kept verbatim). UTF-16 surrogate pairs written as two ``\\u`` escapes are joined.
    """
    if not _NON_PYTHON_ESCAPE.search(value):
        # every escape is one Python's unicode_escape decodes identically (fast, in C)
        try:
            text = value.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            pass
        else:
            return without_lone_surrogates(text), True
    ok = True

    def repl(m: re.Match[str]) -> str:
        nonlocal ok
        u4, u8, ch = m.group(1), m.group(2), m.group(3)
        if u4:
            return chr(int(u4, 16))
        if u8:
            cp = int(u8, 16)
            if cp <= 0x10FFFF:
                return chr(cp)
        elif ch is not None and ch in _SIMPLE:
            return _SIMPLE[ch]
        ok = False
        return m.group(0)

    return without_lone_surrogates(_ESCAPE.sub(repl, value)), ok


class _Page:
    __slots__ = (
        "accepted",
        "descriptions",
        "faq",
        "graph",
        "headlines",
        "languages",
        "literals",
        "main",
        "names",
        "suggested",
        "texts",
        "types",
    )

    def __init__(self, graph: str) -> None:
        self.graph = graph
        self.types: dict[str, set[str]] = {}
        self.faq: list[str] = []
        self.main: dict[str, list[str]] = {}
        self.accepted: dict[str, list[str]] = {}
        self.suggested: dict[str, list[str]] = {}
        self.names: dict[str, str] = {}
        self.texts: dict[str, str] = {}
        # nodes given as literals (e.g. acceptedAnswer "plain text"): key -> text
        self.literals: dict[str, str] = {}
        self.headlines: dict[str, str] = {}
        self.descriptions: dict[str, str] = {}
        self.languages: dict[str, str] = {}

    def context(self) -> tuple[str, str, str]:
        """(title, description, declared language) of the page, each field from the first
        node that has it: the WebPage that is the page (its IRI, or a blank node), the
        FAQPage, an Article (``headline``), a WebPage it links to, the WebSite."""
        this_page = f"<{self.graph}>"

        def rank(subj: str, types: set[str]) -> int:
            if WEB_PAGE in types and (subj == this_page or subj.startswith("_:")):
                return 0  # the page itself: its IRI, or described in place
            if FAQ_PAGE in types:
                return 1
            if ARTICLE in types:
                return 2
            if WEB_PAGE in types:
                return 3  # another page it links to (breadcrumbs, isPartOf)
            return 4 if WEB_SITE in types else 5

        ranked = sorted(
            ((rank(s, t), i, s, ARTICLE in t) for i, (s, t) in enumerate(self.types.items())),
        )
        ranked = [
            (s, ARTICLE if is_article else WEB_PAGE) for r, _, s, is_article in ranked if r < 5
        ]
        title = description = language = ""
        for subj, kind in ranked:
            if not title:
                title = (self.headlines if kind == ARTICLE else self.names).get(subj, "")
                title = title or (self.names.get(subj, "") if kind == ARTICLE else "")
            description = description or self.descriptions.get(subj, "")
            language = language or self.languages.get(subj, "")
        return title, description, language


def _assemble(page: _Page, report: Report) -> list[RawPair]:
    """Turn one page's FAQ quads into pairs; count what cannot be completed."""
    pairs: list[RawPair] = []
    if not page.faq:
        report.counts["pages_without_faqpage"] += 1
        return pairs
    title, description, language = page.context()
    seen: set[str] = set()
    for faq in page.faq:
        for q in page.main.get(faq, ()):
            if q in seen:
                continue
            seen.add(q)
            known = q in page.types or q in page.names or q in page.texts
            if not known and q not in page.accepted and q not in page.suggested:
                report.counts["dangling_entities"] += 1  # cut off: never described
                continue
            question = page.names.get(q) or page.texts.get(q) or ""
            answer = ""
            for ref in page.accepted.get(q) or page.suggested.get(q) or ():
                answer = page.literals.get(ref) or page.texts.get(ref) or page.names.get(ref) or ""
                if answer:
                    break
            report.counts["questions"] += 1
            if not answer:
                report.counts["questions_without_answer"] += 1
                continue
            if not question:
                report.counts["answers_without_question"] += 1
                continue
            pairs.append(RawPair(page.graph, question, answer, title, description, language))
    return pairs


OTHER_QUAD = "other"  # _tokenize: a well-formed quad whose predicate the reader does not keep


def _tokenize(line: str) -> tuple[int, str, str, str] | tuple[str, str] | str | None:
    """Split one N-Quads line the way the reader needs it.

    Returns ``(code, subject, object, graph)`` for a well-formed quad with a kept
    predicate, ``OTHER_QUAD`` for a well-formed quad with another predicate, None for a
    blank line or a comment, and ``(problem_kind, message)`` for a malformed line. The
    compiled reader (``_nquads_scan.c``) must split every line exactly like this.
    """
    parts = line.split(None, 2)
    if len(parts) < 3:
        if parts and not parts[0].startswith("#"):
            return "malformed_line", "not a quad"
        return None
    subj, pred, rest = parts
    code = PREDICATES.get(pred)
    if code is None:
        if pred[0] != "<" or subj[0] not in "_<":
            return "malformed_line", "not a quad"
        return OTHER_QUAD
    rest = rest.rstrip()
    gi = rest.rfind("<")
    if not rest.endswith(".") or gi < 0 or subj[0] not in "_<":
        return "malformed_line", "not a quad"
    tail = rest[gi:-1].rstrip()
    if not tail.endswith(">"):
        return "malformed_line", "missing graph"
    obj = rest[:gi].rstrip()
    if not obj:
        return "malformed_line", "missing object"
    return code, subj, obj, tail[1:-1]


# a line is held in memory until it ends: a longer one is skipped (problem "line_too_long");
# no FAQ literal is near this long
MAX_LINE_BYTES = 64 << 20


def _iter_blocks(path: Path, report: Report, where: str) -> Iterator[tuple[int, bytes, int]]:
    """Yield ``(first_line_number, data, end)``: ``data[:end]`` holds complete lines.

    Truncated or corrupt gzip data ends the stream: the error is recorded in
    ``report.error`` (with the line reached) and every complete line before it is yielded.
    A line longer than ``MAX_LINE_BYTES`` is counted as a problem and read as an empty line
    (the pieces are at most ``fetch.OUT_BYTES`` long, below it: such a line spans pieces).
    """
    lineno = 1
    pieces: list[bytes] = []  # the start of a line no chunk has ended yet (joined once)
    held = 0  # their bytes
    skipping = False  # within a line longer than MAX_LINE_BYTES, up to its end
    try:
        # inflated on a thread, a piece ahead of the lines read here
        for chunk in read_ahead(iter_decompressed(path)):
            if pieces or skipping:  # a line goes on: is it too long?
                end = chunk.find(b"\n")
                if not skipping and held + (len(chunk) if end < 0 else end) > MAX_LINE_BYTES:
                    report.problem(
                        "line_too_long",
                        f"{where}:{lineno}",
                        f"longer than {MAX_LINE_BYTES} bytes, skipped",
                    )
                    pieces, held, skipping = [], 0, True
                if skipping:
                    if end < 0:
                        continue
                    skipping = False
                    chunk = chunk[end:]  # the skipped line goes on as an empty one
            cut = chunk.rfind(b"\n")
            if cut < 0:
                if chunk:
                    pieces.append(chunk)
                    held += len(chunk)
                continue
            data = b"".join([*pieces, chunk]) if pieces else chunk
            cut += held
            pieces, held = [], 0
            if cut + 1 < len(data):
                pieces, held = [data[cut + 1 :]], len(data) - cut - 1
            yield lineno, data, cut
            lineno += data.count(b"\n", 0, cut) + 1
    except CorruptInput as exc:
        report.error = f"{where}:{lineno}: {exc}"
        report.problem("corrupt_input", f"{where}:{lineno}", str(exc))
        if pieces:
            report.problem("truncated_line", f"{where}:{lineno}", "last line cut off, skipped")
        return
    if pieces or skipping:  # the last line, unended (empty where it was skipped)
        tail = b"".join(pieces)
        yield lineno, tail, len(tail)


SCANNER_VERSION = 4  # of the compiled reader's interface: a stale build is not used
# the type kinds as the compiled reader codes them
KIND_CODES = {FAQ_PAGE: 0, QUESTION: 1, ANSWER: 2, WEB_PAGE: 3, ARTICLE: 4, WEB_SITE: 5}


def _compiled() -> Any:
    """The compiled page reader (``_nquads_scan``) when it was built at install, is current
    and ``MKDATA_PURE_PYTHON_NQUADS`` is not set; else None (the Python reader is used)."""
    if os.environ.get("MKDATA_PURE_PYTHON_NQUADS", "") not in ("", "0"):
        return None
    try:
        from mkdata.builders import _nquads_scan
    except ImportError:
        return None
    if getattr(_nquads_scan, "VERSION", None) != SCANNER_VERSION:
        return None
    return _nquads_scan


def _decoded(items: Iterable[tuple[int, bytes]], where: str, report: Report) -> dict[int, str]:
    """Each line of ``items`` (``(line, raw)``, not UTF-8) reported in line order and
    decoded with replacement characters, by line number."""
    out = {}
    for lineno, raw in items:
        try:
            out[lineno] = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.problem("invalid_utf8", f"{where}:{lineno}", f"invalid UTF-8 ({exc.reason})")
            out[lineno] = raw.decode("utf-8", "replace")
    return out


def _block_lines(data: bytes, end: int, first: int, where: str, report: Report) -> list[str]:
    """The lines of ``data[:end]``; the block's lines that are not UTF-8 are reported first."""
    block = data[:end]
    try:
        return block.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        raws = block.split(b"\n")
    bad = []
    for i, raw in enumerate(raws):
        try:
            raws[i] = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append((first + i, raw))
    fixed = _decoded(bad, where, report)
    return [fixed.get(first + i, line) for i, line in enumerate(raws)]


@dataclass
class _Tally:
    """What a reader counted besides its pairs."""

    lines: int = 0
    quads: int = 0
    other_quads: int = 0
    pages: int = 0

    def close(self, report: Report, where: str) -> None:
        """Add the counts to ``report``; an input with no quad at all is an error."""
        report.counts["lines"] += self.lines
        report.counts["faq_quads"] += self.quads
        report.counts["pages"] += self.pages
        if not (self.quads or self.other_quads) and report.error is None:
            report.error = f"{where}: no N-Quads in this file (empty, or not N-Quads)"
            report.problem("not_nquads", where, "no N-Quads in this file")


def _read_python(path: Path, report: Report, where: str, limit: int | None) -> Iterator[RawPair]:
    """The reference reader: every line split by :func:`_tokenize`, pages assembled by
    :func:`_assemble`."""
    types_map = TYPES
    page: _Page | None = None
    tally = _Tally()
    for first, data, end in _iter_blocks(path, report, where):
        lines = _block_lines(data, end, first, where, report)
        for lineno, line in enumerate(lines, first):
            quad = _tokenize(line)
            if quad is None:
                continue
            if quad is OTHER_QUAD:
                tally.other_quads += 1
                continue
            if len(quad) == 2:
                report.problem(quad[0], f"{where}:{lineno}", quad[1])
                continue
            code, subj, obj, graph = quad
            tally.quads += 1
            if page is None or graph != page.graph:
                if page is not None:
                    yield from _assemble(page, report)
                    tally.pages += 1
                    if limit is not None and tally.pages >= limit:
                        tally.lines = lineno - 1
                        tally.close(report, where)
                        return
                page = _Page(graph)
            if code == TYPE:
                t = types_map.get(obj)
                if t is not None:
                    page.types.setdefault(subj, set()).add(t)
                    if t is FAQ_PAGE:
                        page.faq.append(subj)
                continue
            if obj[0] == '"':
                q = obj.rfind('"')
                if q <= 0:
                    report.problem("malformed_line", f"{where}:{lineno}", "unterminated literal")
                    continue
                value = obj[1:q]
                if "\\" in value:
                    value, ok = unescape_literal(value)
                    if not ok:
                        report.problem(
                            "broken_escape", f"{where}:{lineno}", "broken escape kept as is"
                        )
                if code == NAME:
                    page.names.setdefault(subj, value)
                elif code == TEXT:
                    page.texts.setdefault(subj, value)
                elif code in CONTEXT_CODES:
                    getattr(page, CONTEXT_CODES[code]).setdefault(subj, value)
                elif code != MAIN_ENTITY:
                    # an answer given inline as a string literal
                    key = f'"{lineno}'
                    page.literals[key] = value
                    (page.accepted if code == ACCEPTED else page.suggested).setdefault(
                        subj, []
                    ).append(key)
                continue
            if code == MAIN_ENTITY:
                page.main.setdefault(subj, []).append(obj)
            elif code == ACCEPTED:
                page.accepted.setdefault(subj, []).append(obj)
            elif code == SUGGESTED:
                page.suggested.setdefault(subj, []).append(obj)
        tally.lines += len(lines)
    if page is not None:
        yield from _assemble(page, report)
        tally.pages += 1
    tally.close(report, where)


def _read_compiled(
    compiled: Any, path: Path, report: Report, where: str, limit: int | None
) -> Iterator[RawPair]:
    """The compiled reader: the same pairs and report as :func:`_read_python`, also at each
    pair it yields. Lines it cannot split (malformed, comments, not UTF-8) are split here by
    :func:`_tokenize`."""
    pages = compiled.Pages(_PREDICATE_BYTES, _KIND_BYTES, -1 if limit is None else limit)
    added = dict.fromkeys(_ASSEMBLY_COUNTS, 0)

    def add_page_counts() -> dict[str, int]:
        """Add what the pages assembled so far counted (the Python reader adds it page by
        page); return all the counts."""
        counted = pages.counts()
        for key, n in added.items():
            if counted[key] > n:
                report.counts[key] += counted[key] - n
                added[key] = counted[key]
        return counted

    try:
        tally = yield from _pages_of(pages, path, report, where, add_page_counts)
    finally:  # also when the read stops early (a read error)
        counted = add_page_counts()
    if counted["limit_line"]:  # the lines before the one that opened the next page
        tally.lines = counted["limit_line"] - 1
    tally.quads += counted["quads"]
    tally.other_quads += counted["other_quads"]
    tally.pages = counted["pages"]
    tally.close(report, where)


LIMIT_REACHED, PAGE_CLOSED = 1, 2  # what the compiled reader's add answers, besides 0

# what _assemble counts
_ASSEMBLY_COUNTS = (
    "pages_without_faqpage",
    "dangling_entities",
    "questions",
    "questions_without_answer",
    "answers_without_question",
)


def _pages_of(
    pages: Any, path: Path, report: Report, where: str, add_page_counts: Callable[[], Any]
) -> Generator[RawPair, None, _Tally]:
    """The pairs ``pages`` (a compiled ``Pages``) assembles from the file; returns what was
    counted here (lines, quads left to Python)."""
    tally = _Tally()

    def taken(pairs: list[tuple], problems: list[tuple]) -> Iterator[RawPair]:
        for kind, lineno, message in problems:
            report.problem(kind, f"{where}:{lineno}", message)
        if pairs:
            add_page_counts()
        for pair in pairs:
            yield RawPair(*pair)

    for first, data, end in _iter_blocks(path, report, where):
        invalid = pages.invalid_lines(data, end, first)
        decoded = _decoded(invalid, where, report)  # reported before the block's problems
        start, lineno = 0, first
        while True:
            pairs, problems, left = pages.feed(data, start, end, lineno, not invalid)
            yield from taken(pairs, problems)
            if left is None:  # the page limit
                return tally
            if type(left) is int:
                tally.lines += left - first + 1
                break
            if len(left) == 2:  # a page ended: its pairs handed on, the line is read again
                lineno, start = left
                continue
            lineno, line, start = left
            quad = _tokenize(decoded[lineno] if type(line) is bytes else line)
            if quad is OTHER_QUAD:
                tally.other_quads += 1
            elif quad is not None and len(quad) == 2:
                report.problem(quad[0], f"{where}:{lineno}", quad[1])
            elif quad is not None:
                state = PAGE_CLOSED
                while state == PAGE_CLOSED:  # the quad is added again after a page's pairs
                    pairs, problems, state = pages.add(lineno, *quad)
                    yield from taken(pairs, problems)
                if state == LIMIT_REACHED:
                    return tally
            if start > end:
                tally.lines += lineno - first + 1
                break
            lineno += 1
    yield from taken(pages.finish(), [])
    return tally


_PREDICATE_BYTES = {k.encode(): v for k, v in PREDICATES.items()}
_KIND_BYTES = {k.encode(): KIND_CODES[v] for k, v in TYPES.items()}


def read_faq_pairs(
    path: Path, report: Report, where: str | None = None, limit: int | None = None
) -> Iterator[RawPair]:
    """Yield the FAQ pairs of an N-Quads file in file order.

    ``where`` names the file in messages (default: the path). ``limit`` stops after
    that many FAQ pages. Malformed lines and broken escapes are counted in
    ``report`` with their line number and skipped (or kept verbatim, for escapes).
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least one page, not {limit}")
    where = where or str(path)
    compiled = _compiled()
    if compiled is None:
        return _read_python(path, report, where, limit)
    return _read_compiled(compiled, path, report, where, limit)
