"""Sources: local files, directories, globs and http(s) URLs; downloads with retries and resume."""

from __future__ import annotations

import contextlib
import glob
import gzip
import hashlib
import os
import queue
import random
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import requests

CACHE_ENV = "MKDATA_CACHE_DIR"
USER_AGENT = "mkdata (+https://github.com/mkdata)"
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
T = TypeVar("T")


class FetchError(RuntimeError):
    """A source could not be fetched (after retries where retrying makes sense)."""


def is_url(spec: str) -> bool:
    """True when ``spec`` is an http(s) URL."""
    return spec.startswith(("http://", "https://"))


def default_cache_dir() -> Path:
    """Return the download cache ($MKDATA_CACHE_DIR, else ~/.cache/mkdata)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "mkdata")


def expand_sources(specs: list[str]) -> list[str]:
    """Expand files, directories (their visible files, recursively) and globs; keep URLs.

    Returns a de-duplicated list in the order given (sorted within a directory or glob).
    Raises FileNotFoundError naming the first spec that matches nothing.
    """
    out: list[str] = []
    for spec in specs:
        if is_url(spec):
            out.append(spec)
            continue
        path = Path(spec).expanduser()
        if path.is_dir():
            found = sorted(
                str(p)
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            found = [str(path)]
        else:
            found = sorted(p for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
        if not found:
            raise FileNotFoundError(f"source not found or empty: {spec}")
        out.extend(found)
    return list(dict.fromkeys(out))


def source_identity(spec: str) -> str:
    """Return a string that changes when the source's content may have changed."""
    if is_url(spec):
        return spec
    st = Path(spec).stat()
    return f"{Path(spec).resolve()}|{st.st_size}|{st.st_mtime_ns}"


@dataclass
class HttpClient:
    """Small HTTP client: retries with exponential backoff and jitter, honours Retry-After."""

    retries: int = 5
    backoff: float = 0.5
    timeout: float = 60.0
    chunk_size: int = 1 << 16

    def _sleep(self, attempt: int, response: requests.Response | None) -> None:
        delay = self.backoff * (2**attempt) * (0.5 + random.random())
        if response is not None:
            retry_after = response.headers.get("Retry-After", "")
            if retry_after.isdigit():
                delay = max(delay, float(retry_after))
        time.sleep(min(delay, 60.0))

    def get_text(self, url: str) -> str:
        """GET ``url`` and return its body as text; raises FetchError when it cannot."""
        return self._get(url).text

    def get_bytes(self, url: str) -> bytes:
        """GET ``url`` and return its body bytes; raises FetchError when it cannot."""
        return self._get(url).content

    def _get(self, url: str) -> requests.Response:
        import requests  # only when something is fetched (0.15 s to import)

        last = ""
        for attempt in range(self.retries + 1):
            resp = None
            try:
                resp = requests.get(url, timeout=self.timeout, headers={"User-Agent": USER_AGENT})
                if resp.status_code == 200:
                    return resp
                last = f"HTTP {resp.status_code}"
                if resp.status_code not in RETRY_STATUS:
                    break
            except requests.RequestException as exc:
                last = f"{type(exc).__name__}: {exc}"
            if attempt < self.retries:
                self._sleep(attempt, resp)
        raise FetchError(f"{url}: {last}")

    def download(self, url: str, dest: Path) -> Path:
        """Download ``url`` to ``dest``, resuming a partial ``dest.part`` with Range requests.

        Returns ``dest``. The size is checked against the server's total when it gives one.
        Raises FetchError on 4xx (other than 408/425/429) or when retries run out.
        """
        import requests

        if dest.exists():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        last = ""
        for attempt in range(self.retries + 1):
            have = part.stat().st_size if part.exists() else 0
            headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
            if have:
                headers["Range"] = f"bytes={have}-"
            resp = None
            try:
                resp = requests.get(url, headers=headers, stream=True, timeout=self.timeout)
                with resp:
                    total = self._expected_total(resp, have)
                    if resp.status_code == 416 and have:
                        pass  # complete locally: nothing past our offset (total == have)
                    elif resp.status_code in (200, 206):
                        mode = "ab" if resp.status_code == 206 else "wb"
                        with open(part, mode) as fh:
                            for chunk in resp.iter_content(self.chunk_size):
                                fh.write(chunk)
                    else:
                        last = f"HTTP {resp.status_code}"
                        if resp.status_code not in RETRY_STATUS:
                            break
                        raise _Retry()
                size = part.stat().st_size if part.exists() else 0
                if total is not None and size != total:
                    last = f"incomplete download: {size} of {total} bytes"
                    raise _Retry()
                os.replace(part, dest)
                return dest
            except _Retry:
                pass
            except (requests.RequestException, OSError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            if attempt < self.retries:
                self._sleep(attempt, resp)
        raise FetchError(f"{url}: {last}")

    @staticmethod
    def _expected_total(resp: requests.Response, have: int) -> int | None:
        if resp.status_code == 206:
            rng = resp.headers.get("Content-Range", "")
            total = rng.rpartition("/")[2]
            return int(total) if total.isdigit() else None
        if resp.status_code == 416:
            return have
        length = resp.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else None


class _Retry(Exception):
    pass


def cached_download(
    url: str, cache_dir: Path | None = None, client: HttpClient | None = None
) -> Path:
    """Return a local path holding the content of ``url``, downloading it into the cache once."""
    cache_dir = cache_dir or default_cache_dir()
    key = hashlib.sha1(url.encode()).hexdigest()[:16]
    name = Path(urlsplit(url).path).name or "download"
    return (client or HttpClient()).download(url, cache_dir / "downloads" / key / name)


def local_path(spec: str, cache_dir: Path | None = None, client: HttpClient | None = None) -> Path:
    """Return a local path for a file spec or URL (downloading URLs into the cache)."""
    return cached_download(spec, cache_dir, client) if is_url(spec) else Path(spec)


class CorruptInput(Exception):
    """The input ended early or could not be decompressed."""


def gunzip_if_gzipped(data: bytes) -> bytes:
    """Return ``data`` gunzipped when it starts with the gzip magic, else unchanged."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise CorruptInput(f"corrupt gzip data: {exc}") from None


VECTOR_STATE_VERSION = 1  # of _vector_state.c: a stale build is not used


def _gzip_codec() -> tuple[Any, Callable[[], None]]:
    """The module whose ``decompressobj`` and ``error`` gunzip a stream, and what to call
    after each of its decompress calls: isal's, each call followed by
    ``_vector_state.zero_upper`` (isal's inflate leaves the vector registers' upper halves in
    use, which slows every later SSE instruction of the thread: see ``_vector_state.c``);
    where that module was not built, is stale, or was built by a compiler that cannot emit
    VZEROUPPER, the standard library's zlib, which needs nothing."""
    try:
        from mkdata.core import _vector_state
    except ImportError:
        _vector_state = None
    if (
        _vector_state is None
        or getattr(_vector_state, "VERSION", None) != VECTOR_STATE_VERSION
        or not getattr(_vector_state, "CLEARS", 0)
    ):
        return zlib, lambda: None
    from isal import isal_zlib

    return isal_zlib, _vector_state.zero_upper


# gzip output per decompress call: a small file that inflates to gigabytes (a gzip bomb) is
# yielded in pieces of this size, never held whole
OUT_BYTES = 32 << 20


def iter_decompressed(path: Path, chunk_bytes: int = 1 << 20) -> Iterator[bytes]:
    """Yield the bytes of ``path``, gunzipped when it starts with the gzip magic: pieces of
    at most ``chunk_bytes`` read, ``OUT_BYTES`` gunzipped.

    Handles multi-member gzip. Everything that decompresses cleanly is yielded
    before CorruptInput is raised for a truncated or corrupt stream. An empty file,
    and a file named ``.gz`` that is not gzip, raise CorruptInput at once.
    """
    codec, after_call = _gzip_codec()
    with open(path, "rb") as fh:
        first = fh.read(chunk_bytes)
        if not first:
            raise CorruptInput("empty file (0 bytes)")
        if first[:2] != b"\x1f\x8b" and Path(path).name.lower().endswith((".gz", ".gzip")):
            raise CorruptInput("not gzip data, though its name ends in .gz")
        if first[:2] != b"\x1f\x8b":
            while first:
                yield first
                first = fh.read(chunk_bytes)
            return
        dec = codec.decompressobj(wbits=31)
        in_member = False
        pending, offset = first, 0
        while pending or (pending := fh.read(chunk_bytes)):
            if not in_member:
                stripped = pending.lstrip(b"\x00")  # zero padding between/after members
                offset += len(pending) - len(stripped)
                pending = stripped
                if not pending:
                    continue
            in_member = True
            while True:  # until this input is used up, or its member ends
                try:
                    out = dec.decompress(pending, OUT_BYTES)
                except codec.error as exc:
                    raise CorruptInput(f"corrupt gzip data near byte {offset}: {exc}") from None
                finally:
                    after_call()
                # what this call used: at a member's end, zlib may keep its input's rest in
                # both unused_data and unconsumed_tail; the rest is the next member's
                left = dec.unused_data if dec.eof else dec.unconsumed_tail
                offset += len(pending) - len(left)
                pending = left
                if out:
                    yield out
                if dec.eof or len(out) < OUT_BYTES:  # else the piece was full: more may wait
                    break
            if dec.eof:
                dec = codec.decompressobj(wbits=31)
                in_member = False
        if in_member:
            raise CorruptInput(f"truncated gzip: stream ends after {offset} compressed bytes")


_ITEM, _END, _ERROR = range(3)


def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield what ``items`` yields, in order, while a thread produces what comes next (up to
    ``depth`` items waiting, and one in the making): a reader whose work releases the GIL
    (inflating gzip: isal and zlib do) then overlaps the caller's work. What ``items``
    raises is raised here, after the items before it. Once this generator has started and is
    closed (the caller stops early, or fails), the thread stops after the item in hand,
    ``items`` is closed, and the thread has ended when ``close`` returns: ``close`` waits
    for the item in hand, as a caller reading ``items`` itself would have."""
    pipe: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand(kind: int, value: Any) -> bool:
        while not stop.is_set():
            try:
                pipe.put((kind, value), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand(_ITEM, item):
                    return
            hand(_END, None)
        except BaseException as exc:  # handed on, raised in the caller's thread
            hand(_ERROR, exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="mkdata-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            try:  # with a timeout: Ctrl-C is not held up by a slow item
                kind, value = pipe.get(timeout=0.1)
            except queue.Empty:
                if not thread.is_alive() and pipe.empty():
                    raise RuntimeError("the read-ahead thread ended without a word") from None
                continue
            if kind == _ITEM:
                yield value
            elif kind == _END:
                return
            else:
                raise value
    finally:
        stop.set()  # the thread sees it within 0.05 s of its next hand-over
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                pipe.get_nowait()  # what it handed over and no one will take: let it go
            thread.join(0.01)
