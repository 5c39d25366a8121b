"""Reading other commands' inputs: dataset directories, parquet files and JSON Lines files.

A dataset directory is ``DIR/data/<config>/*.parquet`` (what every mkdata command
writes). Plain files (``.parquet``, ``.jsonl``, ``.jsonl.gz``, ``.json`` with one
object per line) may be given directly, as a folder holding them, or as a glob.
"""

from __future__ import annotations

import glob
import gzip
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mkdata.shards import DATA_DIR

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".ndjson")


def dataset_shards(directory: Path) -> dict[str, list[Path]]:
    """Parquet shards of every config of a dataset directory (``data/<config>/*.parquet``).

    Raises ValueError (one line, naming the path) when ``directory`` is not a dataset
    directory or a shard is not readable parquet.
    """
    data = Path(directory) / DATA_DIR
    configs = {
        d.name: sorted(d.glob("*.parquet"))
        for d in sorted(data.iterdir() if data.is_dir() else [])
        if d.is_dir() and not d.name.startswith(".")
    }
    configs = {k: v for k, v in configs.items() if v}
    if not configs:
        raise ValueError(f"{directory}: not a dataset directory (no data/<config>/*.parquet)")
    for files in configs.values():
        for f in files:
            _check_parquet(f)
    return configs


def _check_parquet(path: Path) -> None:
    try:
        pq.ParquetFile(path).close()
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"{path}: not a readable parquet file ({exc})") from None


def text_columns_for(names: list[str], wanted: list[str] | None, where: Path | str) -> list[str]:
    """The text columns to use: ``wanted``, else question+answer, else text.

    ``names`` are the columns present; ValueError names ``where`` when one is missing.
    """
    present = set(names)
    if wanted:
        missing = [c for c in wanted if c not in present]
        if missing:
            raise ValueError(f"{where}: no column {missing[0]!r} (columns: {', '.join(names)})")
        return wanted
    for default in (["question", "answer"], ["text"]):
        if set(default) <= present:
            return default
    raise ValueError(f"{where}: no question/answer or text column; pass --text-column")


def input_files(paths: list[Path | str]) -> list[Path]:
    """Expand inputs (dataset directories, folders, files, globs) into data files, in order.

    ValueError when a path matches nothing or a file has an unknown format.
    """
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            if (p / DATA_DIR).is_dir():
                files += [f for fs in dataset_shards(p).values() for f in fs]
                continue
            found = sorted(
                f for f in p.iterdir() if f.is_file() and _is_data_file(f) and f.name[0] != "."
            )
            if not found:
                raise ValueError(f"{p}: no .parquet or .jsonl files in this folder")
            files += found
        elif p.is_file():
            if not _is_data_file(p):
                raise ValueError(f"{p}: unknown format (expected .parquet or .jsonl)")
            files.append(p)
        else:
            matched = sorted(Path(m) for m in glob.glob(str(raw)))
            if not matched:
                raise ValueError(f"{raw}: no such file or directory")
            files += input_files(matched)
    return files


def _is_data_file(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".parquet") or name.endswith(JSONL_SUFFIXES)


@dataclass
class ReadStats:
    """What reading skipped: malformed lines per file, with the first problem of each."""

    rows: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    first_problem: dict[str, str] = field(default_factory=dict)

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

    Values are read as strings. JSON Lines records that are not valid JSON objects
    (or not UTF-8) are skipped and counted in ``stats``; a parquet file that cannot
    be read, or a file lacking a required column, raises ValueError naming it.
    """
    stats = stats if stats is not None else ReadStats()
    wanted = [*columns, *[c for c in optional if c not in columns]]
    schema = pa.schema([(c, pa.string()) for c in wanted])
    parts = []
    for f in files:
        table = _read_parquet(f, columns, wanted) if f.suffix == ".parquet" else None
        if table is None:
            table = _read_jsonl(f, columns, wanted, stats)
        parts.append(table.cast(schema))
    out = pa.concat_tables(parts) if parts else schema.empty_table()
    stats.rows += out.num_rows
    return out


def _read_parquet(path: Path, required: list[str], wanted: list[str]) -> pa.Table:
    try:
        pf = pq.ParquetFile(path)
        names = pf.schema_arrow.names
        _require(names, required, path)
        table = pf.read(columns=[c for c in wanted if c in names])
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"{path}: not a readable parquet file ({exc})") from None
    for c in wanted:
        if c not in table.column_names:
            table = table.append_column(c, pa.nulls(table.num_rows, pa.string()))
        elif not pa.types.is_string(table.schema.field(c).type):
            table = table.set_column(table.schema.get_field_index(c), c, table[c].cast(pa.string()))
    return table.select(wanted)


def _require(names: list[str], required: list[str], where: Path) -> None:
    missing = [c for c in required if c not in names]
    if missing:
        raise ValueError(f"{where}: no column {missing[0]!r} (columns: {', '.join(names)})")


def _read_jsonl(path: Path, required: list[str], wanted: list[str], stats: ReadStats) -> pa.Table:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    cols: dict[str, list[str | None]] = {c: [] for c in wanted}
    seen: set[str] = set()
    try:
        with opener(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
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
                if not isinstance(record, dict):
                    stats.skip(str(path), f"{where}: not a JSON object")
                    continue
                seen.update(record)
                for c in wanted:
                    v = record.get(c)
                    cols[c].append(None if v is None else v if isinstance(v, str) else str(v))
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path}: cannot read ({exc})") from None
    if cols[wanted[0]] and not set(required) <= seen:
        _require(sorted(seen), required, path)
    return pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()})


def column_names(path: Path, sample_lines: int = 100) -> list[str]:
    """Columns of a parquet file, or the keys seen in the first JSON Lines records."""
    if path.suffix == ".parquet":
        _check_parquet(path)
        return pq.read_schema(path).names
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    names: dict[str, None] = {}
    try:
        with opener(path, "rb") as fh:
            for _, raw in zip(range(sample_lines), fh, strict=False):
                try:
                    record = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    continue
                if isinstance(record, dict):
                    names.update(dict.fromkeys(record))
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path}: cannot read ({exc})") from None
    return list(names)
