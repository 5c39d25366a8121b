"""Counters for one unit of work: per-language filter counts and located problems."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES = 20


@dataclass
class Report:
    """What happened while processing one input: counts, per-language filter counts, problems.

    ``problems`` counts each kind of bad input; ``examples`` keeps the first few as
    one-line ``file:line: message`` strings. ``error`` is set when the unit failed.
    """

    counts: Counter = field(default_factory=Counter)
    filters: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    problems: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    error: str | None = None

    def problem(self, kind: str, where: str, message: str) -> None:
        """Count one problem of ``kind`` found at ``where`` (``file:line``)."""
        self.problems[kind] += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{where}: {message}")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "counts": dict(self.counts),
            "filters": {lang: dict(c) for lang, c in sorted(self.filters.items())},
            "problems": dict(self.problems),
            "examples": list(self.examples),
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Report:
        """Inverse of :meth:`to_dict`."""
        rep = cls(counts=Counter(d.get("counts", {})), problems=Counter(d.get("problems", {})))
        for lang, c in d.get("filters", {}).items():
            rep.filters[lang] = Counter(c)
        rep.examples = list(d.get("examples", []))
        rep.error = d.get("error")
        return rep

    def merge(self, other: Report) -> None:
        """Add ``other``'s counts into this report (examples are kept up to the cap)."""
        self.counts.update(other.counts)
        self.problems.update(other.problems)
        for lang, c in other.filters.items():
            self.filters[lang].update(c)
        room = MAX_EXAMPLES - len(self.examples)
        if room > 0:
            self.examples.extend(other.examples[:room])
