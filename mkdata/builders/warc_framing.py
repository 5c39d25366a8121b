"""An independent check of WARC record framing, fed the same decompressed bytes as fastwarc.

fastwarc trusts each record's ``Content-Length``: a length that runs past the record's end
swallows the next record (whose pages would then be read under the wrong URL), and a file
cut mid-record ends silently. This checker follows the framing itself (header block,
``Content-Length`` bytes, then ``\\r\\n\\r\\n``) and also watches each block for an embedded
WARC header. Records are numbered from 1 in file order, as the reader numbers them.
"""

from __future__ import annotations

import re

_END = b"\r\n\r\n"
_START = re.compile(rb"(?:^|\r?\n)(WARC/1\.[01]\r?\n)")
_EMBEDDED = re.compile(rb"\r\n\r\nWARC/1\.[01]\r\nWARC-[A-Za-z-]+: ")
_LENGTH = re.compile(rb"^content-length:\s*(\d+)\s*$", re.I | re.M)
MAX_HEADER = 1 << 20
TAIL = 64


class FramingCheck:
    """Feed it the decompressed stream with :meth:`feed`, then :meth:`finish` at its end;
    :meth:`verdict` says whether record ``n`` was framed correctly (None while unknown)."""

    def __init__(self) -> None:
        self.record = 0  # the record being read
        self.good = 0  # records 1..good whose framing is known to be right
        self.bad: dict[int, str] = {}
        self._state = "header"
        self._buf = b""
        self._left = 0
        self._tail = b""

    def feed(self, data: bytes) -> None:
        """Follow ``data``, the next bytes of the decompressed stream."""
        view = memoryview(data)
        while view:
            if self._state == "body":
                take = min(self._left, len(view))
                chunk = bytes(view[:take])
                window = self._tail + chunk
                if _EMBEDDED.search(window):
                    self.bad.setdefault(self.record, "its block holds another WARC record")
                self._tail = window[-TAIL:]
                self._left -= take
                view = view[take:]
                if self._left == 0:
                    self._state, self._buf = "trailer", b""
                continue
            self._buf += bytes(view)
            view = memoryview(b"")
            self._step()

    def _step(self) -> None:
        while True:
            if self._state == "trailer":
                if len(self._buf) < len(_END):
                    return
                if self._buf.startswith(_END):
                    if self.record not in self.bad:
                        self.good = self.record
                    self._state, self._buf = "header", self._buf[len(_END) :]
                else:
                    self.bad.setdefault(
                        self.record, "its Content-Length does not end at a record boundary"
                    )
                    self._state = "resync"
            elif self._state == "resync":
                m = _START.search(self._buf)
                if m is None:
                    self._buf = self._buf[-TAIL:]
                    return
                self._state, self._buf = "header", self._buf[m.start(1) :]
            elif self._state == "header":
                stripped = self._buf.lstrip(b"\r\n")
                if not stripped:
                    self._buf = b""
                    return
                end = stripped.find(_END)
                if end < 0:
                    if len(stripped) > MAX_HEADER:
                        self._start_record()
                        self.bad[self.record] = "its header never ends"
                        self._state, self._buf = "resync", stripped[-TAIL:]
                    else:
                        self._buf = stripped
                    return
                header, rest = stripped[:end], stripped[end + len(_END) :]
                self._start_record()
                length = _LENGTH.search(header)
                if not header.startswith(b"WARC/") or length is None:
                    self.bad[self.record] = "it has no valid WARC header"
                    self._state, self._buf = "resync", rest
                    continue
                self._left, self._tail = int(length.group(1)), b""
                self._state, self._buf = "body", b""
                if rest:
                    self.feed(rest)
                return
            else:
                return

    def _start_record(self) -> None:
        self.record += 1

    def finish(self) -> None:
        """The stream ended: a record cut short is bad."""
        if self._state in ("body", "trailer") and self.record not in self.bad:
            cut = self._state == "body" or len(self._buf) < len(_END)
            if cut:
                self.bad[self.record] = "the file ends inside it (truncated)"
            else:
                self._step()
        elif self._state == "header" and self._buf.strip():
            self._start_record()
            self.bad[self.record] = "the file ends inside its header (truncated)"
        self._state = "done"

    def verdict(self, n: int) -> str | None:
        """``"ok"``, the reason record ``n`` is bad, or None while it is not known yet."""
        if n in self.bad:
            return self.bad[n]
        if n <= self.good:
            return "ok"
        return None
