"""The README's library examples run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def library_snippets() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Library use", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_library_examples_run_as_written(tmp_path: Path) -> None:
    snippets = library_snippets()
    assert len(snippets) >= 2
    (tmp_path / "benchmarks").symlink_to(ROOT / "benchmarks")
    for code in snippets:
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "README.md").exists() and (tmp_path / "hw" / "mkdata.json").exists()
