"""Text normalization for FAQ entries: HTML to plain text and clean-up of labels and quotes."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser

from mkdata.builders.simple_html import render_simple

# Elements whose boundaries are line breaks in rendered text.
BLOCK_TAGS = (
    "address,article,aside,blockquote,br,dd,details,div,dl,dt,figcaption,figure,footer,"
    "form,h1,h2,h3,h4,h5,h6,header,hr,li,main,nav,ol,p,pre,section,summary,table,tr,ul"
)
DROP_TAGS = "script,style,noscript,template,iframe,object,svg,head,button,select"

_TAG_HINT = re.compile(r"<[A-Za-z/!]")
_ESCAPED_TAG = re.compile(r"&lt;/?[A-Za-z]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
# C0 and C1 control characters (NUL from \u0000 escapes, ...); tab, newline, CR are whitespace
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Leading labels: "Q:", "A.", "Question 3:", "Antwort:", "1.", "2)", "#4", "Q1:" ...
_LABEL_WORDS = (
    r"q|a|f|r|p|question|answer|frage|antwort|pregunta|respuesta|réponse|reponse|"
    r"domanda|risposta|pergunta|resposta|vraag|antwoord|pytanie|odpowiedź|вопрос|ответ|"
    r"soru|cevap|otázka|odpověď|kysymys|vastaus|fråga|svar|spørsmål|spørgsmål"
)
_LEADING_LABEL = re.compile(
    rf"^\s*(?:(?:{_LABEL_WORDS})\s*\d{{0,3}}\s*[:.)\-–—]|#?\d{{1,3}}\s*[.):\-–—](?!\d)|[QA]\d{{1,3}}\b\s*[:.)\-–—]?)\s*",
    re.IGNORECASE,
)
_QUOTES = {
    '"': '"',
    "'": "'",
    "“": "”",
    "„": "“",
    "«": "»",
    "»": "«",
    "‘": "’",
    "‚": "‘",
    "「": "」",
    "『": "』",
    "《": "》",
}


def html_to_text(value: str) -> str:
    """Render an HTML fragment to plain text.

    Block elements (paragraphs, list items, breaks, headings, rows) become line
    breaks; scripts and styles are dropped; entities are decoded. Plain text passes
    through with only entities decoded. Escaped markup (``&lt;p&gt;``) is rendered too.
    """
    if "&" in value and _ESCAPED_TAG.search(value) and not _TAG_HINT.search(value):
        value = html.unescape(value)
    if not _TAG_HINT.search(value):
        return html.unescape(value) if "&" in value else value
    text = render_simple(value)  # most answers: the text the parser gives, faster
    return render_parsed(value) if text is None else text


def render_parsed(value: str) -> str:
    """The text of the HTML fragment ``value`` as lexbor parses it: :func:`html_to_text`
    without its shortcuts."""
    tree = LexborHTMLParser(value)
    for node in tree.css(DROP_TAGS):
        node.decompose()
    for node in tree.css(BLOCK_TAGS):
        node.insert_before("\n")
        node.insert_after("\n")
    root = tree.body or tree.root
    return root.text(separator="") if root is not None else ""


def collapse_whitespace(text: str) -> str:
    """Collapse runs of spaces to one space and runs of line breaks to one newline; trim.
    Control characters other than tab, newline and carriage return are removed."""
    if text.isprintable():  # no control, invisible or line-break character in it
        return text if _single_spaced(text) else " ".join(text.split())
    text = CONTROL.sub("", text)
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    if "\n" not in text and "\r" not in text:
        return " ".join(text.split())
    lines = (" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def _strip_label_and_quotes(text: str) -> str:
    for _ in range(2):
        before = text
        m = _LEADING_LABEL.match(text)
        if m and m.end() < len(text):
            text = text[m.end() :]
        if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
            inner = text[1:-1]
            if text[0] not in inner and text[-1] not in inner:
                text = inner.strip()
        if text == before:
            break
    return text


ENTRY_CACHE_CHARS = 2048  # questions and answers up to this long are normalized once per process
# (an LRU of 8,192 texts: at most ~33M characters kept)


def normalize_entry(value: str) -> str:
    """Return the clean plain text of a question or answer (HTML, labels, quotes removed; NFC)."""
    if len(value) <= ENTRY_CACHE_CHARS:  # the same FAQ repeats on the pages of a site
        return _normalize_short_entry(value)
    return _normalize_entry(value)


def _normalize_entry(value: str) -> str:
    text = collapse_whitespace(html_to_text(value))
    text = _strip_label_and_quotes(text)
    return unicodedata.normalize("NFC", text)


_normalize_short_entry = lru_cache(maxsize=8192)(_normalize_entry)

CONTEXT_MAX_CHARS = 1000  # a page title or description longer than this is cut


@lru_cache(maxsize=4096)  # every pair of a page carries the same title and description
def normalize_context(value: str, is_html: bool = True) -> str:
    """The clean plain text of a page title or description: HTML rendered when ``is_html``
    (schema.org literals may hold markup; an HTML ``<title>`` or meta ``content`` is text
    already), whitespace collapsed to single spaces, NFC, cut at ``CONTEXT_MAX_CHARS``."""
    text = html_to_text(value[: CONTEXT_MAX_CHARS * 4]) if is_html else value
    text = " ".join(text.split())
    return unicodedata.normalize("NFC", text[:CONTEXT_MAX_CHARS])


def dedup_key(text: str) -> str:
    """Return the comparison form of normalized text (case-folded, whitespace-collapsed)."""
    key = text.casefold()
    return key if key.isprintable() and _single_spaced(key) else " ".join(key.split())


def _single_spaced(text: str) -> bool:
    """For a printable ``text`` (whose only whitespace can be U+0020): whether
    ``" ".join(text.split())`` gives it back (no space at its ends, none doubled)."""
    return "  " not in text and text[:1] != " " and text[-1:] != " "
