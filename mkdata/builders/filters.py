"""Quality filters for QA pairs. Each returns the name of the rule a pair breaks, or None."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from mkdata.core.lang import Prediction

# Reasons, in the order they are checked. They are the keys of the per-language
# filter counts in mkdata.json and the dataset card.
EMPTY = "empty"
QUESTION_TOO_SHORT = "question_too_short"
ANSWER_TOO_SHORT = "answer_too_short"
QUESTION_TOO_LONG = "question_too_long"
ANSWER_TOO_LONG = "answer_too_long"
MARKUP = "markup"
BOILERPLATE = "boilerplate"
LANG_LOW_SCORE = "language_low_confidence"
LANG_MISMATCH = "language_mismatch"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class QAFilterConfig:
    """Thresholds of the QA filters (defaults: WebFAQ's length and language rules)."""

    min_question_chars: int = 10
    min_answer_chars: int = 30
    max_question_chars: int = 1_000
    max_answer_chars: int = 30_000
    min_lang_score: float = 0.63
    lang_agree_k: int = 3
    min_agree_score: float = 0.1
    language_hints: bool = True  # break ties with the page's declared / URL language
    min_hint_score: float = 0.12  # fastText's joint probability a hint needs (WebFAQ 2.0)

    def to_dict(self) -> dict[str, Any]:
        """Return the thresholds as a JSON-ready dict."""
        return asdict(self)


# Unrendered templates and page-builder shortcodes: {{x}}, {% x %}, ${x}, [vc_row ...], <?php
_TEMPLATE = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\$\{[^}]*\}|\[/?(?:vc|et_pb|fusion|av|su|elementor)_[^\]]*\]|<\?php",
    re.DOTALL,
)
_CODE_CHARS = re.compile(r"[{}<>;=|\\$]")
_LOREM = re.compile(r"lorem ipsum|dolor sit amet|consectetur adipiscing", re.IGNORECASE)
# a text _LOREM matches holds one of these once lower-cased: under re.IGNORECASE their letters
# match their ASCII capitals only (tested), so a text without them is not searched
_LOREM_PARTS = ("lorem", "dolor", "ctetur")
# a text _TEMPLATE matches holds one of these
_TEMPLATE_PARTS = ("{", "[", "<?php")
_PLACEHOLDER = re.compile(
    r"^(?:n/?a|tbd|todo|test|answer|antwort|réponse|respuesta|content|text|\.+|-+"
    r"|your answer here|add (?:your )?answer(?: here)?|insert answer(?: here)?)$",
    re.IGNORECASE,
)
_LINK_ONLY = re.compile(
    r"^(?:read more|click here|learn more|see more|more info(?:rmation)?|mehr erfahren|weiterlesen"
    r"|en savoir plus|lire la suite|leer más|saber más|scopri di più|leia mais|lees meer)\W*$",
    re.IGNORECASE,
)


def is_markup(text: str) -> bool:
    """True when text is mostly template syntax or code rather than prose."""
    if not text:
        return False
    templ = 0
    if any(map(text.__contains__, _TEMPLATE_PARTS)):
        templ = sum(len(m) for m in _TEMPLATE.findall(text))
    if templ > 0.2 * len(text):
        return True
    return len(_CODE_CHARS.findall(text)) > 0.08 * len(text)


def is_boilerplate(question: str, answer: str) -> bool:
    """True for placeholder answers, lorem ipsum, link-only answers and answers that repeat the question."""
    a = answer.strip()
    if _PLACEHOLDER.match(a) or _LINK_ONLY.match(a) or _has_lorem(a) or _has_lorem(question):
        return True
    return a.casefold() == question.strip().casefold()


def _has_lorem(text: str) -> bool:
    """Whether ``_LOREM`` finds lorem ipsum in ``text``."""
    low = text.lower()
    return any(map(low.__contains__, _LOREM_PARTS)) and _LOREM.search(text) is not None


def text_rule(question: str, answer: str, cfg: QAFilterConfig) -> str | None:
    """Return the first text rule (empty, length, markup, boilerplate) the pair breaks, or None."""
    if not question or not answer:
        return EMPTY
    if len(question) < cfg.min_question_chars:
        return QUESTION_TOO_SHORT
    if len(answer) < cfg.min_answer_chars:
        return ANSWER_TOO_SHORT
    if len(question) > cfg.max_question_chars:
        return QUESTION_TOO_LONG
    if len(answer) > cfg.max_answer_chars:
        return ANSWER_TOO_LONG
    if is_markup(answer) or is_markup(question):
        return MARKUP
    if is_boilerplate(question, answer):
        return BOILERPLATE
    return None


def language_rule(
    joint: Prediction, question: Prediction, answer: Prediction, cfg: QAFilterConfig
) -> str | None:
    """Return the language rule the pair breaks, or None.

    The joint (question + answer) prediction must reach ``min_lang_score``; question
    and answer agree when the joint language is among the top ``lang_agree_k``
    predictions of each side alone with probability at least ``min_agree_score``
    (fastText often ranks a short question's true language second, never with ~0).
    """
    if joint.score < cfg.min_lang_score:
        return LANG_LOW_SCORE
    lang, k = joint.lang, cfg.lang_agree_k
    for side in (question, answer):
        if _score_of(side, lang, k) < cfg.min_agree_score:
            return LANG_MISMATCH
    return None


def reads_sides(joint: Prediction, cfg: QAFilterConfig) -> bool:
    """Whether :func:`language_rule` or :func:`hint_candidates` read the question's and the
    answer's own predictions for a pair whose joint prediction is ``joint``. When False,
    both give the same verdict for any side predictions (pass ``NO_PREDICTION``)."""
    if joint.score >= cfg.min_lang_score:
        return True
    k = cfg.lang_agree_k
    return cfg.language_hints and any(s >= cfg.min_hint_score for s in joint.scores[:k])


NO_PREDICTION = Prediction((), ())


def _score_of(p: Prediction, lang: str, k: int) -> float:
    """The probability ``p`` gives ``lang`` among its top ``k`` (the last such where two
    labels map to one language), else 0.0."""
    langs = p.langs[:k]
    if lang not in langs:
        return 0.0
    return p.scores[len(langs) - 1 - langs[::-1].index(lang)]


def hint_candidates(
    joint: Prediction, question: Prediction, answer: Prediction, cfg: QAFilterConfig
) -> dict[str, float]:
    """The languages a page's hint may give a pair the language rules drop, with their joint
    probability: those fastText gives at least ``min_hint_score`` on question + answer and at
    least ``min_agree_score`` on each side, among the top ``lang_agree_k``. Empty when hints
    are off."""
    if not cfg.language_hints:
        return {}
    k = cfg.lang_agree_k
    return {
        lang: score
        for lang, score in zip(joint.langs[:k], joint.scores[:k], strict=True)
        if score >= cfg.min_hint_score
        and all(_score_of(side, lang, k) >= cfg.min_agree_score for side in (question, answer))
    }


def hinted_language(
    candidates: dict[str, float], hints: tuple[str, ...]
) -> tuple[str, float] | None:
    """The first of a page's ``hints`` (declared, then URL language) among a dropped pair's
    ``candidates`` (:func:`hint_candidates`), with its joint probability; else None."""
    for lang in hints:
        if lang in candidates:
            return lang, candidates[lang]
    return None
