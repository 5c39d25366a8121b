"""schema.org FAQPage extraction from one HTML page: JSON-LD, microdata and RDFa.

``has_faq_markup`` is the cheap byte-level pre-filter; ``extract_faq`` parses the
page once and returns its (question, answer) pairs as raw HTML strings, each
question once even when the page publishes the FAQ in several syntaxes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from mkdata.builders.normalize import dedup_key, normalize_entry
from mkdata.core.text import without_lone_surrogates

_FAQ_BYTES = re.compile(rb"[Ff][Aa][Qq][Pp][Aa][Gg][Ee]")
MAX_JSONLD_CHARS = 4 << 20

FAQ_PAGE, QUESTION, ANSWER = "faqpage", "question", "answer"
ANSWER_PROPS = ("acceptedanswer", "suggestedanswer")


@dataclass
class PageFAQ:
    """What one page yielded: pairs (question, answer) as raw HTML, and problems met."""

    pairs: list[tuple[str, str]] = field(default_factory=list)
    syntaxes: list[str] = field(default_factory=list)  # jsonld / microdata / rdfa, per pair
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)
    title: str = ""  # <title>, else og:title
    description: str = ""  # <meta name="description">, else og:description
    language: str = ""  # <html lang>


def has_faq_markup(body: bytes) -> bool:
    """True when the raw page bytes mention FAQPage (any case): the cheap pre-filter."""
    return _FAQ_BYTES.search(body) is not None


def extract_faq(html: str) -> PageFAQ:
    """Return the FAQ pairs of one decoded HTML page (JSON-LD first, then microdata, RDFa)."""
    result = PageFAQ()
    tree = LexborHTMLParser(html)
    seen: set[str] = set()

    def add(question: str, answer: str, syntax: str) -> None:
        q, a = normalize_entry(question), normalize_entry(answer)
        if not q or not a:
            result.problems.append(("empty_question" if not q else "empty_answer", q[:60]))
            return
        key = dedup_key(q)
        if key in seen:
            return
        seen.add(key)
        result.pairs.append((question, answer))
        result.syntaxes.append(syntax)

    for script in tree.css("script"):
        kind = (script.attributes.get("type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json":
            continue
        raw = script.text(deep=True)
        if not _FAQ_BYTES.search(raw.encode("utf-8", "ignore")):
            continue
        docs, problem = parse_jsonld(raw)
        if problem:
            result.problems.append(("invalid_jsonld", problem))
        for doc in docs:
            for q, a in jsonld_pairs(doc):  # JSON may escape a lone surrogate: not UTF-8
                add(without_lone_surrogates(q), without_lone_surrogates(a), "jsonld")
    for syntax, attrs in (("microdata", _MICRODATA), ("rdfa", _RDFA)):
        for q, a in _markup_pairs(tree, attrs):
            add(q, a, syntax)
    if result.pairs:
        result.title, result.description, result.language = page_context(tree)
    return result


def _meta(tree: LexborHTMLParser, key: str, value: str) -> str:
    for node in tree.css("meta"):
        if (node.attributes.get(key) or "").strip().lower() == value:
            return (node.attributes.get("content") or "").strip()
    return ""


def page_context(tree: LexborHTMLParser) -> tuple[str, str, str]:
    """(title, description, declared language) of a page: ``<title>`` (else ``og:title``),
    ``<meta name="description">`` (else ``og:description``), ``<html lang>``."""
    node = tree.css_first("head title")  # not an <svg><title> in the body
    title = node.text(deep=True).strip() if node is not None else ""
    title = title or _meta(tree, "property", "og:title")
    description = _meta(tree, "name", "description") or _meta(tree, "property", "og:description")
    html = tree.css_first("html")
    language = (html.attributes.get("lang") or "").strip() if html is not None else ""
    return title, description, language


# ---------------------------------------------------------------- JSON-LD

_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
# strings (kept), comments and trailing commas (dropped), invalid escapes in strings (fixed)
_LENIENT = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])', re.DOTALL)
_BAD_ESCAPE = re.compile(r'\\(?!["\\/bfnrtu])')


def _lenient_fix(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        return _BAD_ESCAPE.sub("", m.group(1)) if m.group(1) else ""

    return _LENIENT.sub(repl, text)


def _decode_all(text: str) -> list[Any]:
    """Decode one or more concatenated JSON values; raise ValueError when any is invalid."""
    decoder = json.JSONDecoder(strict=False)
    docs, pos, end = [], 0, len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n;":
            pos += 1
        if pos >= end:
            return docs
        doc, pos = decoder.raw_decode(text, pos)
        docs.append(doc)


def parse_jsonld(raw: str) -> tuple[list[Any], str | None]:
    """Parse a JSON-LD script body leniently; return ``(documents, problem or None)``.

    Accepts HTML comment / CDATA wrappers, several concatenated documents, raw
    control characters in strings, ``//`` and ``/* */`` comments, trailing commas
    and invalid backslash escapes. What still does not parse is reported, not raised.
    """
    if len(raw) > MAX_JSONLD_CHARS:
        return [], f"JSON-LD block of {len(raw)} characters skipped"
    text = _WRAPPERS.sub("", raw.strip())
    try:
        return _decode_all(text), None
    except (ValueError, RecursionError):
        pass
    try:
        return _decode_all(_lenient_fix(text)), None
    except (ValueError, RecursionError) as exc:
        return [], f"invalid JSON-LD: {str(exc)[:80]}"


def _local(value: Any) -> str:
    """Local name of a type/property IRI or CURIE, lower-cased: 'https://schema.org/FAQPage' -> 'faqpage'."""
    s = str(value).strip()
    for sep in ("/", "#", ":"):
        s = s.rsplit(sep, 1)[-1]
    return s.lower()


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("@type", node.get("type"))
    values = t if isinstance(t, list) else [t]
    return {_local(v) for v in values if isinstance(v, str)}


def _get(node: dict[str, Any], prop: str) -> Any:
    """A property by local name (``name``, ``schema:name``, ``https://schema.org/name``)."""
    if prop in node:
        return node[prop]
    for key, value in node.items():
        if _local(key) == prop.lower():
            return value
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _walk(doc: Any) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON document (iteratively: deep nesting cannot overflow the stack)."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _literal(value: Any) -> str:
    """Text of a JSON-LD value: a string, a ``{"@value": ...}`` object, or the first of a list."""
    for v in _as_list(value):
        if isinstance(v, dict):
            v = v.get("@value")
        if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip():
            return str(v)
    return ""


def jsonld_pairs(doc: Any) -> Iterator[tuple[str, str]]:
    """(question, answer) pairs of every FAQPage in one JSON-LD document.

    Handles ``@graph``, lists of blocks, ``mainEntity`` and answers given as an
    object, a list or an ``{"@id": ...}`` reference to a node elsewhere in the document.
    """
    nodes = list(_walk(doc))
    by_id = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str) and len(n) > 1}

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"@id"}:
            return by_id.get(value["@id"], value)
        if isinstance(value, str) and value in by_id:
            return by_id[value]
        return value

    for node in nodes:
        if FAQ_PAGE not in _types(node):
            continue
        for entity in _as_list(_get(node, "mainEntity")):
            for question in _as_list(resolve(entity)):
                question = resolve(question)
                if not isinstance(question, dict):
                    continue
                text = _literal(_get(question, "name")) or _literal(_get(question, "text"))
                answer = ""
                for prop in ("acceptedAnswer", "suggestedAnswer"):
                    for a in _as_list(_get(question, prop)):
                        a = resolve(a)
                        answer = _literal(_get(a, "text")) if isinstance(a, dict) else _literal(a)
                        if answer:
                            break
                    if answer:
                        break
                if text or answer:
                    yield text, answer


# ---------------------------------------------------------------- microdata and RDFa


@dataclass(frozen=True)
class _Attrs:
    scope: tuple[str, ...]  # an element with any of these attributes opens an item
    type: str
    prop: str


_MICRODATA = _Attrs(scope=("itemscope", "itemtype"), type="itemtype", prop="itemprop")
_RDFA = _Attrs(scope=("typeof",), type="typeof", prop="property")


def _is_scope(node: LexborNode, attrs: _Attrs) -> bool:
    a = node.attributes
    return any(s in a for s in attrs.scope)


def _has_type(node: LexborNode, attrs: _Attrs, wanted: str) -> bool:
    return any(_local(t) == wanted for t in (node.attributes.get(attrs.type) or "").split())


def _owner(node: LexborNode, attrs: _Attrs) -> LexborNode | None:
    """The item a property element belongs to: its nearest ancestor that opens an item."""
    parent = node.parent
    while parent is not None and not _is_scope(parent, attrs):
        parent = parent.parent
    return parent


def _props(item: LexborNode, attrs: _Attrs, name: str) -> list[LexborNode]:
    """Property elements ``name`` of ``item`` (not of items nested inside it), in order."""
    found = []
    for node in item.css(f"[{attrs.prop}]"):
        names = {_local(p) for p in (node.attributes.get(attrs.prop) or "").split()}
        if name in names:
            owner = _owner(node, attrs)
            if owner is not None and owner.mem_id == item.mem_id:
                found.append(node)
    return found


def _value(node: LexborNode) -> str:
    """A property's value as HTML: ``content`` wins, else the element's inner markup."""
    a = node.attributes
    if a.get("content") is not None:
        return a["content"] or ""
    return node.inner_html or ""


def _markup_pairs(tree: LexborHTMLParser, attrs: _Attrs) -> Iterator[tuple[str, str]]:
    selector = f"[{attrs.type}]"
    for page in tree.css(selector):
        if not _has_type(page, attrs, FAQ_PAGE):
            continue
        for question in page.css(selector):
            if not _has_type(question, attrs, QUESTION):
                continue
            names = _props(question, attrs, "name") or _props(question, attrs, "text")
            text = next((v for v in map(_value, names) if v.strip()), "")
            answer = ""
            for prop in ANSWER_PROPS:
                for node in _props(question, attrs, prop):
                    if _is_scope(node, attrs):
                        bodies = _props(node, attrs, "text")
                        answer = next((v for v in map(_value, bodies) if v.strip()), "")
                    else:
                        answer = _value(node)
                    if answer.strip():
                        break
                if answer.strip():
                    break
            if text or answer:
                yield text, answer
