"""The record every source reader yields to the shared QA build."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RawPair:
    """One FAQ entry as found in the source: page URL, question and answer as raw HTML, and
    the page's context where it has one (title, description, declared language)."""

    url: str
    question: str
    answer: str
    title: str = ""
    description: str = ""
    page_language: str = ""  # as the page declares it: schema.org inLanguage, <html lang>
    context_is_html: bool = True  # title/description may hold markup (schema.org literals)
