"""`mkdata run` stays inside its workdir, checks stages before running them, keeps each
stage's log, and stops its running stage when it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import one_line_error, run_cli

BUILD = """
[[stage]]
name = "build"
command = "build webfaq"
out = "webfaq"
args = { langs = "deu", sample = true, min_rows = 1 }
"""


def pipeline(tmp_path: Path, body: str, workdir: str = "work") -> Path:
    path = tmp_path / "pipe" / "p.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[pipeline]\nworkdir = "{workdir}"\n{body}')
    return path


def listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize(
    ("workdir", "body", "message"),
    [
        ("..", BUILD, "workdir"),
        ("/tmp/elsewhere", BUILD, "workdir"),
        ("work", BUILD.replace('out = "webfaq"', 'out = "../../elsewhere"'), "out"),
        ("work", BUILD.replace('out = "webfaq"', 'out = "/tmp/elsewhere"'), "out"),
        ("work", BUILD.replace('name = "build"', 'name = "../x"'), "stage name"),
        ("work", BUILD + '\n[[stage]]\nname = "c"\ncommand = "card"\ninput = "../.."\n', "card"),
        ("work", BUILD.replace("build webfaq", "build nothing"), "unknown command"),
        ("work", BUILD.replace("min_rows = 1", "min_rowz = 1"), "unknown option --min-rowz"),
        ("work", BUILD.replace('command = "build webfaq"', 'command = "mine"'), "sub-command"),
        (
            "work",
            BUILD + '\n[[stage]]\nname = "inner"\ncommand = "dedup"\ninput = "@build"\n'
            'out = "webfaq/data/inner"\n',
            "writes inside stage 'build'",
        ),
        (
            "work",
            BUILD + '\n[[stage]]\nname = "pub"\ncommand = "push"\ninput = "/tmp"\n'
            'args = { repo = "o/x", dry_run = true }\n'
            '\n[[stage]]\nname = "c"\ncommand = "card"\ninput = "@pub"\n',
            "outside the workdir",
        ),
        (
            "work",
            BUILD + '\n[[stage]]\nname = "ev"\ncommand = "eval retrieval"\ninput = "@build"\n'
            'out = "ev"\n',
            "writes no output directory",
        ),
        (
            "work",
            BUILD + '\n[[stage]]\nname = "ev"\ncommand = "eval bitext"\ninput = "@build"\n'
            'args = { gold = "g.jsonl", json = "../../scores.json" }\n',
            "json",
        ),
    ],
)
def test_escaping_or_invalid_pipelines_are_refused_before_running(
    tmp_path: Path, workdir: str, body: str, message: str
) -> None:
    before = listing(tmp_path)
    path = pipeline(tmp_path, body, workdir)
    line = one_line_error(run_cli("run", str(path)))
    assert message in line
    assert listing(tmp_path) - before == {"pipe", "pipe/p.toml"}
    assert not Path("/tmp/elsewhere").exists()


def test_argument_paths_are_relative_to_the_pipeline_file(tmp_path: Path) -> None:
    body = BUILD + (
        '\n[[stage]]\nname = "d"\ncommand = "dedup"\ninput = "@build"\nout = "d"\n'
        'args = { against = "extra/leak.jsonl" }\n'
    )
    path = pipeline(tmp_path, body, "w~1")
    (path.parent / "extra").mkdir()
    leak = path.parent / "extra" / "leak.jsonl"
    leak.write_text('{"question": "unrelated", "answer": "nothing to see"}\n')
    first = run_cli("run", str(path), cwd=str(tmp_path))
    assert first.returncode == 0, first.stderr
    leak.write_text('{"question": "changed", "answer": "the leak file changed"}\n')
    again = run_cli("run", str(path), "--dry-run")
    assert "d " in again.stdout and "inputs or parameters changed" in again.stdout


def test_symlinked_out_leaving_the_workdir_is_refused(tmp_path: Path) -> None:
    path = pipeline(tmp_path, BUILD.replace('out = "webfaq"', 'out = "link/webfaq"'))
    (path.parent / "work").mkdir()
    (tmp_path / "outside").mkdir()
    (path.parent / "work" / "link").symlink_to(tmp_path / "outside")
    assert "leaves the workdir" in one_line_error(run_cli("run", str(path)))
    assert list((tmp_path / "outside").iterdir()) == []


def test_logs_kept_and_the_real_error_shown(tmp_path: Path) -> None:
    body = BUILD + (
        '\n[[stage]]\nname = "push"\ncommand = "push"\ninput = "@build"\n'
        'args = { repo = "org/x", dry_run = true }\n'
        '\n[[stage]]\nname = "bad"\ncommand = "dedup"\ninput = "@build"\nout = "d"\n'
        "args = { bands = 3 }\n"
    )
    path = pipeline(tmp_path, body)
    proc = run_cli("run", str(path))
    assert proc.returncode == 1
    logs = path.parent / "work" / ".mkdata-pipeline" / "logs"
    assert "would upload README.md" in (logs / "push.log").read_text()
    assert "--bands and --rows go together" in proc.stderr
    assert "╰" not in proc.stderr.strip().splitlines()[-1]
    assert str(logs / "bad.log") in proc.stderr


class StallingServer:
    """Answers every GET with a gzip body that never finishes (one byte per second)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                try:
                    self.wfile.write(b"\x1f\x8b")
                    for _ in range(600):
                        time.sleep(1)
                        self.wfile.write(b"\x00")
                        self.wfile.flush()
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/part_0.gz"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()


def stage_pids(marker: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "cmdline").read_bytes().decode(
                errors="replace"
            ):
                pids.append(int(proc.name))
        except OSError:
            continue
    return [p for p in pids if p != os.getpid()]


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_stopping_run_stops_its_stage_before_the_lock_is_free(tmp_path: Path, sig: int) -> None:
    server = StallingServer()
    try:
        marker = f"stalled-{sig}"
        body = (
            f'[[stage]]\nname = "build"\ncommand = "build webfaq"\nout = "{marker}"\n'
            f'args = {{ source = "{server.url}", cache_dir = "{tmp_path / "cache"}" }}\n'
        )
        path = pipeline(tmp_path, body)
        run = subprocess.Popen(
            [sys.executable, "-m", "mkdata", "run", str(path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert wait_for(lambda: any(p != run.pid for p in stage_pids(marker)))
        os.kill(run.pid, sig)
        run.wait(30)
        assert wait_for(lambda: not stage_pids(marker)), "the stage outlived `mkdata run`"
        # the lock is free again: a dry run is not refused with 75
        assert run_cli("run", str(path), "--dry-run").returncode == 0
    finally:
        server.close()
