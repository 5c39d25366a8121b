"""Write WARC files with FAQ pages in JSON-LD, microdata and RDFa (sample, tests, benchmarks).

The records follow WARC/1.0 as Common Crawl writes it: a ``warcinfo`` record,
then request/response pairs, each record its own gzip member.
"""

from __future__ import annotations

import gzip
import html
import json
import random
import uuid
from collections.abc import Iterable
from pathlib import Path

Pair = tuple[str, str]


def http_response(
    body: bytes,
    content_type: str | None = "text/html; charset=utf-8",
    status: str = "200 OK",
    headers: dict[str, str] | None = None,
) -> bytes:
    """An HTTP/1.1 response message as stored in a WARC response record."""
    lines = [f"HTTP/1.1 {status}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    for key, value in (headers or {}).items():
        lines.append(f"{key}: {value}")
    if not headers or "Transfer-Encoding" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(body: bytes, size: int = 100) -> bytes:
    """``body`` in HTTP chunked transfer encoding."""
    parts = [
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\n\r\n"


def warc_record(url: str, payload: bytes, record_type: str = "response", seed: str = "") -> bytes:
    """One WARC/1.0 record (``response``, ``request``, ``revisit``, ``warcinfo`` ...)."""
    rid = uuid.uuid5(uuid.NAMESPACE_URL, f"{record_type}:{url}:{seed}")
    msgtype = "request" if record_type == "request" else "response"
    kind = (
        "application/warc-fields"
        if record_type == "warcinfo"
        else f"application/http; msgtype={msgtype}"
    )
    head = [
        "WARC/1.0",
        f"WARC-Type: {record_type}",
        "WARC-Date: 2024-10-05T12:00:00Z",
        f"WARC-Record-ID: <urn:uuid:{rid}>",
        f"Content-Length: {len(payload)}",
        f"Content-Type: {kind}",
    ]
    if record_type != "warcinfo":
        head.insert(2, f"WARC-Target-URI: {url}")
    if record_type == "revisit":
        head.append(
            "WARC-Profile: http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"
        )
    return ("\r\n".join(head) + "\r\n\r\n").encode("utf-8") + payload + b"\r\n\r\n"


def request_record(url: str) -> bytes:
    """The request record Common Crawl writes before each response."""
    host = url.split("/")[2]
    return warc_record(url, f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(), "request")


def write_warc(path: Path, records: Iterable[bytes], gz: bool = True) -> Path:
    """Write records to ``path`` (one gzip member per record when ``gz``)."""
    info = warc_record(
        "", b"software: mkdata warc_gen\r\nformat: WARC File Format 1.0\r\n", "warcinfo"
    )
    with open(path, "wb") as fh:
        for record in (info, *records):
            fh.write(gzip.compress(record, mtime=0) if gz else record)
    return path


# ---------------------------------------------------------------- pages


def _page(body: str, head: str = "", title: str = "FAQ", lang: str = "en") -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"{head}</head>\n<body><header><nav><a href='/'>Home</a></nav></header>\n{body}\n"
        "<footer><p>&copy; Example</p></footer></body></html>\n"
    )


def jsonld_block(pairs: list[Pair], context: str = "https://schema.org") -> dict:
    """The usual FAQPage JSON-LD object for ``pairs`` (answers keep their HTML)."""
    return {
        "@context": context,
        "@type": "FAQPage",
        "mainEntity": [
            {"@type": "Question", "name": q, "acceptedAnswer": {"@type": "Answer", "text": a}}
            for q, a in pairs
        ],
    }


def jsonld_page(pairs: list[Pair], lang: str = "en", raw: str | None = None) -> str:
    """A page carrying ``pairs`` as one JSON-LD script (``raw`` replaces the script body)."""
    body = raw if raw is not None else json.dumps(jsonld_block(pairs), ensure_ascii=False, indent=1)
    script = f'<script type="application/ld+json">{body}</script>'
    visible = "".join(f"<h3>{q}</h3><div>{a}</div>" for q, a in pairs)
    return _page(f"<main><h1>FAQ</h1>{visible}</main>", head=script, lang=lang)


def microdata_page(pairs: list[Pair], lang: str = "en", scheme: str = "https") -> str:
    """A page carrying ``pairs`` as schema.org microdata."""
    items = "".join(
        f'<div itemscope itemprop="mainEntity" itemtype="{scheme}://schema.org/Question">'
        f'<h3 itemprop="name">{q}</h3>'
        f'<div itemscope itemprop="acceptedAnswer" itemtype="{scheme}://schema.org/Answer">'
        f'<div itemprop="text">{a}</div></div></div>'
        for q, a in pairs
    )
    return _page(
        f'<main itemscope itemtype="{scheme}://schema.org/FAQPage"><h1>FAQ</h1>{items}</main>',
        lang=lang,
    )


def rdfa_page(pairs: list[Pair], lang: str = "en") -> str:
    """A page carrying ``pairs`` as schema.org RDFa (vocab/typeof/property)."""
    items = "".join(
        '<div property="mainEntity" typeof="Question">'
        f'<h3 property="name">{q}</h3>'
        '<div property="acceptedAnswer" typeof="Answer">'
        f'<div property="text">{a}</div></div></div>'
        for q, a in pairs
    )
    return _page(
        f'<main vocab="https://schema.org/" typeof="FAQPage"><h1>FAQ</h1>{items}</main>', lang=lang
    )


_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "this",
    "that",
    "are",
    "was",
    "be",
    "or",
    "an",
    "it",
    "not",
    "product",
    "price",
    "order",
    "service",
    "support",
    "account",
    "news",
    "blog",
    "article",
    "page",
    "home",
    "contact",
    "about",
    "team",
    "shipping",
    "return",
    "policy",
    "privacy",
    "terms",
    "cookie",
    "search",
    "menu",
    "category",
]


def plain_page(rng: random.Random, paragraphs: int = 20) -> str:
    """A page without FAQ markup (most of a crawl): navigation, paragraphs, a script."""
    paras = "".join(
        "<p>" + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(30, 90))) + ".</p>"
        for _ in range(paragraphs)
    )
    head = '<script>window.dataLayer=window.dataLayer||[];</script><link rel="stylesheet" href="/s.css">'
    return _page(f"<main><article>{paras}</article></main>", head=head, title="Article")
