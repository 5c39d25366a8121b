"""Stream the HTML responses of a WARC file (fastwarc): status 200, HTML, bodies decoded.

The file is decompressed by :func:`mkdata.core.fetch.iter_decompressed`, so a truncated
or corrupt ``.warc.gz`` yields every record before the damage and then raises
CorruptInput. HTTP chunked transfer encoding is undone by fastwarc; Content-Encoding
(gzip, deflate, br) here, so that one bad body never stops the file.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fastwarc.warc import ArchiveIterator, WarcRecordType

from mkdata.builders.warc_framing import FramingCheck
from mkdata.core.fetch import CorruptInput, iter_decompressed
from mkdata.core.report import Report

HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_MAX_PAGE_BYTES = 16 << 20
_RECORD_TYPES = WarcRecordType.any_type


@dataclass
class HtmlResponse:
    """One HTML page from a WARC: target URL, decoded body bytes, header charset."""

    url: str
    body: bytes
    charset: str | None
    record: int  # 1-based position among the file's records, for error messages


class _ChunkStream:
    """A read()-able view of a chunk iterator; a decompression error ends the stream early."""

    def __init__(self, chunks: Iterator[bytes], framing: FramingCheck) -> None:
        self._chunks = chunks
        self._buf = memoryview(b"")
        self._pos = 0
        self.error: CorruptInput | None = None
        self.framing = framing

    def read(self, size: int = -1) -> bytes:
        parts = []
        want = size if size >= 0 else 1 << 62
        while want > 0:
            if not self._buf:
                try:
                    self._buf = memoryview(next(self._chunks))
                except StopIteration:
                    self.framing.finish()
                    break
                except CorruptInput as exc:
                    self.error = exc
                    self.framing.finish()
                    break
                self.framing.feed(bytes(self._buf))
            take = self._buf[:want]
            parts.append(bytes(take))
            self._buf = self._buf[len(take) :]
            want -= len(take)
        out = b"".join(parts)
        self._pos += len(out)
        return out

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        pass


def _content_decode(body: bytes, encoding: str) -> bytes | None:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity", "none", "utf-8", "binary"):
        return body
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompressobj(wbits=47).decompress(body)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, wbits=-15)
        if encoding == "br":
            import brotli

            return brotli.decompress(body)
    except Exception:
        return None
    return None


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")) or b"<html" in head


def iter_html_responses(
    path: Path,
    report: Report,
    where: str,
    max_page_bytes: int = DEFAULT_MAX_PAGE_BYTES,
) -> Iterator[HtmlResponse]:
    """Yield the HTML ``response`` records of status 200 in the WARC at ``path``.

    Every record skipped is counted in ``report.counts`` (``warc_revisit``,
    ``http_status_404``, ``not_html``, ``page_too_large``, ``warc_bad_framing``...). A page
    is yielded only once its record's framing is verified (:mod:`warc_framing`), so a
    record whose ``Content-Length`` is wrong, or that the file cuts short, never gives
    pairs. Raises CorruptInput after the last good record when the file is truncated,
    corrupt or has records with bad framing.
    """
    framing = FramingCheck()
    stream = _ChunkStream(iter_decompressed(path), framing)
    held: list[HtmlResponse] = []  # pages whose framing is not verified yet
    lost = 0

    def release(final: bool) -> Iterator[HtmlResponse]:
        nonlocal lost
        while held:
            verdict = framing.verdict(held[0].record)
            if verdict is None and not final:
                return
            page = held.pop(0)
            if verdict == "ok":
                yield page
                continue
            lost += 1
            reason = verdict or "its framing could not be verified"
            report.counts["warc_bad_framing"] += 1
            report.problem("warc_bad_framing", f"{where}: record {page.record}", reason)

    n = 0
    error: str | None = None
    try:
        for page in _responses(stream, report, where, max_page_bytes):
            n = page.record
            held.append(page)
            yield from release(final=False)
    except CorruptInput as exc:
        error = str(exc)
    framing.finish()
    yield from release(final=True)
    bad = sorted(framing.bad)
    if error is None and stream.error is not None:
        error = f"after record {n}: {stream.error}"
    if error is None and bad:
        first = bad[0]
        error = f"record {first}: {framing.bad[first]} ({len(bad)} records with bad framing)"
    if error is not None:
        raise CorruptInput(error)


def _responses(
    stream: _ChunkStream, report: Report, where: str, max_page_bytes: int
) -> Iterator[HtmlResponse]:
    counts = report.counts
    n = 0
    try:
        records = ArchiveIterator(
            stream,
            record_types=_RECORD_TYPES,
            auto_decode="transfer",
            stream_detect=False,
        )
        for record in records:
            n += 1
            counts["warc_records"] += 1
            if record.record_type != WarcRecordType.response:
                counts[f"warc_{record.record_type}"] += 1
                continue
            http = record.http_headers
            status = http.status_code if record.is_http else None
            if status != 200:
                counts[f"http_status_{status or 'missing'}"] += 1
                continue
            body = record.reader.read(max_page_bytes + 1)
            if len(body) > max_page_bytes:
                counts["page_too_large"] += 1
                report.problem(
                    "page_too_large", f"{where}: record {n}", f"over {max_page_bytes} bytes"
                )
                continue
            encoding = http.get("Content-Encoding")
            if encoding:
                decoded = _content_decode(body, encoding)
                if decoded is None and not _looks_like_html(body):
                    counts["content_decoding_failed"] += 1
                    report.problem(
                        "content_decoding_failed", f"{where}: record {n}", f"bad {encoding} body"
                    )
                    continue
                body = decoded if decoded is not None else body
            content_type = (record.http_content_type or "").lower()
            if content_type not in HTML_TYPES and not (not content_type and _looks_like_html(body)):
                counts["not_html"] += 1
                continue
            counts["html_responses"] += 1
            url = record.headers.get("WARC-Target-URI") or ""
            yield HtmlResponse(url.strip("<>"), body, record.http_charset, n)
    except OSError as exc:  # fastwarc: not a WARC / malformed header
        raise CorruptInput(f"invalid WARC after record {n}: {exc}") from None
    if n == 0 and stream.error is None:
        raise CorruptInput("no WARC records found (empty or not a WARC file)")
