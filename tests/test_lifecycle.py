"""The one lifecycle, end to end through the CLI: owned outputs, the lock, every input form on
every reading command, and the command line itself (help, choices, completion)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import GOLD_TUPLES, one_line_error, run_cli

from mkdata.core.errors import EXIT_LOCKED
from mkdata.core.output import OutputRun

LANGS = ("deu", "eng", "fra")


def qa_rows() -> list[dict[str, str]]:
    return [
        {
            "id": f"{lang}-{i}",
            "language": lang,
            "origin": f"https://s{i % 8}.example",
            "question": t[lang],
            "answer": f"{t[lang]} {t[lang]}",
            "text": f"{t[lang]} {t[lang]}",
        }
        for lang in LANGS
        for i, t in enumerate(GOLD_TUPLES)
    ]


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def rows_of(out: Path) -> int:
    files = [f for f in (out / "data").rglob("*") if f.suffix in (".parquet", ".jsonl")]
    return sum(
        pq.ParquetFile(f).metadata.num_rows
        if f.suffix == ".parquet"
        else len(f.read_text().splitlines())
        for f in files
    )


@pytest.fixture(scope="module")
def forms(tmp_path_factory) -> dict[str, str]:
    """The same QA rows as an mkdata dataset, a Hub-layout folder, save_to_disk, parquet,
    jsonl and a glob."""
    from datasets import Dataset

    root = tmp_path_factory.mktemp("forms")
    rows = qa_rows()
    table = pa.Table.from_pylist(rows)
    for lang in LANGS:
        (root / "mk" / "data" / lang).mkdir(parents=True)
        part = table.filter(pa.compute.equal(table["language"], lang))
        pq.write_table(part, root / "mk" / "data" / lang / "train-00000-of-00001.parquet")
    (root / "hub" / "data").mkdir(parents=True)
    pq.write_table(table.slice(0, 80), root / "hub/data/train-00000-of-00002.parquet")
    pq.write_table(table.slice(80), root / "hub/data/train-00001-of-00002.parquet")
    Dataset.from_list(rows).save_to_disk(str(root / "saved"))
    pq.write_table(table, root / "rows.parquet")
    (root / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {
        "mkdata": str(root / "mk"),
        "hub": str(root / "hub"),
        "save_to_disk": str(root / "saved"),
        "parquet": str(root / "rows.parquet"),
        "jsonl": str(root / "rows.jsonl"),
        "glob": str(root / "hub" / "data" / "*.parquet"),
    }


READERS = {
    "dedup": (["dedup"], []),
    "export-beir": (["export", "beir"], ["--test-size", "0.2", "--split-by", "none"]),
    "bitext": (["mine", "bitext"], ["--pairs", "deu-eng,fra-eng"]),
    "negatives": (["mine", "negatives"], ["--method", "bm25", "--num-negatives", "2"]),
    "passages": (["synth", "passages"], ["--words", "20"]),
}


@pytest.mark.parametrize("command", list(READERS))
def test_every_input_form_on_every_reading_command(
    command: str, forms: dict[str, str], tmp_path: Path
) -> None:
    argv, extra = READERS[command]
    totals = {}
    for name, path in forms.items():
        out = tmp_path / name
        run_cli(*argv, path, "--out", str(out), *extra, check=True)
        totals[name] = rows_of(out)
        if command == "bitext":
            totals[name] = pl.read_parquet(out / "data" / "*" / "*.parquet").sort("src_id").rows()
    assert totals["mkdata"], command
    assert all(v == totals["mkdata"] for v in totals.values()), (command, totals)


def test_hf_paths_read_through_the_hub(forms: dict[str, str], tmp_path: Path) -> None:
    from hub_server import HubServer

    with HubServer() as hub:
        env = {"HF_ENDPOINT": hub.url, "HF_HUB_DISABLE_XET": "1", "HF_HUB_OFFLINE": "0"}
        upload = (
            "import sys; from huggingface_hub import HfApi; api = HfApi(token='hf_test')\n"
            "api.create_repo(sys.argv[2], repo_type='dataset')\n"
            "api.upload_folder(folder_path=sys.argv[1], repo_id=sys.argv[2], repo_type='dataset')"
        )
        for repo, ref in (("org/qa", "hub"), ("org/qa-mk", "mkdata")):
            subprocess.run(
                [sys.executable, "-c", upload, forms[ref], repo],
                env={**os.environ, **env},
                check=True,
            )
        for repo, ref in (("org/qa", "hub"), ("org/qa-mk", "mkdata")):
            for command in ("dedup", "bitext"):
                argv, extra = READERS[command]
                out = tmp_path / f"{command}-{ref}"
                run_cli(
                    *argv, f"hf://datasets/{repo}", "--out", str(out), *extra, check=True, env=env
                )
                local = tmp_path / f"{command}-{ref}-local"
                run_cli(*argv, forms[ref], "--out", str(local), *extra, check=True)
                assert tree(out / "data") == tree(local / "data")
        missing = run_cli("dedup", "hf://datasets/org/nope", "--out", str(tmp_path / "x"), env=env)
        assert "hf://datasets/org/nope: cannot download" in one_line_error(missing)
        assert not (tmp_path / "x").exists()


WRITERS = {
    "build": ["build", "webfaq", "--langs", "all", "--sample"],
    "dedup": ["dedup", "{qa}"],
    "bitext": ["mine", "bitext", "{qa}", "--pairs", "deu-eng"],
    "negatives": ["mine", "negatives", "{qa}", "--method", "bm25"],
    "beir": ["export", "beir", "{qa}"],
    "passages": ["synth", "passages", "{qa}"],
    "sap": ["synth", "sap", "{qa}", "--langs", "deu", "--model", "m", "--backend", "openai",
            "--base-url", "http://127.0.0.1:9/v1"],
    "label": ["label", "{qa}", "--model", "m", "--backend", "openai", "--base-url",
              "http://127.0.0.1:9/v1"],
}  # fmt: skip


@pytest.mark.parametrize("command", list(WRITERS))
def test_foreign_output_is_refused_and_untouched(
    command: str, forms: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "photos"
    (out / "data" / "photos").mkdir(parents=True)
    (out / "data" / "photos" / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    (out / "README.md").write_text("my notes")
    before = tree(out)
    argv = [a.replace("{qa}", forms["mkdata"]) for a in WRITERS[command]]
    line = one_line_error(run_cli(*argv, "--out", str(out)))
    assert "not written by mkdata" in line and str(out) in line
    assert tree(out) == before and not (out / ".mkdata").exists()


def test_root_and_files_are_refused(tmp_path: Path) -> None:
    line = one_line_error(run_cli(*WRITERS["build"], "--out", "/"))
    assert "not written by mkdata" in line
    assert not Path("/mkdata.json").exists()
    f = tmp_path / "f.txt"
    f.write_text("x")
    assert "not a directory" in one_line_error(run_cli(*WRITERS["build"], "--out", str(f)))


def test_another_commands_output_needs_overwrite(forms: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_cli("dedup", forms["mkdata"], "--out", str(out), check=True)
    line = one_line_error(run_cli("export", "beir", forms["mkdata"], "--out", str(out)))
    assert "mkdata dedup" in line and "--overwrite" in line
    run_cli("export", "beir", forms["mkdata"], "--out", str(out), "--overwrite", check=True)
    m = json.loads((out / "mkdata.json").read_text())
    assert m["command"] == "export beir" and (out / "beir").is_dir()


def test_locked_output_exits_75_and_concurrent_builds_stay_consistent(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputRun(out, "build webfaq"):
        proc = run_cli(*WRITERS["build"], "--out", str(out))
    assert proc.returncode == EXIT_LOCKED and "another mkdata run" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    env = {**os.environ, "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "mkdata", *WRITERS["build"], "--out", str(out)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(3)]  # fmt: skip
    codes = sorted(p.wait() for p in procs)
    assert codes[0] == 0 and set(codes) <= {0, EXIT_LOCKED}, codes
    m = json.loads((out / "mkdata.json").read_text())
    assert rows_of(out) == sum(c["train"] for c in m["configs"].values())
    for f in (out / "data").rglob("*.parquet"):
        pq.read_table(f)


def all_commands() -> list[list[str]]:
    return [
        [], ["build"], ["build", "webfaq"], ["build", "mfaq"], ["dedup"], ["mine"],
        ["mine", "bitext"], ["mine", "negatives"], ["eval"], ["eval", "bitext"], ["eval", "retrieval"], ["synth"],
        ["synth", "sap"], ["synth", "passages"], ["export"], ["export", "beir"], ["push"],
        ["run"], ["card"], ["label"],
    ]  # fmt: skip


def test_help_of_every_command_lists_choices() -> None:
    for argv in all_commands():
        proc = run_cli(*argv, "--help", check=True)
        assert "Usage: mkdata" in proc.stdout and "Traceback" not in proc.stderr, argv
    assert "ratio|distance|absolute" in run_cli("mine", "bitext", "--help").stdout
    assert "local|ray" in run_cli("dedup", "--help").stdout
    assert "n-tuple|triplet|labeled-pair" in run_cli("mine", "negatives", "--help").stdout


def test_shell_completion() -> None:
    env = {"_MKDATA_COMPLETE": "complete_bash", "COMP_WORDS": "mkdata mine ", "COMP_CWORD": "2"}
    proc = run_cli(env=env)
    assert "bitext" in proc.stdout and "negatives" in proc.stdout
    assert "--install-completion" in run_cli("--help").stdout


def test_bad_choice_is_one_line_exit_2(forms: dict[str, str], tmp_path: Path) -> None:
    line = one_line_error(
        run_cli("dedup", forms["mkdata"], "--out", str(tmp_path / "o"), "--executor", "spark")
    )
    assert "--executor" in line and "local" in line
    assert not (tmp_path / "o").exists()


def test_inputs_inside_the_output_are_refused(forms: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "x3"
    run_cli("dedup", forms["mkdata"], "--out", str(out), check=True)
    before = tree(out)
    for argv in (
        ["dedup", str(tmp_path / "x[3]")],  # a glob that matches OUT
        ["export", "beir", str(out / "data" / "deu")],  # an input under OUT
    ):
        line = one_line_error(run_cli(*argv, "--out", str(out), "--overwrite"))
        assert "holds an input of this run" in line
        assert tree(out) == before


def test_links_to_nothing_are_named_or_left_out(tmp_path: Path) -> None:
    """A link given as input that points to nothing (missing target, a loop) is one error
    line; a glob or a folder that holds such links reads the files beside them."""
    folder = tmp_path / "in"
    folder.mkdir()
    text = "How long does shipping to Norway take with the standard parcel service?"
    (folder / "ok.jsonl").write_text(json.dumps({"id": "a", "text": text}) + "\n")
    (folder / "dangling.jsonl").symlink_to(tmp_path / "missing.jsonl")
    (folder / "loop.jsonl").symlink_to(folder / "loop.jsonl")
    for link in ("dangling.jsonl", "loop.jsonl"):
        proc = run_cli("dedup", str(folder / link), "--out", str(tmp_path / "o"))
        assert proc.returncode == 2, proc.stderr
        assert f"{folder / link}: a link to nothing" in one_line_error(proc)
    for i, given in enumerate((folder, folder / "*.jsonl", folder / "**" / "*.jsonl")):
        out = tmp_path / f"out{i}"
        run_cli("dedup", str(given), "--out", str(out), check=True, timeout=120)
        assert json.loads((out / "mkdata.json").read_text())["configs"]["default"]["train"] == 1


def test_hostile_json_lines_are_skipped_by_line(tmp_path: Path) -> None:
    """A record nested 100,000 deep, a 5,000-digit number and a lone surrogate escape are
    skipped and named by file and line; the records around them are read."""
    text = "How long does shipping to Norway take with the standard parcel service?"
    lines = [
        json.dumps({"id": "a", "text": text}),
        '{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"id": "big", "text": "x", "n": ' + "9" * 5000 + "}",
        '{"id": "half", "text": "a \\ud800 b"}',
        '{"id": "pair", "text": "an emoji \\ud83d\\ude00 is text"}',
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    proc = run_cli("dedup", str(src), "--out", str(out), check=True)
    kept = pl.read_parquet(out / "data" / "default" / "*.parquet")
    assert kept["id"].to_list() == ["a", "pair"] and "\U0001f600" in kept["text"][1]
    m = json.loads((out / "mkdata.json").read_text())
    assert m["dedup"]["malformed"] == 3
    assert m["dedup"]["malformed_examples"] == [f"{src}:2: unreadable JSON (RecursionError)"]
    assert f"{src}:2" in proc.stderr


def test_damaged_manifest_is_one_error_line(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    run_cli("build", "webfaq", "--sample", "--langs", "deu", "--out", str(out), check=True)
    for bad in ('{"configs": []}', '{"configs": {"deu": {"train": "12"}}}', "[1]", '{"configs'):
        (out / "mkdata.json").write_text(bad)
        for command in ("stats", "card"):
            line = one_line_error(run_cli(command, str(out)))
            assert f"{out / 'mkdata.json'}: not" in line, (bad, line)


@pytest.mark.parametrize(
    "content, problem",
    [
        ('{"text": "a"}\n'.encode("utf-16"), "line 1: not UTF-8"),
        (b"hello\nworld\n", "line 1: invalid JSON"),
        (b'{\n "text": "pretty-printed"\n}\n', "line 1: invalid JSON"),
    ],
    ids=["utf-16", "plain text", "one object over lines"],
)
def test_a_file_with_no_json_line_is_one_error_line(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    """Not a JSON Lines file at all (another encoding, plain text, one object spread over
    lines): named with its first problem, not read as an empty input."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(content)
    for command in (["dedup"], ["export", "beir"]):
        proc = run_cli(*command, str(src), "--out", str(tmp_path / command[-1]))
        line = one_line_error(proc)
        assert f"{src}: no readable JSON object in it ({problem}" in line, line
    assert src.read_bytes() == content
