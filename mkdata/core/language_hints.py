"""Language hints of a web page: the language it declares (schema.org ``inLanguage``,
``<html lang>``) and a language code in its URL (``/de/``, ``/de-at/``, ``/pt_BR/``,
``de.example.com``), as ISO 639-3 codes fastText can predict. Builders use them only to
break ties fastText cannot (``builders.filters.hinted_language``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from mkdata.core.lang import fasttext_code

# a language tag: primary subtag (2-3 letters), optional region/script subtags
_TAG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,4})*$")
# in a URL only two-letter codes count (three-letter path segments are mostly words)
_URL_TAG = re.compile(r"^([a-z]{2})(?:[-_][a-z]{2,4})?$")
_NOT_LANGUAGE_HOSTS = {"www", "m", "en-us"}


def declared_language(tag: str) -> str | None:
    """The ISO 639-3 code of a declared language tag (``nl-NL`` -> ``nld``), else None."""
    m = _TAG.match(tag.strip().lower())
    return fasttext_code(m.group(1)) if m else None


def url_language(url: str) -> str | None:
    """The ISO 639-3 code a URL names in its first path segment or its first host label
    (``https://x.com/de-at/faq``, ``https://fr.x.com/faq``), else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    segments = [s for s in parts.path.lower().split("/") if s]
    if segments:
        m = _URL_TAG.match(segments[0])
        if m and fasttext_code(m.group(1)):
            return fasttext_code(m.group(1))
    labels = (parts.hostname or "").split(".")
    if len(labels) > 2 and labels[0] not in _NOT_LANGUAGE_HOSTS:
        m = _URL_TAG.match(labels[0])
        if m:
            return fasttext_code(m.group(1))
    return None


def language_hints(url: str, declared: str) -> tuple[str, ...]:
    """The page's hint languages, declared first, then the URL's; no repeats."""
    out: list[str] = []
    for code in (declared_language(declared) if declared else None, url_language(url)):
        if code and code not in out:
            out.append(code)
    return tuple(out)
