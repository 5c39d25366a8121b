"""Pass 1 of dedup, one unit per input shard: exact hashes, MinHash signatures and band
hashes, and (for semantic dedup) question embeddings and question-answer similarity.

A unit writes ``keys.parquet`` (row, exact, id, origin, empty, b0..bN, norm, qa_similarity),
``sigs.npy`` and ``emb.npy`` into its directory, then ``done.json`` last.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mkdata.core.embedding_cache import encode_cached
from mkdata.core.records import as_text, text_batches
from mkdata.core.text import NormConfig, exact_hash, normalize
from mkdata.core.units import mark_done
from mkdata.dedup.fast_minhash import fast_signatures
from mkdata.dedup.minhash import band_hashes, shingles, signatures

BATCH_ROWS = 4096


@dataclass(frozen=True)
class KeySpec:
    """What pass 1 computes; part of every unit's cache key."""

    text_columns: tuple[str, ...]
    norm: NormConfig
    minhash: bool
    num_perm: int
    ngram: int
    shingle: str
    hash: str
    seed: int
    bands: int
    rows: int
    semantic: bool
    encoder: str
    question_column: str | None
    answer_column: str | None
    # of the unit files: 2 = normalized text kept for exact verification; 3 = "empty" (a text
    # column null, blank or not text)
    layout: int = 3

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _column(batch: pa.RecordBatch, name: str) -> list[Any]:
    i = batch.schema.get_field_index(name)
    return batch.column(i).to_pylist() if i >= 0 else [None] * batch.num_rows


def _text(batch: pa.RecordBatch, name: str) -> list[str | None]:
    """A column's values as text (:func:`as_text`: ids and origins may be numbers); None
    where it is absent."""
    return [as_text(v) for v in _column(batch, name)]


def compute_unit(path: str, first_row: int, spec: KeySpec, unit_dir: str) -> dict[str, Any]:
    """Compute the keys of one data file whose rows start at ``first_row``; return counts."""
    directory = Path(unit_dir)
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    columns = {
        "row": pa.int64(),
        "exact": pa.int64(),
        "id": pa.string(),
        "origin": pa.string(),
        "empty": pa.bool_(),
        **{f"b{i}": pa.int64() for i in range(spec.bands if spec.minhash else 0)},
        **({"norm": pa.string()} if spec.minhash else {}),
    }
    if spec.semantic and spec.answer_column:
        columns["qa_similarity"] = pa.float32()
    schema = pa.schema(list(columns.items()))
    writer = pq.ParquetWriter(directory / "keys.parquet", schema, compression="zstd")
    sig_parts: list[np.ndarray] = []
    emb_parts: list[np.ndarray] = []
    wanted = set(spec.text_columns) | {"id", "origin"}
    wanted |= {c for c in (spec.question_column, spec.answer_column) if c}
    row = first_row
    for batch in text_batches(Path(path), sorted(wanted), BATCH_ROWS):
        n = batch.num_rows
        rows = list(zip(*(_text(batch, c) for c in spec.text_columns), strict=True))
        # a row with a text column null, blank or not text (a list, an object) is removed as
        # empty_text, as every command skips it
        texts = ["\n".join(v for v in values if v is not None) for values in rows]
        normalized = [normalize(t, spec.norm) for t in texts]
        data: dict[str, Any] = {
            "row": np.arange(row, row + n, dtype=np.int64),
            "exact": [exact_hash(t) for t in normalized],
            "id": _text(batch, "id"),
            "origin": _text(batch, "origin"),
            "empty": [not all(v and v.strip() for v in values) for values in rows],
        }
        if spec.minhash:
            if spec.hash == "datasketch":
                sigs = signatures(
                    [shingles(t, spec.ngram, spec.shingle) for t in normalized],
                    spec.num_perm,
                    spec.seed,
                )
            else:
                sigs = fast_signatures(
                    normalized, spec.ngram, spec.shingle, spec.num_perm, spec.seed
                )
            sig_parts.append(sigs)
            bands = band_hashes(sigs, spec.bands, spec.rows)
            for i in range(spec.bands):
                data[f"b{i}"] = bands[:, i]
            data["norm"] = normalized  # near pairs are verified on their exact shingles
        if spec.semantic:
            questions = [str(v or "") for v in _column(batch, spec.question_column or "")]
            q_emb = encode_cached(spec.encoder, questions)
            emb_parts.append(q_emb.astype(np.float16))
            if spec.answer_column:
                answers = [str(v or "") for v in _column(batch, spec.answer_column)]
                a_emb = encode_cached(spec.encoder, answers)
                data["qa_similarity"] = (q_emb * a_emb).sum(axis=1).astype(np.float32)
        writer.write_table(pa.table(data, schema=schema))
        row += n
    writer.close()
    if spec.minhash:
        empty = np.zeros((0, spec.num_perm), dtype=np.uint32)
        np.save(directory / "sigs.npy", np.concatenate(sig_parts) if sig_parts else empty)
    if spec.semantic:
        empty16 = np.zeros((0, 512), dtype=np.float16)
        np.save(directory / "emb.npy", np.concatenate(emb_parts) if emb_parts else empty16)
    result = {"source": path, "first_row": first_row, "rows": row - first_row}
    mark_done(directory, result)
    return result
