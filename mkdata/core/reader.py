"""The one input reader: every command that reads a dataset reads it through here.

An input is any of:

- an mkdata dataset directory: ``DIR/data/<config>/*.parquet`` (or ``.jsonl``);
- a Hub-layout directory, as ``huggingface_hub`` downloads one: ``DIR/data/train-*.parquet``
  (config ``default``) and/or ``DIR/data/<config>/...``;
- a ``Dataset.save_to_disk`` directory (``state.json`` + ``data-*.arrow``), or a
  ``DatasetDict`` one (its ``train`` split, else every split);
- a folder of data files, a data file (``.parquet``, ``.arrow``, ``.jsonl``, ``.jsonl.gz``,
  ``.json`` with one object per line, ``.ndjson``), or a glob;
- ``hf://datasets/ORG/NAME[@REVISION][/PATH]``: downloaded once into the cache with
  ``huggingface_hub`` (``HF_ENDPOINT`` and ``HF_TOKEN`` from the environment), then read
  as a Hub-layout directory.

Errors are ValueError with one line naming the file (and the record, for JSON Lines).
"""

from __future__ import annotations

import glob
import json
import re
from pathlib import Path

from mkdata.core.fetch import default_cache_dir
from mkdata.core.records import (  # noqa: F401 (the reader's public interface)
    DATA_SUFFIXES,
    JSONL_SUFFIXES,
    ReadStats,
    check_parquet,
    column_names,
    count_rows,
    file_schema,
    is_parquet,
    iter_batches,
    malformed_records,
    read_file,
    read_table,
)
from mkdata.core.shards import DATA_DIR

METADATA_FILES = {"dataset_info.json", "state.json", "dataset_dict.json", "mkdata.json"}
DEFAULT_CONFIG = "default"
_HF = re.compile(r"^hf:/+datasets/([^/@]+/[^/@]+)(?:@([^/]+))?(?:/(.*))?$")


def is_hf_path(raw: str | Path) -> bool:
    """True for ``hf://datasets/...`` paths (also after ``Path`` collapsed the ``//``)."""
    return str(raw).startswith("hf:/")


def download_hf(raw: str | Path, cache_dir: Path | None = None) -> Path:
    """The local folder holding the data files of ``hf://datasets/ORG/NAME[@REV][/PATH]``."""
    raw = "hf://" + str(raw).split(":", 1)[1].lstrip("/")  # Path() folds the "//"
    m = _HF.match(raw)
    if not m:
        raise ValueError(f"{raw}: expected hf://datasets/ORG/NAME[@REVISION][/PATH]")
    repo, revision, sub = m.group(1), m.group(2), (m.group(3) or "").strip("/")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    prefix = f"{sub}/" if sub else ""
    patterns = [f"{prefix}*{suffix}" for suffix in DATA_SUFFIXES]
    patterns += [f"{prefix}**/*{suffix}" for suffix in DATA_SUFFIXES]
    try:
        local = snapshot_download(
            repo,
            repo_type="dataset",
            revision=revision,
            allow_patterns=patterns,
            cache_dir=str((cache_dir or default_cache_dir()) / "hf"),
        )
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split()).split(". ")[0][:160]
        raise ValueError(f"{raw}: cannot download ({type(exc).__name__}: {reason})") from None
    target = Path(local) / sub
    if not target.exists():
        raise ValueError(f"{raw}: no such path in the repository")
    return target


def _visible(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir() if not f.name.startswith((".", "_")))


def _data_files(folder: Path) -> list[Path]:
    return [f for f in _visible(folder) if f.is_file() and _is_data_file(f)]


def _saved_dataset(folder: Path) -> list[Path]:
    """The arrow files of a ``save_to_disk`` folder (a Dataset, or a DatasetDict's splits)."""
    if (folder / "dataset_dict.json").is_file():
        splits = json.loads((folder / "dataset_dict.json").read_text("utf-8")).get("splits", [])
        if not isinstance(splits, list) or not all(_plain_name(x) for x in splits):
            raise ValueError("dataset_dict.json: 'splits' must list plain split names")
        chosen = ["train"] if "train" in splits else splits
        return [f for split in chosen for f in _saved_dataset(folder / split)]
    state = json.loads((folder / "state.json").read_text("utf-8"))
    names = [f["filename"] for f in state.get("_data_files", [])]
    if not all(_plain_name(x) for x in names):
        raise ValueError("state.json: data files must be plain file names in the folder")
    return [folder / name for name in names]


def _plain_name(name: object) -> bool:
    return isinstance(name, str) and bool(name) and "/" not in name and name not in (".", "..")


def _folder_configs(folder: Path) -> dict[str, list[Path]]:
    if (folder / "state.json").is_file() or (folder / "dataset_dict.json").is_file():
        try:
            return {DEFAULT_CONFIG: _saved_dataset(folder)}
        except (ValueError, KeyError, OSError, AttributeError, TypeError) as exc:
            raise ValueError(f"{folder}: not a readable save_to_disk folder ({exc})") from None
    data = folder / DATA_DIR
    if data.is_dir():
        configs: dict[str, list[Path]] = {}
        top = _data_files(data)
        if top:
            configs[DEFAULT_CONFIG] = top
        for sub in _visible(data):
            if sub.is_dir():
                files = _data_files(sub)
                if files:
                    configs.setdefault(sub.name, []).extend(files)
        if not configs:
            raise ValueError(
                f"{folder}: not a dataset directory (no data/<config>/*.parquet or data/*.parquet)"
            )
        return configs
    files = _data_files(folder)
    if not files:
        raise ValueError(f"{folder}: no .parquet, .arrow or .jsonl files in this folder")
    return {DEFAULT_CONFIG: files}


def input_configs(paths: list[Path | str], cache_dir: Path | None = None) -> dict[str, list[Path]]:
    """The data files of ``paths`` per config, in order (see the module docstring).

    Dataset directories contribute their configs; files, folders and globs go to
    ``default``. ValueError (one line, naming the path) when a path matches nothing,
    a file has an unknown format or a parquet file is unreadable.
    """
    configs: dict[str, list[Path]] = {}
    for raw in paths:
        for config, files in _one_input(raw, cache_dir).items():
            configs.setdefault(config, []).extend(files)
    for files in configs.values():
        for f in files:
            if is_parquet(f):
                check_parquet(f)
    return configs


def _one_input(raw: Path | str, cache_dir: Path | None) -> dict[str, list[Path]]:
    if is_hf_path(raw):
        return _folder_configs(download_hf(raw, cache_dir))
    p = Path(raw).expanduser()
    if p.is_dir():
        return _folder_configs(p)
    if p.is_file():
        if not _is_data_file(p):
            raise ValueError(f"{p}: unknown format (expected .parquet, .arrow or .jsonl)")
        return {DEFAULT_CONFIG: [p]}
    if p.is_symlink():
        raise ValueError(f"{raw}: a link to nothing (its target is missing, or a loop)")
    # what a glob matches: files and folders (links to nothing are left out, as in folders)
    matched = sorted(Path(m) for m in glob.glob(str(p), recursive=True))
    matched = [m for m in matched if m.is_dir() or m.is_file()]
    if not matched:
        raise ValueError(f"{raw}: no such file or directory")
    out: dict[str, list[Path]] = {}
    for m in matched:
        if m.is_file() and not _is_data_file(m):
            continue
        for config, files in _one_input(m, cache_dir).items():
            out.setdefault(config, []).extend(files)
    if not out:
        raise ValueError(f"{raw}: matches no .parquet, .arrow or .jsonl file")
    return out


def input_files(paths: list[Path | str], cache_dir: Path | None = None) -> list[Path]:
    """Every data file of ``paths`` (all configs), in order; see :func:`input_configs`."""
    return [f for files in input_configs(paths, cache_dir).values() for f in files]


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


def _is_data_file(path: Path) -> bool:
    return path.name.lower().endswith(DATA_SUFFIXES) and path.name not in METADATA_FILES
