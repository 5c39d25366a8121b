"""The card's charts drawn by a helper process.

A command that opens its output starts the helper (:meth:`ChartProcess.start`); it imports
matplotlib and loads its font while the command works (0.5-1 s that would otherwise come
after the command's work), then waits for one job: the finished output's statistics, from
which it draws the charts exactly as :func:`mkdata.cards.plots.write_charts` does in-process.
A command that ends without a card closes the helper; a helper whose command died sees its
input end and exits. When the helper cannot start or fails, the caller draws in-process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

from mkdata.cards.stats import DatasetStats

TIMEOUT_S = 600  # for the drawing, after the helper got its job
_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class ChartProcess:
    """A started helper that draws one output's charts (see the module docstring)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    @classmethod
    def start(cls) -> ChartProcess | None:
        """Start a helper; None where no process can be started here."""
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mkdata.cards.chart_process"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **_THREAD_ENV},
            )
        except OSError:
            return None
        return cls(proc)

    def draw(
        self, st: DatasetStats, m: dict[str, Any], folder: Path
    ) -> list[tuple[str, str]] | None:
        """Draw the charts of ``st`` and manifest ``m`` into ``folder``; return (title, file
        name) of each as ``write_charts`` does, or None when the helper failed. The helper
        ends either way."""
        job = pickle.dumps((st, m, str(folder)), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            out, _ = self.proc.communicate(job, timeout=TIMEOUT_S)
            if self.proc.returncode != 0:
                return None
            drawn = pickle.loads(out)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError, subprocess.SubprocessError):
            return None
        finally:
            self.close()
        return [(str(title), str(name)) for title, name in drawn]

    def close(self) -> None:
        """Stop the helper if it still runs (a command that ends without a card)."""
        if self.proc.poll() is None:
            self.proc.kill()
        with contextlib.suppress(OSError, ValueError):
            self.proc.communicate(timeout=10)


def _warm_up() -> None:
    """Import the drawing stack and load the font: what the first chart would pay."""
    from mkdata.cards.plots import _figure, _save

    fig, ax = _figure(1.0, 1.0)
    ax.set_title("warm-up 0123")
    with open(os.devnull, "wb") as sink:
        _save(fig, sink)  # type: ignore[arg-type]


def main() -> int:
    """The helper: warm up, read one job from stdin, draw, write the result to stdout."""
    _warm_up()
    try:
        st, m, folder = pickle.load(sys.stdin.buffer)
    except EOFError:
        return 0  # the command ended without a card
    from mkdata.cards.plots import write_charts

    drawn = write_charts(st, m, Path(folder))
    sys.stdout.buffer.write(pickle.dumps(drawn))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
