"""The comparison form of a text (for dedup and for matching texts across commands), and its
exact-match hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

_PUNCT = re.compile(r"[^\w\s]+", re.UNICODE)
# the ASCII characters _PUNCT replaces, each mapped to a space: on ASCII text, followed by
# the whitespace collapse, the same result as _PUNCT.sub(" ", ...) (runs become one space)
_ASCII_PUNCT = str.maketrans({c: " " for c in map(chr, range(128)) if _PUNCT.fullmatch(c)})
_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(text: str) -> str:
    """``text`` with each UTF-16 surrogate that escapes left unpaired (``\\ud800`` in JSON or
    N-Triples) replaced by U+FFFD, and each escaped pair joined: a string UTF-8 (Arrow,
    fastText) can hold. The same string when it has none."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@dataclass(frozen=True)
class NormConfig:
    """How texts are normalized before hashing: case, whitespace, punctuation, Unicode form."""

    lowercase: bool = True
    collapse_whitespace: bool = True
    strip_punctuation: bool = True
    unicode_form: str | None = "NFKC"  # NFC, NFKC, NFD, NFKD or None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize(text: str, cfg: NormConfig = NormConfig()) -> str:
    """Return ``text`` in its comparison form under ``cfg``."""
    if cfg.unicode_form:
        text = unicodedata.normalize(cfg.unicode_form, text)
    if cfg.lowercase:
        text = text.casefold()
    if cfg.strip_punctuation:
        if cfg.collapse_whitespace and text.isascii():
            text = text.translate(_ASCII_PUNCT)
        else:
            text = _PUNCT.sub(" ", text)
    if cfg.collapse_whitespace:
        text = " ".join(text.split())
    return text


def exact_hash(normalized: str) -> int:
    """A 64-bit hash (as a signed int, for Arrow int64) of normalized text."""
    digest = hashlib.blake2b(normalized.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)
