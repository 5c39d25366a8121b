"""The record every source reader yields to the shared QA build."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RawPair:
    """One FAQ entry as found in the source: page URL, question and answer as raw HTML."""

    url: str
    question: str
    answer: str
