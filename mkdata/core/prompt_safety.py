"""Web text placed in a prompt as data: chat-template control tokens removed, and the
block's delimiter defused so the text cannot close its block and speak as instructions."""

from __future__ import annotations

import re
from functools import lru_cache

# chat-template control tokens of common model families: page text must not open a turn
_CONTROL_TOKENS = re.compile(
    r"<\|[A-Za-z0-9_ .:-]{1,40}\|>"  # ChatML, Llama 3, Phi: <|im_start|>, <|eot_id|>
    r"|<[｜|][^<>\n]{1,40}[｜|]>"  # DeepSeek's full-width <｜User｜>, <｜Assistant｜>
    r"|<(?:start|end)_of_turn>"  # Gemma
    r"|\[/?INST\]|<</?SYS>>|</?s>|<\|?(?:system|user|assistant)\|?>",  # Llama 2, generic
    re.IGNORECASE,
)


@lru_cache(maxsize=16)
def _delimiter(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<\s*/?\s*{re.escape(tag)}\s*>", re.IGNORECASE)


def as_data(text: str, tag: str = "passage") -> str:
    """``text`` made safe to place between ``<tag>`` and ``</tag>``: control tokens replaced
    by spaces, and ``<tag>`` / ``</tag>`` in it written with look-alike angle quotes."""
    text = _CONTROL_TOKENS.sub(" ", text)
    return _delimiter(tag).sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)
