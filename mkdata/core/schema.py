"""Arrow schemas of the canonical records and the helpers that fill their key columns.

Column names are part of the public interface (see README, "Output schema").
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from urllib.parse import urlsplit

import pyarrow as pa

QA_PAIR = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("origin", pa.string()),
        pa.field("url", pa.string()),
        pa.field("language", pa.string(), nullable=False),
        pa.field("language_score", pa.float32()),
        pa.field("question", pa.string(), nullable=False),
        pa.field("answer", pa.string(), nullable=False),
        pa.field("source", pa.string()),
        # the page's context, "" when the page has none
        pa.field("title", pa.string()),
        pa.field("description", pa.string()),
        pa.field("page_language", pa.string()),
    ]
)

QA_PAIR_COLUMNS: tuple[str, ...] = tuple(QA_PAIR.names)

FAQ_PAGE = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("language", pa.string(), nullable=False),
        pa.field("num_pairs", pa.int32(), nullable=False),
        pa.field("domain", pa.string()),
        pa.field("url", pa.string()),
        pa.field("source", pa.string()),
        pa.field("title", pa.string()),
        pa.field("description", pa.string()),
        pa.field("page_language", pa.string()),
        pa.field(
            "qa_pairs",
            pa.list_(
                pa.struct(
                    [
                        pa.field("question", pa.string()),
                        pa.field("answer", pa.string()),
                        pa.field("language", pa.string()),
                    ]
                )
            ),
            nullable=False,
        ),
    ]
)


def stable_id(*parts: str) -> str:
    """Return a 32-hex-digit id that depends only on ``parts`` (blake2b-128 of their join)."""
    h = hashlib.blake2b(digest_size=16)
    h.update("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


@lru_cache(maxsize=16_384)  # the rows of one page share its URL
def origin_of(url: str) -> str:
    """Return ``scheme://host`` of ``url`` (lower-cased, no port or credentials), or ``""``."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return ""
    if not parts.scheme or not host:
        return ""
    return f"{parts.scheme.lower()}://{host.lower()}"


def seeded_rank(seed: int, key: str) -> int:
    """A 64-bit rank of ``key`` under ``seed`` (blake2b): sorting by it gives a seeded sample
    that stays the same on every run."""
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")
