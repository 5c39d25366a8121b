"""The one input reader: every input form gives the same rows, errors name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mkdata.core.reader import (
    ReadStats,
    count_rows,
    file_schema,
    input_configs,
    is_hf_path,
    read_file,
    read_table,
)

ROWS = [{"id": f"r{i}", "question": f"question {i}", "answer": f"answer {i}"} for i in range(6)]


def write_forms(root: Path) -> dict[str, Path | str]:
    """The same six rows in every input form the reader takes."""
    table = pa.Table.from_pylist(ROWS)
    forms: dict[str, Path | str] = {}
    mk = root / "mkdata"
    for cfg, part in (("deu", table.slice(0, 3)), ("fra", table.slice(3))):
        (mk / "data" / cfg).mkdir(parents=True)
        pq.write_table(part, mk / "data" / cfg / "train-00000-of-00001.parquet")
    forms["mkdata"] = mk
    hub = root / "hub"
    (hub / "data").mkdir(parents=True)
    pq.write_table(table.slice(0, 2), hub / "data" / "train-00000-of-00002.parquet")
    pq.write_table(table.slice(2), hub / "data" / "train-00001-of-00002.parquet")
    (hub / "README.md").write_text("---\nconfigs: []\n---\n")
    forms["hub"] = hub
    from datasets import Dataset, DatasetDict

    Dataset.from_list(ROWS).save_to_disk(str(root / "saved"))
    forms["save_to_disk"] = root / "saved"
    DatasetDict(
        {"train": Dataset.from_list(ROWS), "test": Dataset.from_list(ROWS[:1])}
    ).save_to_disk(str(root / "saved_dict"))
    forms["save_to_disk_dict"] = root / "saved_dict"
    pq.write_table(table, root / "rows.parquet")
    forms["parquet"] = root / "rows.parquet"
    with open(root / "rows.jsonl", "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in ROWS)
    forms["jsonl"] = root / "rows.jsonl"
    forms["glob"] = str(root / "hub" / "data" / "train-*.parquet")
    return forms


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> dict[str, Path | str]:
    return write_forms(tmp_path_factory.mktemp("forms"))


def test_every_form_reads_the_same_rows(forms: dict[str, Path | str]) -> None:
    for name, path in forms.items():
        configs = input_configs([path])
        files = [f for fs in configs.values() for f in fs]
        table = read_table(files, ["question", "answer"], ("id",))
        assert sorted(table.column("id").to_pylist()) == sorted(r["id"] for r in ROWS), name
        assert sum(count_rows(f) for f in files) == 6, name
        assert {"id", "question", "answer"} <= set(file_schema(files[0]).names), name
        assert read_file(files[0]).num_rows >= 1, name
    assert list(input_configs([forms["mkdata"]])) == ["deu", "fra"]
    assert list(input_configs([forms["hub"]])) == ["default"]


def test_hf_paths_survive_path_objects() -> None:
    assert is_hf_path("hf://datasets/org/name") and is_hf_path(Path("hf://datasets/org/name"))


def test_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(ValueError, match=r"bad\.parquet: not a readable parquet"):
        input_configs([bad])
    with pytest.raises(ValueError, match="no such file"):
        input_configs([tmp_path / "missing"])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="unknown format"):
        input_configs([tmp_path / "notes.txt"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"no \.parquet"):
        input_configs([tmp_path / "empty"])
    lines = tmp_path / "mixed.jsonl"
    lines.write_bytes(b'{"question": "q", "answer": "a"}\nnot json\n\xff\xfe\n[1]\n')
    stats = ReadStats()
    table = read_table([lines], ["question", "answer"], (), stats)
    assert table.num_rows == 1 and sum(stats.skipped.values()) == 3
    assert "mixed.jsonl:2: invalid JSON" in stats.first_problem[str(lines)]
    with pytest.raises(ValueError, match="no column 'text'"):
        read_table([forms_file(tmp_path)], ["text"])


def forms_file(tmp_path: Path) -> Path:
    path = tmp_path / "one.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    return path


def test_odd_but_valid_files(tmp_path: Path) -> None:
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(b"\xef\xbb\xbf" + b"".join(json.dumps(r).encode() + b"\n" for r in ROWS))
    assert read_table([bom], ["question"]).num_rows == 6
    array = tmp_path / "rows.json"
    array.write_text(json.dumps(ROWS, indent=2))
    assert read_table([array], ["question"]).num_rows == 6
    upper = tmp_path / "UPPER.PARQUET"
    pq.write_table(pa.Table.from_pylist(ROWS), upper)
    assert read_table(input_configs([upper])["default"], ["question"]).num_rows == 6
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"question": "q1", "n": 1}\n{"question": "q2", "n": "two"}\n')
    assert read_file(mixed).column("n").to_pylist() == ["1", "two"]


def test_broken_containers_are_one_line_errors(tmp_path: Path) -> None:
    gz = tmp_path / "rows.jsonl.gz"
    import gzip

    data = bytearray(gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in ROWS) * 50))
    data[30:40] = b"\x00" * 10
    gz.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"rows\.jsonl\.gz: cannot read"):
        read_table([gz], ["question"])
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "state.json").write_text("[]")
    with pytest.raises(ValueError, match="not a readable save_to_disk folder"):
        input_configs([saved])
    (saved / "state.json").unlink()
    (saved / "dataset_dict.json").write_text('{"splits": null}')
    with pytest.raises(ValueError, match="not a readable save_to_disk folder"):
        input_configs([saved])
