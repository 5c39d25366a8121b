"""Golden outputs: the rows, shard names and ids every command writes on the bundled samples
and fixed fixtures must not change when the code is reorganised.

The digests in ``tests/golden/outputs.json`` were recorded before the lifecycle redesign;
``MKDATA_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` rewrites them (only do that when an
output change is intended, and say why in the commit).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import GOLD_TUPLES, ROOT, run_cli

GOLDEN = Path(__file__).parent / "golden" / "outputs.json"
DATA_PARTS = ("data", "beir", "removed", "rejects")


def digest_output(out: Path) -> dict[str, str]:
    """Relative path -> digest of every data file (parquet by rows and schema, others by bytes)."""
    found: dict[str, str] = {}
    for part in DATA_PARTS:
        for f in sorted((out / part).rglob("*")):
            if not f.is_file() or f.name.startswith("."):
                continue
            if f.suffix == ".parquet":
                table = pq.read_table(f)
                payload = json.dumps(
                    [str(table.schema.remove_metadata()), table.to_pylist()],
                    sort_keys=True,
                    default=str,
                ).encode()
            else:
                payload = f.read_bytes()
            found[str(f.relative_to(out))] = hashlib.sha256(payload).hexdigest()[:16]
    return found


def _qa_fixture(root: Path) -> Path:
    rows = [
        {
            "id": f"deu-{i}",
            "origin": f"https://s{i % 8}.example",
            "language": "deu",
            "question": t["deu"],
            "answer": f"{t['deu']} {t['eng']}",
        }
        for i, t in enumerate(GOLD_TUPLES)
    ]
    (root / "data" / "deu").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), root / "data/deu/train-00000-of-00001.parquet")
    return root


def _docs_fixture(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i, t in enumerate(GOLD_TUPLES[:20]):
            text = " ".join(t[lang] for lang in ("eng", "deu", "fra", "spa")) * 3
            fh.write(json.dumps({"id": f"doc{i}", "title": f"Doc {i}", "text": text}) + "\n")
    return path


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, sample_build: Path) -> dict[str, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("golden")
    qa = _qa_fixture(tmp / "qa")
    sentences = ROOT / "benchmarks/bitext_gold/handwritten/sentences"
    runs = {
        "build-mfaq": ["build", "mfaq", "--langs", "all", "--sample"],
        "dedup": ["dedup", str(sample_build), "--write-removed"],
        "bitext": ["mine", "bitext", str(sentences), "--pairs", "deu-eng,fra-eng,jpn-eng"],
        "negatives": ["mine", "negatives", str(qa), "--method", "bm25", "--format", "triplet"],
        "negatives-dense": [
            "mine",
            "negatives",
            str(qa),
            "--num-negatives",
            "3",
            "--format",
            "tuples",
        ],
        "beir": ["export", "beir", str(sample_build), "--test-size", "0.3"],
        "passages": ["synth", "passages", str(_docs_fixture(tmp / "docs.jsonl")), "--words", "40"],
    }
    found = {"build-webfaq": digest_output(sample_build)}
    # a cache of its own: vectors other tests cached (other processes, other BLAS threads)
    # may differ in the last bits, and so would scores
    # OpenBLAS picks its kernels by CPU: its AVX-512 (SkylakeX) kernels and its AVX2
    # (Haswell) ones give encoder scores that differ in the last bits (~1e-6, same rows),
    # and the digests were recorded with the AVX2 ones, which every x86-64 CI machine has
    env = {"MKDATA_CACHE_DIR": str(tmp / "cache"), "OPENBLAS_CORETYPE": "Haswell"}
    for name, argv in runs.items():
        out = tmp / name
        run_cli(*argv, "--out", str(out), check=True, env=env)
        found[name] = digest_output(out)
    return found


def test_outputs_match_golden(outputs: dict[str, dict[str, str]]) -> None:
    if os.environ.get("MKDATA_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(outputs, indent=1, sort_keys=True) + "\n")
    expected = json.loads(GOLDEN.read_text())
    for name in expected:
        assert outputs[name] == expected[name], name
    assert all(outputs[name] for name in expected)
