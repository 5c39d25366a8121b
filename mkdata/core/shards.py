"""Parquet shards of a dataset directory: bounded writers, atomic publication, readers.

Layout: ``OUT/data/<config>/<split>-00000-of-00003.parquet``. Shards are written
under the output run's staging directory and published only when complete (see
``output.py``), so a reader never sees a half-written shard.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mkdata.core.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS

DATA_DIR = "data"
ROW_GROUP_ROWS = 50_000
SLICE_SLACK = 8 << 20  # pending rows keep at most this much of other rows' buffers each


def shard_name(split: str, index: int, total: int) -> str:
    """Return the Hub-style shard file name, e.g. ``train-00000-of-00003.parquet``."""
    return f"{split}-{index:05d}-of-{total:05d}.parquet"


class ShardWriter:
    """Write one config/split as size-bounded parquet shards.

    Rows are appended with :meth:`write` (Arrow tables in ``schema``); a new shard
    starts when the current one reaches ``max_rows`` rows or about ``max_bytes``
    bytes (uncompressed). Small tables are gathered into row groups of up to
    ``ROW_GROUP_ROWS`` rows. :meth:`close` gives the shards their final
    ``-of-N`` names and returns their paths.
    """

    def __init__(
        self,
        directory: Path,
        schema: pa.Schema,
        split: str = "train",
        max_rows: int = DEFAULT_MAX_ROWS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.directory = Path(directory)
        self.schema = schema
        self.split = split
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.rows = 0
        self._paths: list[Path] = []
        self._writer: pq.ParquetWriter | None = None
        self._shard_rows = 0
        self._shard_bytes = 0
        self._pending: list[pa.Table] = []  # rows written but not yet in a row group
        self._pending_rows = 0

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f".{self.split}-{len(self._paths):05d}.parquet.partial"
        self._paths.append(path)
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")
        self._shard_rows = 0
        self._shard_bytes = 0

    def _close_shard(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def write(self, table: pa.Table) -> None:
        """Append ``table`` (cast to the writer's schema), splitting across shards as needed."""
        table = table.select(self.schema.names).cast(self.schema)
        if not table.num_rows:
            return
        self._pending.append(_own_rows(table))
        self._pending_rows += table.num_rows
        self.rows += table.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush(whole_groups_only=True)

    def _flush(self, whole_groups_only: bool = False) -> None:
        """Write the pending rows as row groups of ``ROW_GROUP_ROWS`` rows (the last one
        smaller, unless ``whole_groups_only`` keeps those rows pending)."""
        if not self._pending:
            return
        table = pa.concat_tables(self._pending)  # chunks: one row group still
        keep = table.num_rows % ROW_GROUP_ROWS if whole_groups_only else 0
        self._pending = [_own_rows(table.slice(table.num_rows - keep))] if keep else []
        self._pending_rows = keep
        table = table.slice(0, table.num_rows - keep)
        start = 0
        while start < table.num_rows:
            if self._writer is None:
                self._open()
            room = self.max_rows - self._shard_rows
            piece = table.slice(start, min(room, ROW_GROUP_ROWS))
            avg = max(1, piece.nbytes // max(1, piece.num_rows))
            byte_room = max(1, (self.max_bytes - self._shard_bytes) // avg)
            if byte_room < piece.num_rows:
                piece = piece.slice(0, byte_room)
            assert self._writer is not None
            self._writer.write_table(piece)
            self._shard_rows += piece.num_rows
            self._shard_bytes += piece.nbytes
            start += piece.num_rows
            if self._shard_rows >= self.max_rows or self._shard_bytes >= self.max_bytes:
                self._close_shard()

    def close(self) -> list[Path]:
        """Finish the last shard and rename all shards to their final names."""
        self._flush()
        self._close_shard()
        if not self._paths:
            self._open()  # an empty split still gets one (empty) shard
            self._close_shard()
        total = len(self._paths)
        final = []
        for i, path in enumerate(self._paths):
            dest = self.directory / shard_name(self.split, i, total)
            os.replace(path, dest)
            final.append(dest)
        return final


def _own_rows(table: pa.Table) -> pa.Table:
    """``table`` itself, or a copy of its rows when it is a slice that keeps more than
    ``SLICE_SLACK`` bytes of larger buffers alive (a pending slice of a merged bucket would
    keep the whole bucket in memory; a copy costs ~1 ms however small the slice)."""
    if table.get_total_buffer_size() - table.nbytes > SLICE_SLACK:
        return table.combine_chunks().take(np.arange(table.num_rows))
    return table


def config_files(out: Path, config: str, split: str = "train") -> list[Path]:
    """Return the shard paths of one config and split, in order."""
    return sorted((Path(out) / DATA_DIR / config).glob(f"{split}-*-of-*.parquet"))


def read_config(out: Path, config: str, split: str = "train") -> pa.Table:
    """Read all shards of one config and split into one Arrow table."""
    files = config_files(out, config, split)
    if not files:
        raise FileNotFoundError(f"no shards for config {config!r} split {split!r} in {out}")
    return pa.concat_tables(pq.read_table(f) for f in files)
