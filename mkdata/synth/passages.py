"""`mkdata synth passages`: documents (title + text) cut into ~N-word passages, SWIM-IR's unit.

Cuts fall at sentence ends where possible; a word is a whitespace token, or two
characters of a script written without spaces (Chinese, Japanese, Thai).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from mkdata.core.manifest import new_manifest
from mkdata.core.output import OutputRun
from mkdata.core.reader import ReadStats, input_files, read_table
from mkdata.core.schema import stable_id
from mkdata.core.shards import DATA_DIR, ShardWriter

_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0e7f]")


def word_count(text: str) -> int:
    """Whitespace words, counting two unspaced-script characters as one word."""
    unspaced = len(_UNSPACED.findall(text))
    return len(_UNSPACED.sub(" ", text).split()) + unspaced // 2


def chunk(text: str, words: int = 100) -> list[str]:
    """``text`` cut into passages of about ``words`` words (never more than 1.5x)."""
    sentences = [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]
    out: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        n = word_count(sentence)
        if n > 1.5 * words:  # a giant "sentence": cut it by words
            tokens = sentence.split()
            pieces = [" ".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [
                sentence
            ]
        else:
            pieces = [sentence]
        for piece in pieces:
            m = word_count(piece)
            if current and size + m > words:
                out.append(" ".join(current))
                current, size = [], 0
            current.append(piece)
            size += m
    if current:
        out.append(" ".join(current))
    return out


def run_passages(
    inputs: list[Path], out: Path, words: int = 100, overwrite: bool = False
) -> dict[str, Any]:
    """Chunk the documents of ``inputs`` (``text``; optional ``id``, ``title``, ``language``)
    into ``out`` (one ``default`` config: id, doc_id, title, text, language); return the manifest."""
    stats = ReadStats()
    files = input_files(inputs)
    table = read_table(files, ["text"], ("id", "_id", "title", "language"), stats)
    schema = pa.schema([("id", pa.string()), ("doc_id", pa.string()), ("title", pa.string()),
                        ("text", pa.string()), ("language", pa.string())])  # fmt: skip
    if not any((t or "").strip() for t in table.column("text").to_pylist()):
        raise ValueError(f"{files[0] if files else inputs[0]}: no documents with text")
    with OutputRun(out, "synth passages", overwrite, files) as run:
        writer = ShardWriter(run.staging / DATA_DIR / "default", schema)
        docs = 0
        for row in table.to_pylist():
            text = row["text"] or ""
            if not text.strip():
                continue
            docs += 1
            doc_id = row["id"] or row["_id"] or stable_id(text)
            pieces = chunk(text, words)
            writer.write(pa.Table.from_pylist(
                [{"id": f"{doc_id}-{i}", "doc_id": doc_id, "title": row["title"] or "", "text": p,
                  "language": row["language"]} for i, p in enumerate(pieces)], schema=schema))  # fmt: skip
        writer.close()
        m = new_manifest("synth passages", {"inputs": [str(p) for p in inputs], "words": words})
        m.update({"builder": "passages", "record": "passage", "inputs": [{"source": str(f)} for f in files],
                  "configs": {"default": {"train": writer.rows}},
                  "passages": {"documents": docs, "malformed_records": sum(stats.skipped.values()),
                               "malformed_examples": list(stats.first_problem.values())[:5]}})  # fmt: skip
        run.publish(m)
    return m
