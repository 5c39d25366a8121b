"""A real HTTP server on 127.0.0.1 for tests: static files with Range support and fault modes."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class FileServer:
    """Serve ``root`` on 127.0.0.1. ``faults[path]`` lists actions for successive requests:
    ``"drop"`` (send half the body then close), ``404``, ``500``, or ``(status, retry_after)``
    (e.g. ``("429", "2")``: that status with a Retry-After header); then normal serving.
    ``requests`` records (path, Range header) of every request, ``timed`` the same with the
    time it arrived."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.faults: dict[str, list] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.timed: list[tuple[str, str | None, float]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                rng = self.headers.get("Range")
                server.requests.append((self.path, rng))
                server.timed.append((self.path, rng, time.monotonic()))
                queue = server.faults.get(self.path) or []
                action = queue.pop(0) if queue else None
                if action in (404, 500):
                    self.send_error(action)
                    return
                if isinstance(action, tuple):
                    status, retry_after = action
                    self.send_response(int(status))
                    if retry_after is not None:
                        self.send_header("Retry-After", retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path = server.root / self.path.lstrip("/")
                if path.is_dir():
                    names = "".join(
                        f'<a href="{p.name}">{p.name}</a>\n' for p in sorted(path.iterdir())
                    )
                    body = f"<html><body>{names}</body></html>".encode()
                    self._send(200, body, len(body))
                    return
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start = 0
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                body = data[start:]
                status = 206 if start else 200
                extra = (
                    {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"} if start else {}
                )
                if action == "drop":
                    self._send(status, body[: len(body) // 2], len(body), extra)
                    self.close_connection = True
                    return
                self._send(status, body, len(body), extra)

            def _send(self, status, body, length, extra=None) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(length))
                self.send_header("Accept-Ranges", "bytes")
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
