"""Regenerate mkdata/builders/samples/mfaq-sample.warc.gz (deterministic).

Ten languages of hand-written FAQs spread over JSON-LD, microdata and RDFa pages,
in UTF-8, windows-1251, Shift_JIS and ISO-8859-2, among pages without FAQ markup,
a 404, a revisit, a PDF, a chunked and a gzip-encoded response.

Usage: python scripts/make_mfaq_sample.py
"""

from __future__ import annotations

import gzip
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from faq_content import FAQ
from make_webfaq_sample import ISO1
from warc_gen import (
    chunked,
    http_response,
    jsonld_page,
    microdata_page,
    plain_page,
    rdfa_page,
    request_record,
    warc_record,
    write_warc,
)

OUT = Path(__file__).parent.parent / "mkdata" / "builders" / "samples" / "mfaq-sample.warc.gz"
UTF8_META = '<meta charset="utf-8">'


def response(url: str, page: str, charset: str = "utf-8", **kw) -> list[bytes]:
    body = page.encode(charset)
    return [request_record(url), warc_record(url, http_response(body, **kw))]


def main() -> None:
    rng = random.Random(20241005)
    records: list[bytes] = []
    for n, (lang, (site, qas)) in enumerate(FAQ.items()):
        iso1 = ISO1[lang]
        first, second = qas[:6], qas[6:]
        url = f"https://{site}/faq"
        page = jsonld_page(first, iso1)
        if lang == "deu":  # the same FAQ published twice: JSON-LD and microdata
            page = page.replace("<main>", microdata_page(first, iso1).split("<body>")[1])
        if lang == "fra":  # gzip Content-Encoding
            body = gzip.compress(page.encode(), mtime=0)
            records += [
                request_record(url),
                warc_record(url, http_response(body, headers={"Content-Encoding": "gzip"})),
            ]
        elif lang == "spa":  # chunked transfer encoding
            body = chunked(page.encode())
            records += [
                request_record(url),
                warc_record(url, http_response(body, headers={"Transfer-Encoding": "chunked"})),
            ]
        else:
            records += response(url, page)
        url2 = f"https://{site}/help/questions"
        page2 = (microdata_page if n % 2 else rdfa_page)(second, iso1)
        if lang == "rus":  # charset only in the HTTP header
            records += response(
                url2,
                page2.replace(UTF8_META, ""),
                "cp1251",
                content_type="text/html; charset=windows-1251",
            )
        elif lang == "jpn":  # charset only in the meta tag
            page2 = page2.replace(
                UTF8_META, '<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
            )
            records += response(url2, page2, "cp932", content_type="text/html")
        elif lang == "pol":
            records += response(
                url2,
                page2.replace(UTF8_META, ""),
                "iso-8859-2",
                content_type="text/html; charset=iso-8859-2",
            )
        else:
            records += response(url2, page2)
        for i in range(6):
            records += response(f"https://{site}/blog/{i}", plain_page(rng))
    records += [
        warc_record(
            "https://shop.example.co.uk/old", http_response(b"gone", status="404 Not Found")
        ),
        warc_record("https://shop.example.co.uk/faq", b"HTTP/1.1 200 OK\r\n\r\n", "revisit"),
        warc_record(
            "https://shop.example.co.uk/a.pdf",
            http_response(b"%PDF-1.4 FAQPage", "application/pdf"),
        ),
    ]
    write_warc(OUT, records)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(records)} records)")


if __name__ == "__main__":
    main()
