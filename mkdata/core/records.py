"""Reading the records of one data file: parquet, arrow (stream or file), JSON Lines
(``.jsonl``, ``.jsonl.gz``, ``.ndjson``, ``.json`` lines or one JSON array). Malformed
records are counted with ``file:line``; unreadable files are ValueError naming the file.
Which files an input holds is :mod:`mkdata.core.reader`'s job."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".ndjson")
DATA_SUFFIXES = (".parquet", ".arrow", *JSONL_SUFFIXES)


def check_parquet(path: Path) -> None:
    """ValueError (one line naming ``path``) unless it is a readable parquet file."""
    try:
        pq.ParquetFile(path).close()
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"{path}: not a readable parquet file ({exc})") from None


@dataclass
class ReadStats:
    """What reading skipped: malformed lines per file, with the first problem of each, and
    rows that rules dropped (``core.rules``), by rule."""

    rows: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    first_problem: dict[str, str] = field(default_factory=dict)
    dropped: Counter[str] = field(default_factory=Counter)  # rows dropped by a rule, by rule

    def skip(self, where: str, problem: str) -> None:
        self.skipped[where] += 1
        self.first_problem.setdefault(where, problem)


def read_table(
    files: list[Path],
    columns: list[str],
    optional: tuple[str, ...] = (),
    stats: ReadStats | None = None,
) -> pa.Table:
    """Read ``columns`` (all required) and ``optional`` columns of ``files`` into one table.

    Values are read as strings (a JSON object or list, which is not text, as null). JSON
    Lines records that are not valid JSON objects (or not UTF-8) are skipped and counted in
    ``stats``; a file that cannot be read, or lacks a required column, raises ValueError
    naming it.
    """
    stats = stats if stats is not None else ReadStats()
    wanted = [*columns, *[c for c in optional if c not in columns]]
    schema = pa.schema([(c, pa.string()) for c in wanted])
    parts = []
    for f in files:
        if _is_jsonl(f):
            table = _read_jsonl(f, columns, wanted, stats)
        else:
            table = _as_strings(_read_columnar(f, columns, wanted), wanted, f)
        parts.append(table.cast(schema))
    out = pa.concat_tables(parts) if parts else schema.empty_table()
    stats.rows += out.num_rows
    return out


def read_file(path: Path, stats: ReadStats | None = None) -> pa.Table:
    """Every column of one data file, with its own types (JSON Lines: types inferred)."""
    if not _is_jsonl(path):
        return _read_columnar(path, [], None)
    records = list(_jsonl_records(path, stats if stats is not None else ReadStats()))
    # every key of every record, in the order met (pyarrow's from_pylist takes the first
    # record's keys only); a record without a key has null there
    names = list(dict.fromkeys(k for r in records for k in r))
    return pa.table({name: _json_column([r.get(name) for r in records]) for name in names})


def _json_column(values: list) -> pa.Array:
    """The values of one JSON Lines key, typed as pyarrow infers them; a key of mixed types
    is kept as JSON text (strings as they are)."""
    try:
        return pa.array(values)
    except (pa.ArrowException, TypeError):
        return pa.array(
            [v if v is None or isinstance(v, str) else json.dumps(v) for v in values], pa.string()
        )


def file_schema(path: Path) -> pa.Schema:
    """The schema of one data file (JSON Lines: of its records)."""
    if is_parquet(path):
        check_parquet(path)
        return _unique_names(pq.read_schema(path), path)
    return _unique_names(read_file(path).schema, path)


def _unique_names(schema: pa.Schema, where: Path) -> pa.Schema:
    """``schema``; ValueError naming the file where two columns have one name."""
    seen: set[str] = set()
    for name in schema.names:
        if name in seen:
            raise ValueError(f"{where}: two columns are named {name!r}")
        seen.add(name)
    return schema


def count_rows(path: Path) -> int:
    """Rows (valid records) in one data file."""
    if is_parquet(path):
        check_parquet(path)
        return pq.ParquetFile(path).metadata.num_rows
    return read_file(path).num_rows


def _is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(JSONL_SUFFIXES)


def is_parquet(path: Path) -> bool:
    """True when ``path`` is named ``.parquet`` (any case)."""
    return path.name.lower().endswith(".parquet")


def _read_columnar(path: Path, required: list[str], wanted: list[str] | None) -> pa.Table:
    """A parquet or arrow file (``wanted`` columns that exist, or all when None)."""
    kind = "parquet" if is_parquet(path) else "arrow"
    try:
        if kind == "parquet":
            pf = pq.ParquetFile(path)
            names = _unique_names(pf.schema_arrow, path).names
            _require(names, required, path)
            cols = None if wanted is None else [c for c in wanted if c in names]
            return pf.read(columns=cols)
        with pa.memory_map(str(path)) as source:
            try:
                table = pa.ipc.open_stream(source).read_all()
            except pa.ArrowInvalid:
                table = pa.ipc.open_file(source).read_all()
        _require(_unique_names(table.schema, path).names, required, path)
        return (
            table
            if wanted is None
            else table.select([c for c in wanted if c in table.column_names])
        )
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"{path}: not a readable {kind} file ({exc})") from None


def _as_strings(table: pa.Table, wanted: list[str], where: Path) -> pa.Table:
    for c in wanted:
        if c not in table.column_names:
            table = table.append_column(c, pa.nulls(table.num_rows, pa.string()))
        elif not pa.types.is_string(table.schema.field(c).type):
            kind = table.schema.field(c).type
            try:
                text = table[c].cast(pa.string())
            except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
                raise ValueError(f"{where}: column {c!r} holds {kind}, not text") from None
            table = table.set_column(table.schema.get_field_index(c), c, text)
    return table.select(wanted)


def _require(names: list[str], required: list[str], where: Path) -> None:
    missing = [c for c in required if c not in names]
    if missing:
        raise ValueError(f"{where}: no column {missing[0]!r} (columns: {', '.join(names)})")


def _jsonl_records(path: Path, stats: ReadStats, limit: int | None = None) -> Iterator[dict]:
    """The JSON objects of a JSON Lines file (or of a ``.json`` file holding one JSON array);
    malformed lines are counted in ``stats`` with ``file:line``."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(4096)
            fh.seek(0)
            if (
                path.name.lower().endswith(".json")
                and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"["
            ):
                yield from _json_array(path, fh.read(), stats)
                return
            read, skipped = 0, stats.skipped[str(path)]
            for lineno, raw in enumerate(fh, 1):
                if limit is not None and lineno > limit:
                    return
                if lineno == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark
                if not raw.strip():
                    continue
                where = f"{path}:{lineno}"
                try:
                    record = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError:
                    stats.skip(str(path), f"{where}: not UTF-8")
                    continue
                except json.JSONDecodeError as exc:
                    stats.skip(str(path), f"{where}: invalid JSON ({exc.msg})")
                    continue
                except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
                    stats.skip(str(path), f"{where}: unreadable JSON ({type(exc).__name__})")
                    continue
                if not isinstance(record, dict):
                    stats.skip(str(path), f"{where}: not a JSON object")
                    continue
                if _LONE_SURROGATE.search(raw) and not _encodable(record):
                    stats.skip(str(path), f"{where}: a \\u escape of half a character (not text)")
                    continue
                read += 1
                yield record
            if not read and stats.skipped[str(path)] > skipped:  # not JSON Lines at all
                problem = stats.first_problem[str(path)].removeprefix(f"{path}:")
                raise ValueError(f"{path}: no readable JSON object in it (line {problem})")
    except (OSError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(f"{path}: cannot read ({exc})") from None


_LONE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")  # JSON escapes of UTF-16 surrogates


def _encodable(record: dict) -> bool:
    """Whether ``record``'s strings are text (no lone surrogate from a ``\\ud800`` escape)."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_array(path: Path, data: bytes, stats: ReadStats) -> Iterator[dict]:
    try:
        items = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a valid JSON array ({exc})") from None
    for i, item in enumerate(items):
        if isinstance(item, dict):
            yield item
        else:
            stats.skip(str(path), f"{path}: item {i}: not a JSON object")


def _read_jsonl(path: Path, required: list[str], wanted: list[str], stats: ReadStats) -> pa.Table:
    cols: dict[str, list[str | None]] = {c: [] for c in wanted}
    seen: set[str] = set()
    for record in _jsonl_records(path, stats):
        seen.update(record)
        for c in wanted:
            cols[c].append(as_text(record.get(c)))
    if cols[wanted[0]] and not set(required) <= seen:
        _require(sorted(seen), required, path)
    return pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()})


def as_text(value: object) -> str | None:
    """A record's value as text: a string as it is, a number or boolean as JSON writes it,
    another scalar (a date, bytes) as Python prints it; None for null and for what is not
    text (an object or struct, a list), which commands skip."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return None
    return json.dumps(value) if isinstance(value, (bool, int, float)) else str(value)


def column_names(path: Path, sample_lines: int = 100) -> list[str]:
    """Columns of a parquet or arrow file, or the keys seen in the first JSON Lines records."""
    if not _is_jsonl(path):
        if is_parquet(path):
            check_parquet(path)
            return pq.read_schema(path).names
        return _read_columnar(path, [], None).column_names
    names: dict[str, None] = {}
    for record in _jsonl_records(path, ReadStats(), sample_lines):
        names.update(dict.fromkeys(record))
    return list(names)


def iter_batches(
    path: Path, columns: list[str] | None = None, batch_size: int = 65_536
) -> Iterator[pa.RecordBatch]:
    """One data file as record batches of at most ``batch_size`` rows (the ``columns`` that
    exist, or all); parquet is streamed, other formats are read whole first."""
    if is_parquet(path):
        check_parquet(path)
        shard = pq.ParquetFile(path)
        cols = None if columns is None else [c for c in shard.schema_arrow.names if c in columns]
        yield from shard.iter_batches(batch_size=batch_size, columns=cols)
        return
    table = read_file(path)
    if columns is not None:
        table = table.select([c for c in table.column_names if c in columns])
    yield from table.to_batches(max_chunksize=batch_size)


def text_batches(
    path: Path, columns: list[str], batch_size: int = 65_536
) -> Iterator[pa.RecordBatch]:
    """``columns`` of one data file (those that exist) as record batches: JSON Lines as
    :func:`read_table` reads them (strings; objects and lists, which are not text, as null),
    parquet and arrow with their own types, streamed (:func:`iter_batches`)."""
    if _is_jsonl(path):
        yield from read_table([path], [], tuple(columns)).to_batches(max_chunksize=batch_size)
        return
    yield from iter_batches(path, columns, batch_size)


def malformed_records(files: list[Path]) -> ReadStats:
    """The malformed records of the JSON Lines files among ``files`` (counted, with the
    first ``file:line`` of each), for commands that read files whole elsewhere."""
    stats = ReadStats()
    for f in files:
        if _is_jsonl(f):
            for _ in _jsonl_records(f, stats):
                pass
    return stats
