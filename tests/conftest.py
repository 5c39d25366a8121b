"""Shared fixtures: paths, a CLI runner, N-Quads helpers, and the scripts/ generators."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

# a C compiler and Python's headers: the install builds the compiled parts, so they must be
CAN_BUILD = (
    bool(shutil.which("cc") or shutil.which("gcc"))
    and Path(sysconfig.get_paths()["include"], "Python.h").exists()
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
# one embedding cache per test session, never the user's
_CACHE = tempfile.mkdtemp(prefix="mkdata-test-cache-")
os.environ["MKDATA_CACHE_DIR"] = _CACHE
# and one datasets cache: it keys local folders by name, so another run's "sample" or "out"
# could be loaded instead of this one's
os.environ["HF_DATASETS_CACHE"] = os.path.join(_CACHE, "hf-datasets")

S = "<http://schema.org/"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def quad(s: str, p: str, o: str, g: str, sep: str = "   ") -> str:
    return f"{s} {p} {o} <{g}>{sep}."


def write_nq(path: Path, lines: list[str] | str, gz: bool = True) -> Path:
    text = lines if isinstance(lines, str) else "\n".join(lines) + "\n"
    data = text.encode("utf-8") if isinstance(text, str) else text
    if gz:
        with gzip.open(path, "wb") as fh:
            fh.write(data)
    else:
        path.write_bytes(data)
    return path


def faq_page(url: str, pairs: list[tuple[str, str]], prefix: str = "p") -> list[str]:
    """A minimal FAQPage with the given (question, answer) literals (already N-Triples-escaped)."""
    lines = [quad(f"_:{prefix}f", TYPE, f"{S}FAQPage>", url)]
    for i, (q, a) in enumerate(pairs):
        qn, an = f"_:{prefix}q{i}", f"_:{prefix}a{i}"
        lines += [
            quad(f"_:{prefix}f", f"{S}mainEntity>", qn, url),
            quad(qn, TYPE, f"{S}Question>", url),
            quad(qn, f"{S}name>", f'"{q}"', url),
            quad(qn, f"{S}acceptedAnswer>", an, url),
            quad(an, TYPE, f"{S}Answer>", url),
            quad(an, f"{S}text>", f'"{a}"', url),
        ]
    return lines


def one_pair_pages(pairs: list[tuple[str, str]]) -> list[str]:
    """Lines of one single-pair FAQ page per pair, each on its own host (s0.example, ...)."""
    lines: list[str] = []
    for i, pair in enumerate(pairs):
        lines += faq_page(f"https://s{i}.example/faq", [pair], f"n{i}")
    return lines


DEU_PAIR = (
    "Wie lange dauert der Versand nach Österreich?",
    "Der Versand nach Österreich dauert in der Regel drei bis fünf Werktage.",
)
FRA_PAIR = (
    "Combien de temps dure la livraison ?",
    "La livraison prend généralement entre trois et cinq jours ouvrés.",
)


def write_deu_fra_parts(folder: Path, first: str = "part_0.gz", second: str = "part_1.gz") -> None:
    """Write two one-page parts: a German FAQ in ``first``, a French one in ``second``
    (gzipped unless the name ends in ``.nq``)."""
    write_nq(
        folder / first,
        faq_page("https://a.example/faq", [DEU_PAIR], "a"),
        gz=not first.endswith(".nq"),
    )
    write_nq(
        folder / second,
        faq_page("https://b.example/faq", [FRA_PAIR], "b"),
        gz=not second.endswith(".nq"),
    )


def run_cli(*args: str, check: bool | None = None, **kw) -> subprocess.CompletedProcess:
    """Run the real `mkdata` console entry point in a subprocess."""
    env = {**os.environ, "COLUMNS": "200", **kw.pop("env", {})}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdata", *args], capture_output=True, text=True, env=env, **kw
    )
    if check is True:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory):
    """One real `vllm serve` of the CPU test model (SmolLM2) for the session: the vLLM tests
    share it through `--backend openai`, as an engine start is most of such a test's time.
    (The in-process `--backend vllm` path is run by its own tests.)"""
    from llm_servers import VLLMServer
    from test_synth import model_dir

    with VLLMServer(model_dir(), tmp_path_factory.mktemp("vllm") / "serve.log") as server:
        yield server


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "out"
    run_cli("build", "webfaq", "--langs", "all", "--sample", "--out", str(out), check=True)
    return out


def build_snapshot(source: Path, out: Path, env: dict[str, str]) -> tuple:
    """Build ``source`` with ``build webfaq`` under ``env``: (the manifest's configs, counts,
    filters and problems; the shard paths; their bytes), to compare two builds exactly."""
    run_cli("build", "webfaq", "--source", str(source), "--out", str(out), "--min-rows", "1",
            env=env, check=True)  # fmt: skip
    manifest = json.loads((out / "mkdata.json").read_text())
    shards = sorted(p.relative_to(out) for p in out.rglob("*.parquet"))
    return (
        {k: manifest[k] for k in ("configs", "counts", "filters", "problems")},
        shards,
        [(out / s).read_bytes() for s in shards],
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The single stderr line of a run that failed with exit 2 (bad input), no traceback."""
    assert proc.returncode == 2, proc.stderr + proc.stdout
    lines = [x for x in proc.stderr.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


# the hand-written parallel sentences (15 languages) the bitext, negatives and synth tests use
GOLD_TUPLES = [
    json.loads(line)
    for line in (ROOT / "benchmarks/bitext_gold/handwritten/parallel.jsonl")
    .read_text("utf-8")
    .splitlines()
]
