"""The card's charts drawn by a helper process.

A command that leaves a core free starts the helper (:meth:`ChartProcess.start`) before
its own imports (:func:`mkdata.core.output.card_prepared_ahead`), when it opens
its output, or once its last units free one (``OutputRun(prepare_card=...)``,
:meth:`OutputRun.prepare_card_now`); the helper imports matplotlib and loads its font while
the command works (0.5-1 s that would otherwise come after the command's work), then waits
for one job: the finished output's statistics, from
which it draws the charts exactly as :func:`mkdata.cards.plots.write_charts` does in-process
(sharing them with a forked copy of itself where a second core is there).
A command that ends without a card stops the helper (SIGTERM, which the helper turns into a
normal exit, so matplotlib's font cache lock is released); a helper whose command died sees
its input end and exits. When the helper cannot start or fails, the caller draws in-process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdata.core.runner import helper_env

if TYPE_CHECKING:  # numpy, which it imports, would delay the helper's start by ~0.1 s
    from mkdata.cards.stats_records import DatasetStats

TIMEOUT_S = 600  # for the drawing, after the helper got its job
# run as -c, not -m: the working directory leaves sys.path, so nothing there shadows mkdata;
# SIGTERM becomes a normal exit before anything is imported (finally blocks run, so a lock
# matplotlib holds while it builds its font cache is released)
_HELPER = (
    "import signal, sys; signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0)); "
    "del sys.path[0]; from mkdata.cards.chart_process import main; main()"
)


class ChartProcess:
    """A started helper that draws one output's charts (see the module docstring)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.folder: Path | None = None  # the job's folder, once sent

    @classmethod
    def start(cls) -> ChartProcess | None:
        """Start a helper; None where no process can be started here."""
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _HELPER],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=helper_env(),
            )
        except (OSError, ValueError):
            return None
        return cls(proc)

    def send(self, st: DatasetStats, m: dict[str, Any], folder: Path) -> None:
        """Give the helper its job: draw the charts of ``st`` and manifest ``m`` into
        ``folder`` (:meth:`drawn` waits for them). It starts at once if the helper is
        ready."""
        try:
            job = pickle.dumps((st, m, str(folder)), protocol=pickle.HIGHEST_PROTOCOL)
            self.proc.stdin.write(job)  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
        except (OSError, ValueError, TypeError, pickle.PickleError):
            return  # drawn() answers None
        self.folder = folder

    def drawn(self) -> list[tuple[str, str]] | None:
        """Wait for the job :meth:`send` gave; return (title, file name) of each chart as
        ``write_charts`` does, or None when the helper failed (``folder`` is then
        untouched). The helper ends either way."""
        try:
            if self.folder is None:  # no job was sent
                return None
            out, _ = self.proc.communicate(timeout=TIMEOUT_S)
            if self.proc.returncode != 0:
                return None
            drawn, drawn_in = pickle.loads(out)
            # the helper drew into a folder of its own beside ``folder``: a helper whose
            # command died while it drew never writes into a later run's staging
            os.replace(drawn_in, self.folder)
            return [(str(title), str(name)) for title, name in drawn]
        except (  # failed, answered garbage, or timed out (SubprocessError)
            OSError,
            ValueError,
            TypeError,
            EOFError,
            pickle.PickleError,
            subprocess.SubprocessError,
        ):
            return None
        finally:
            self.close()

    def close(self) -> None:
        """Stop the helper if it still runs (a command that ends without a card)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            with contextlib.suppress(OSError, ValueError, subprocess.SubprocessError):
                self.proc.communicate(timeout=10)
        except (OSError, ValueError):
            pass


def _warm_up() -> None:
    """Import the drawing stack and load the font: what the first chart would pay."""
    from mkdata.cards.plots import _figure, _save

    fig, ax = _figure(1.0, 1.0)
    ax.set_title("warm-up 0123")
    with open(os.devnull, "wb") as sink:
        _save(fig, sink)  # type: ignore[arg-type]


def _single_threaded() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _draw_shared(st: DatasetStats, m: dict[str, Any], folder: Path) -> list[tuple[str, str]]:
    """``write_charts(st, m, folder)``, its charts shared with a forked copy of this helper
    where a second core is there and this process runs one thread (so a fork is safe): the
    copy draws every second chart (the text lengths, the costliest, among them), this process
    the others. Returns what ``write_charts`` returns; raises when the copy failed."""
    from mkdata.cards.plots import CHARTS, write_charts

    if (os.cpu_count() or 1) < 2 or not hasattr(os, "fork") or not _single_threaded():
        return write_charts(st, m, folder)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy: report what it drew, then end without the interpreter's teardown
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as answer:
                answer.write(pickle.dumps(write_charts(st, m, folder, CHARTS[1::2])))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        mine = write_charts(st, m, folder, CHARTS[0::2])
        theirs = answer.read()
    if os.waitpid(pid, 0)[1] != 0:
        raise RuntimeError("the helper's copy failed to draw its charts")
    order = {name: i for i, (name, _, _) in enumerate(CHARTS)}
    return sorted(mine + pickle.loads(theirs), key=lambda drawn: order[drawn[1]])


def main() -> None:
    """The helper: warm up, read one job from stdin, draw into a new folder beside the job's
    folder, write (charts drawn, that folder) to stdout."""
    _warm_up()
    try:
        st, m, folder = pickle.load(sys.stdin.buffer)
    except EOFError:
        return  # the command ended without a card
    target = Path(folder)
    target.parent.mkdir(parents=True, exist_ok=True)
    own = Path(tempfile.mkdtemp(prefix=".charts-", dir=target.parent))
    try:
        drawn = _draw_shared(st, m, own)
    except BaseException:
        shutil.rmtree(own, ignore_errors=True)
        raise
    sys.stdout.buffer.write(pickle.dumps((drawn, str(own))))
    sys.stdout.buffer.flush()
    # the command waits for this process to end: skip the interpreter's teardown of
    # matplotlib and numpy (~0.2 s); nothing is left to flush or release
    os._exit(0)
