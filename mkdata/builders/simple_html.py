"""Rendering of simple HTML fragments without an HTML parser: most FAQ answers are a few
paragraphs, lists, links and bold text. For such a fragment :func:`render_simple` gives the
text lexbor's rendering in :func:`mkdata.builders.normalize.html_to_text` gives, at a
fraction of its cost; for anything else (a tag outside the few below, misnested or
unclosed elements, comments, an unusual character reference) it gives None, and the
parser renders the fragment.

It holds only where the HTML parser builds the tree the tags spell: every element is closed
in order, no block element opens where the parser would close one implicitly (a ``p``,
heading or inline element holds only inline elements; an ``li`` opens inside another only
within a list), and every character reference is one whose text is known without the parser.
"""

from __future__ import annotations

import re
from html.entities import html5

# elements whose start and end tags are line breaks: a subset of normalize.BLOCK_TAGS
INLINE_ONLY_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6"})
CONTAINER_BLOCKS = frozenset({"div", "ul", "ol", "li", "blockquote", "section", "article"})
BLOCKS = INLINE_ONLY_BLOCKS | CONTAINER_BLOCKS
# elements whose tags add nothing to the text
_INLINE_NAMES = "a abbr b bdi bdo cite code del dfn em i ins kbd mark q s samp small span strong"
INLINE = frozenset(f"{_INLINE_NAMES} sub sup time u var".split())
VOID_BREAKS = frozenset({"br", "hr"})  # void elements that are line breaks
VOID_INLINE = frozenset({"img", "wbr"})
VOID = VOID_BREAKS | VOID_INLINE

MAX_CHARS = 1 << 16  # longer fragments go to the parser (this costs more per character)
_HTML_SPACE = " \t\n\x0c"  # the parser's whitespace (CR is read as LF before)
_WS = "[\t\n\x0c ]"
_TOKEN = re.compile(
    r"([^<&\x00\ud800-\udfff]+)"  # text
    # a tag and its attributes (a quoted value may hold < and >); "/>" reads as ">", as in
    # the parser: <p/> opens a p
    rf"|<(/?)([A-Za-z][A-Za-z0-9]*)(?:{_WS}+[^\t\n\x0c \"'>/=]+"
    rf"""(?:{_WS}*={_WS}*(?:"[^"]*"|'[^']*'|[^\t\n\x0c "'=<>`]+))?)*{_WS}*/?>"""
    r"|&(#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)"  # a reference
    r"|(<(?![A-Za-z/!?])|&(?![A-Za-z0-9#]))"  # a < or & that starts nothing: text
)


def _reference(ref: str) -> str | None:
    """The text of the character reference ``&REF`` where the parser reads it as Python's
    ``chr`` or the HTML5 table does, else None (unknown names; code points the parser
    replaces or maps: NUL, controls, C1, surrogates, past U+10FFFF)."""
    if ref[0] != "#":
        return html5.get(ref)
    n = int(ref[2:-1], 16) if ref[1] in "xX" else int(ref[1:-1])
    if 0x20 <= n <= 0x7E or 0xA0 <= n <= 0xD7FF or 0xE000 <= n <= 0x10FFFF:
        return chr(n)
    return None


def render_simple(value: str) -> str | None:
    """The rendered text of the HTML fragment ``value`` (block elements' tags as line
    breaks, entities decoded), or None where it is not simple (see the module's doc) or
    longer than ``MAX_CHARS``."""
    if len(value) > MAX_CHARS:
        return None
    if "\r" in value:  # the parser reads CR LF and CR as LF
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    open_: list[str] = []  # the elements open, innermost last
    # per open element, and the body first: whether an li opened in it is nested in a list
    # below any open li (else the parser would close that li first)
    li_nests = [True]
    inline_open = 0  # of the open elements, INLINE_ONLY_BLOCKS and INLINE ones
    started = False  # whitespace before the body starts, written or referenced, is dropped
    match = _TOKEN.match
    pos, end = 0, len(value)
    while pos < end:
        m = match(value, pos)
        if m is None:
            return None
        pos = m.end()
        text, close, name, ref, literal = m.groups()
        if ref is not None and (text := _reference(ref)) is None:
            return None
        if text is not None:
            if not started:
                text = text.lstrip(_HTML_SPACE)
                started = bool(text)
            out.append(text)
            continue
        started = True
        if literal is not None:
            out.append(literal)
            continue
        name = name.lower()
        if name in VOID:
            if close or (name == "hr" and inline_open):
                return None
            if name in VOID_BREAKS:
                out.append("\n\n")
        elif close:
            if not open_ or open_.pop() != name:
                return None
            li_nests.pop()
            if name in BLOCKS:
                out.append("\n")
                inline_open -= name in INLINE_ONLY_BLOCKS
            else:
                inline_open -= 1
        elif name in INLINE:  # the parser may move inline elements, never their text
            open_.append(name)
            li_nests.append(li_nests[-1])
            inline_open += 1
        elif name in BLOCKS:
            if inline_open or (name == "li" and not li_nests[-1]):
                return None
            open_.append(name)
            li_nests.append(name in ("ul", "ol") or (name != "li" and li_nests[-1]))
            out.append("\n")
            inline_open += name in INLINE_ONLY_BLOCKS
        else:
            return None
    if open_:
        return None
    return "".join(out)
