"""LLM servers for tests, on 127.0.0.1: a real `vllm serve` of SmolLM2 (CPU), and a fault
server that answers chat completions with 429, 500, slow and malformed responses before
answering properly (to test retries; its answers are canned, not a model's)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VLLMServer:
    """`python -m vllm.entrypoints.openai.api_server` for ``model`` on a free port."""

    def __init__(self, model: Path, log: Path) -> None:
        self.model = model
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log = log

    def __enter__(self) -> VLLMServer:
        env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(self.model),
             "--host", "127.0.0.1", "--port", str(self.port), "--max-model-len", "2048",
             "--dtype", "bfloat16", "--enforce-eager", "--seed", "0", "--no-enable-chunked-prefill"],
            stdout=open(self.log, "wb"), stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vllm serve exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2)
                return self
            except OSError:
                time.sleep(1)
        self.proc.kill()
        raise RuntimeError("vllm serve did not start in 300 s")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class FaultServer:
    """Chat completions: ``script`` lists behaviours for successive requests ("429", "500",
    "401", "echo500" (a 500 whose body echoes the Authorization header), "slow",
    "malformed", "ok"); after it runs out every request is answered "ok". ``bodies`` keeps
    every request body, ``requests`` its path and headers; ``answer`` (when set) replaces the query of "ok" answers, and
    ``reply`` (when set) is called with the request body and its return value is the whole
    answer content. "ok" answers carry token log-probabilities when the request asks."""

    def __init__(self, script: list[str], slow_seconds: float = 3.0) -> None:
        self.script = list(script)
        self.seen: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.answer: str | Callable[[str], str] | None = None
        self.reply: Callable[[dict[str, Any]], str] | None = None
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with server.lock:
                    action = server.script.pop(0) if server.script else "ok"
                    server.seen.append(action)
                    server.bodies.append(body)
                    server.requests.append((self.path, dict(self.headers.items())))
                if action in ("429", "500", "401", "echo500"):
                    auth = self.headers.get("Authorization", "")
                    message = (
                        f"{action}: rejected {auth}" if action in ("401", "echo500") else action
                    )
                    payload = json.dumps({"error": {"message": message}}).encode()
                    self.send_response(500 if action == "echo500" else int(action))
                    if action == "429":
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if action == "slow":
                    time.sleep(slow_seconds)
                if action == "malformed":
                    payload = b'{"id": "x", "choices": [{"message": '
                elif server.reply is not None:
                    payload = _ok(body, server.reply(body))
                else:
                    passage = (
                        body["messages"][-1]["content"]
                        .rsplit("Passage: ", 1)[-1]
                        .split("\n")[0]
                        .removeprefix("<passage>")
                        .removesuffix("</passage>")
                    )
                    words = passage.split()
                    answer = {
                        "summary": " ".join(words[:8]),
                        "query": (
                            server.answer(passage)
                            if callable(server.answer)
                            else server.answer or f"frage zu {words[1].lower()} {len(server.seen)}"
                        ),
                    }
                    payload = _ok(body, json.dumps(answer))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FaultServer:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def stored_answers(store: Path) -> int:
    """Answers an LLM command has stored in ``store`` (OUT/.mkdata/generations) so far."""
    return (
        sum(len(f.read_text().splitlines()) for f in store.glob("*.jsonl")) if store.exists() else 0
    )


def kill_after_stored(args: list[str], store: Path, at_least: int, timeout: float = 120) -> int:
    """Run ``args`` (a command line), SIGKILL it once ``store`` holds ``at_least`` answers,
    and return how many it had stored by then."""
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while time.time() < deadline and stored_answers(store) < at_least:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return stored_answers(store)


def _ok(body: dict[str, Any], content: str) -> bytes:
    """A chat completion answering ``content`` (with log-probabilities when asked)."""
    choice: dict[str, Any] = {
        "index": 0,
        "finish_reason": "stop",
        "message": {"role": "assistant", "content": content},
    }
    if body.get("logprobs"):
        choice["logprobs"] = {"content": [
            {"token": content, "logprob": -0.25, "bytes": None, "top_logprobs": []},
            {"token": "", "logprob": -0.05, "bytes": None, "top_logprobs": []},
        ]}  # fmt: skip
    return json.dumps({
        "id": "c", "object": "chat.completion", "created": 0, "model": body["model"],
        "choices": [choice],
        "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
    }).encode()  # fmt: skip


if __name__ == "__main__":  # a fault server in its own process: prints its URL, serves until killed
    with FaultServer([]) as srv:
        print(srv.url, flush=True)
        threading.Event().wait()
