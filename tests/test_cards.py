"""Dataset cards per record type and `mkdata stats`, end to end through the CLI.

For each output type: the card loads with `huggingface_hub.DatasetCard.load`, its metadata
holds only values the Hub accepts, every "How to load" snippet runs as written, every
linked chart exists as a PNG, and `mkdata stats` reads the output.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_cli

from mkdata.cards.hub_values import MULTILINGUALITY, SIZE_CATEGORIES, TASKS
from mkdata.core.lang import known_languages

HUB_LICENSES = {"other", "unknown", "apache-2.0", "mit", "cc-by-4.0", "cc-by-sa-4.0", "odc-by"}
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    """One output of every record type: the example pipeline's (build, dedup, bitext,
    benchmark, negatives), plus FAQ pages, flag-jsonl negatives with teacher scores, triplets
    with scores, and passages."""
    folder = tmp_path_factory.mktemp("cards") / "ex"
    shutil.copytree(ROOT / "examples", folder)
    run_cli("run", str(folder / "webfaq-benchmark.toml"), check=True)
    work = folder / "out"
    dedup = work / "webfaq-dedup"
    extra = {
        "pages": ["build", "mfaq", "--sample", "--langs", "all", "--layout", "page"],
        "flag": ["mine", "negatives", str(dedup), "--method", "bm25", "--format", "flag-jsonl",
                 "--candidates", "3"],
        "triplets": ["mine", "negatives", str(dedup), "--method", "bm25", "--format", "triplet",
                     "--scores", "--num-negatives", "2"],
        "passages": ["synth", "passages", str(ROOT / "examples" / "docs.jsonl")],
    }  # fmt: skip
    for name, argv in extra.items():
        run_cli(*argv, "--out", str(work / name), check=True)
    return {
        "qa-pair": work / "webfaq",
        "dedup": dedup,
        "bitext": work / "webfaq-bitext",
        "beir": work / "webfaq-beir",
        "negatives": work / "webfaq-negatives",
        "faq-page": work / "pages",
        "flag-jsonl": work / "flag",
        "triplet": work / "triplets",
        "passage": work / "passages",
    }


def snippets(text: str, section: str) -> list[str]:
    """The python code blocks of the card section titled ``section``."""
    body = text.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, re.S)


def check_tables(text: str) -> None:
    """Every Markdown table of ``text`` has as many cells in each line as in its header."""
    tables = re.findall(r"(?:^\|.*\|\n)+", text, re.M)
    assert tables
    for table in tables:
        widths = {len(re.split(r"(?<!\\)\|", line[1:-1])) for line in table.splitlines()}
        assert len(widths) == 1, table


def check_card(out: Path, tmp_path: Path) -> dict[str, Any]:
    """Every promise of a card; returns its metadata."""
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(out / "README.md")
    meta = card.data.to_dict()
    known = known_languages()
    assert meta.get("language"), out
    assert all(lang in known for lang in meta["language"]), meta["language"]
    assert meta["multilinguality"] in MULTILINGUALITY
    assert all(s in SIZE_CATEGORIES for s in meta["size_categories"])
    assert meta["license"] in HUB_LICENSES
    cats = meta["task_categories"]
    assert cats and all(c in TASKS for c in cats)
    assert all(any(t in TASKS[c] for c in cats) for t in meta.get("task_ids", []))
    assert meta["pretty_name"] and "mkdata webfaq dataset" not in card.text
    defaults = [c for c in meta["configs"] if c.get("default")]
    assert len(defaults) <= 1
    for config in meta["configs"]:
        for files in config["data_files"]:
            assert list(out.glob(files["path"])), (config["config_name"], files)
    code = snippets(card.text, "How to load")
    assert code, out
    for block in code:
        proc = subprocess.run(
            [sys.executable, "-c", block + "\nprint(len(locals()))"],
            capture_output=True, text=True, cwd=tmp_path,
        )  # fmt: skip
        assert proc.returncode == 0, block + proc.stderr[-2000:]
    check_tables(card.text)
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", card.text)
    assert images, out
    for rel in images:
        assert not rel.startswith(("/", "http")) and (out / rel).read_bytes().startswith(PNG)
    return meta


@pytest.mark.parametrize(
    "kind",
    ["qa-pair", "dedup", "bitext", "beir", "negatives", "faq-page", "flag-jsonl", "triplet",
     "passage"],
)  # fmt: skip
def test_card_of_every_record_type(outputs: dict[str, Path], kind: str, tmp_path: Path) -> None:
    out = outputs[kind]
    meta = check_card(out, tmp_path)
    text = (out / "README.md").read_text()
    titles = {
        "qa-pair": "FAQ question-answer pairs", "dedup": "deduplicated rows",
        "bitext": "mined parallel pairs", "beir": "retrieval benchmark",
        "negatives": "hard negatives", "faq-page": "FAQ pages", "flag-jsonl": "hard negatives",
        "triplet": "hard negatives", "passage": "passages",
    }  # fmt: skip
    assert titles[kind] in meta["pretty_name"]
    if kind == "bitext":
        assert meta["multilinguality"] == "translation" and "artetxe2019margin" in text
        assert (out / "images" / "scores.png").exists()
    if kind == "beir":
        assert set(meta["language"]) >= {"deu", "eng"} and "corpus" not in meta["language"]
        assert "(images/splits.png)" in text and "thakur2021beir" in text
    if kind in ("dedup", "bitext", "negatives", "beir"):
        assert "## Made from" in text and "`mkdata " in text.split("## Made from")[1]
    if kind in ("qa-pair", "dedup", "negatives", "bitext"):
        assert any(c.get("default") and c["config_name"] == "all" for c in meta["configs"])
    if kind in ("flag-jsonl", "triplet"):
        assert "(images/scores.png)" in text
    if kind == "dedup":
        assert "(images/clusters.png)" in text and "(images/funnel.png)" in text


def test_card_name_plots_and_push_upload_images(outputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "copy"
    shutil.copytree(outputs["bitext"], out)
    run_cli("card", str(out), "--name", "My FAQ bitext", "--no-plots", check=True)
    meta = check_card(out, tmp_path)
    assert meta["pretty_name"] == "My FAQ bitext"
    shutil.rmtree(out / "images")
    run_cli("card", str(out), check=True)  # the name is kept; the charts are drawn again
    assert check_card(out, tmp_path)["pretty_name"] == "My FAQ bitext"
    proc = run_cli("push", str(out), "--repo", "org/faq-bitext", "--dry-run", check=True)
    assert "would upload images/scores.png" in proc.stdout


@pytest.mark.parametrize(
    "kind",
    ["qa-pair", "dedup", "bitext", "beir", "negatives", "faq-page", "flag-jsonl", "triplet",
     "passage"],
)  # fmt: skip
def test_stats_of_every_record_type(outputs: dict[str, Path], kind: str, tmp_path: Path) -> None:
    out = outputs[kind]
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    report = tmp_path / "stats.json"
    images = tmp_path / "charts"
    proc = run_cli("stats", str(out), "--json", str(report), "--plots", "--images", str(images),
                   check=True)  # fmt: skip
    assert "rows" in proc.stdout and "duplicates" in proc.stdout
    st = json.loads(report.read_text())
    m = json.loads((out / "mkdata.json").read_text())
    expected = {(c, s): n for c, splits in m["configs"].items() for s, n in splits.items() if n}
    assert {(s["config"], s["split"]): s["rows"] for s in st["splits"]} == expected
    for s in st["splits"]:
        assert (s["lengths"] or s["config"].endswith("-qrels")) and all(q["chars_p5"] <= q["chars_p50"] <= q["chars_p95"]
                                    for q in s["lengths"].values() if q)  # fmt: skip
        assert 0 <= s["duplicates"] <= 1 and s["examples"]
    assert (images / "lengths.png").read_bytes().startswith(PNG)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # read only


def test_stats_counts_exact_duplicates_and_refuses_bad_dirs(tmp_path: Path) -> None:
    texts = ["Wie geht das? " * 3, "wie geht das " * 3, "Was kostet es? " * 3, "WIE GEHT DAS! " * 3]
    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": f"d{i}", "language": "deu", "text": t}) + "\n"
                            for i, t in enumerate(texts)))  # fmt: skip
    out = tmp_path / "p"
    run_cli("synth", "passages", str(docs), "--out", str(out), "--words", "10", check=True)
    report = tmp_path / "s.json"
    run_cli("stats", str(out), "--json", str(report), check=True)
    [split] = json.loads(report.read_text())["splits"]
    assert split["rows"] == 4 and split["duplicates"] == 0.5
    assert split["languages"] == {"deu": 1.0}
    (tmp_path / "plain").mkdir()
    bad = run_cli("stats", str(tmp_path / "plain"))
    assert bad.returncode == 2 and "mkdata.json" in bad.stderr
    inside = run_cli("stats", str(out), "--plots", "--images", str(out / "images2"))
    assert inside.returncode != 0 and "never writes there" in inside.stderr
    inside = run_cli("stats", str(out), "--json", str(out / "s.json"))
    assert inside.returncode != 0 and "never writes there" in inside.stderr
    here = run_cli("stats", ".", "--plots", "--images", str(tmp_path / "charts"), cwd=out)
    assert here.returncode == 0 and (tmp_path / "charts" / "lengths.png").exists()


def test_card_of_an_empty_output_is_valid(tmp_path: Path) -> None:
    from huggingface_hub import DatasetCard

    out = tmp_path / "empty"
    run_cli("build", "webfaq", "--sample", "--langs", "tha", "--out", str(out))
    card = DatasetCard.load(out / "README.md")
    assert "configs" not in card.data.to_dict() and "nothing to load" in card.text


def test_card_and_stats_of_categorical_and_of_no_text_columns(tmp_path: Path) -> None:
    """A dictionary-encoded (categorical) text column is measured as text; a dataset with no
    text column to measure still gets a well-formed statistics table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = ["How long does shipping to Norway take by parcel?", "Which cards do you take?"]
    src = tmp_path / "in"
    src.mkdir()
    table = pa.table(
        {"id": ["a", "b", "c"], "text": pa.array([*texts, texts[0]]).dictionary_encode()}
    )
    pq.write_table(table, src / "a.parquet")
    out = tmp_path / "out"
    run_cli("dedup", str(src), "--out", str(out), "--exact", check=True)
    card = (out / "README.md").read_text()
    check_tables(card)
    assert "`text` chars p50 (p95)" in card
    run_cli("stats", str(out), "--json", str(tmp_path / "stats.json"), check=True)
    split = json.loads((tmp_path / "stats.json").read_text())["splits"][0]
    assert split["lengths"]["text"]["chars_p50"] > 0
    numbers = tmp_path / "numbers"
    numbers.mkdir()
    pq.write_table(pa.table({"text": texts, "n": [1, 2]}), numbers / "a.parquet")
    out2 = tmp_path / "out2"
    run_cli("dedup", str(numbers), "--out", str(out2), "--exact", check=True)
    shutil.rmtree(out2 / "data" / "default")  # its shards replaced by ones without text
    (out2 / "data" / "default").mkdir()
    pq.write_table(
        pa.table({"n": [1, 2]}), out2 / "data" / "default" / "train-00000-of-00001.parquet"
    )
    run_cli("card", str(out2), check=True)
    check_tables((out2 / "README.md").read_text())


CLI_IN_PROCESS = """
import sys
from mkdata.cli import main
sys.argv = ["mkdata", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print("matplotlib imported:", "matplotlib" in sys.modules)
"""


def test_a_build_starts_the_chart_helper_once_a_core_is_left_free(tmp_path: Path) -> None:
    """With as many workers as cores no core is free at the start; once the last units
    run, one is, and the helper starts then: the command still never imports matplotlib."""
    import os

    from mkdata.builders.webfaq import sample_path

    cores = os.cpu_count() or 1
    if cores < 2:
        pytest.skip("one core: no core is ever left free")
    sources = []
    for i in range(cores + 1):
        sources += ["--source", str(tmp_path / f"part-{i}.nq.gz")]
        shutil.copyfile(sample_path(), tmp_path / f"part-{i}.nq.gz")
    argv = ["build", "webfaq", *sources, "--workers", str(cores), "--out", str(tmp_path / "out")]
    proc = subprocess.run(
        [sys.executable, "-c", CLI_IN_PROCESS, *argv], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "matplotlib imported: False" in proc.stdout
    assert len(list((tmp_path / "out" / "images").glob("*.png"))) == 3


def test_charts_are_drawn_by_the_helper_process(tmp_path: Path) -> None:
    """A command's charts come from the helper started with its run: the command's own
    process never imports matplotlib, and the charts are those drawn in-process."""
    from mkdata.core.runner import core_left_free

    if not core_left_free(1):
        pytest.skip("one core: a one-worker build leaves none free for the chart helper")
    out = tmp_path / "out"
    argv = ["build", "webfaq", "--sample", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-c", CLI_IN_PROCESS, *argv], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "matplotlib imported: False" in proc.stdout
    charts = sorted(p.name for p in (out / "images").iterdir())
    assert charts == ["funnel.png", "languages.png", "lengths.png"]

    from mkdata.cards import card
    from mkdata.cards.plots import write_charts
    from mkdata.core.manifest import read_manifest

    stats = card.dataset_stats(out, sample_rows=card.CARD_SAMPLE_ROWS, max_rows=card.CARD_MAX_ROWS)
    here = write_charts(stats, read_manifest(out), tmp_path / "here")
    assert sorted(name for _, name in here) == charts
    for name in charts:
        assert (out / "images" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


SHARED_DRAW = """
import os, pickle, sys
from pathlib import Path
forks, fork = [], os.fork
os.fork = lambda: forks.append(1) or fork()
from mkdata.cards import chart_process
chart_process._warm_up()
st, m = pickle.loads(Path(sys.argv[1]).read_bytes())
drawn = chart_process._draw_shared(st, m, Path(sys.argv[2]))
print(len(forks), drawn)
"""


def test_the_helper_shares_the_drawing_with_a_forked_copy(tmp_path: Path, sample_build) -> None:
    """With a second core, the (single-threaded) helper forks a copy that draws every second
    chart: the charts, their order and their bytes are those drawn in one process."""
    from mkdata.cards import card
    from mkdata.cards.plots import write_charts
    from mkdata.core.manifest import read_manifest
    from mkdata.core.runner import helper_env

    stats = card.dataset_stats(
        sample_build, sample_rows=card.CARD_SAMPLE_ROWS, max_rows=card.CARD_MAX_ROWS
    )
    manifest = read_manifest(sample_build)
    job = tmp_path / "job.pickle"
    job.write_bytes(pickle.dumps((stats, manifest)))
    shared = tmp_path / "shared"
    proc = subprocess.run(
        [sys.executable, "-c", SHARED_DRAW, str(job), str(shared)],
        capture_output=True, text=True, env=helper_env(), timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    here = write_charts(stats, manifest, tmp_path / "here")
    forks = 1 if (os.cpu_count() or 1) > 1 else 0
    assert proc.stdout.strip() == f"{forks} {here}"
    assert [name for _, name in here] == ["languages.png", "lengths.png", "funnel.png"]
    for _, name in here:
        assert (shared / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


CARD_ON_A_FULL_DISK = """
import errno, sys
from mkdata.cards import card
def full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")
card.dataset_stats = full  # the card's statistics are the first thing it computes
from mkdata.cli import run
sys.argv = ["mkdata", *sys.argv[1:]]
run()
"""


def test_a_build_stopped_before_its_card_leaves_no_card_of_other_data(tmp_path: Path) -> None:
    """A rebuild whose card cannot be written (the disk fills up then) publishes its data and
    manifest, and the card of the build before (other configs) is gone, not left beside
    them; the same command re-run writes the card of the data there."""
    out = tmp_path / "out"
    run_cli("build", "webfaq", "--sample", "--out", str(out), check=True, timeout=300)
    assert "config_name: spa" in (out / "README.md").read_text()
    argv = ["build", "webfaq", "--sample", "--langs", "deu,eng", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-c", CARD_ON_A_FULL_DISK, *argv],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().startswith(f"error: no space left on the device of {out}")
    assert sorted(json.loads((out / "mkdata.json").read_text())["configs"]) == ["deu", "eng"]
    assert not (out / "README.md").exists() and not (out / "images").exists()
    run_cli(*argv, check=True, timeout=300)
    card_text = (out / "README.md").read_text()
    assert "config_name: deu" in card_text and "config_name: spa" not in card_text
    assert (out / "images" / "lengths.png").exists()


BROKEN_HELPERS = {
    "crashes": "import sys; sys.stdin.buffer.read(); sys.exit(3)",
    "answers garbage": "import sys; sys.stdin.buffer.read(); sys.stdout.write('garbage')",
    "hangs up": "import sys; sys.exit(0)",
}


@pytest.mark.parametrize("how", list(BROKEN_HELPERS))
def test_a_failed_chart_helper_leaves_the_drawing_to_the_command(tmp_path: Path, how: str) -> None:
    """A helper that crashes, answers garbage or exits early: the command draws the charts
    itself, and the card links them."""
    from mkdata.cards import write_card_of_run
    from mkdata.cards.chart_process import ChartProcess
    from mkdata.core.output import ANY_COMMAND, OutputRun

    out = tmp_path / "out"
    run_cli("build", "webfaq", "--sample", "--out", str(out), check=True, timeout=300)
    shutil.rmtree(out / "images")
    with OutputRun(out, ANY_COMMAND, prepare_card=True) as run:
        run.card_prepared.close()  # the real helper, replaced by a broken one
        broken = subprocess.Popen(
            [sys.executable, "-c", BROKEN_HELPERS[how]],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        run.card_prepared = ChartProcess(broken)
        write_card_of_run(run)
    charts = sorted(p.name for p in (out / "images").iterdir())
    assert charts == ["funnel.png", "languages.png", "lengths.png"]
    assert "images/lengths.png" in (out / "README.md").read_text()
    assert broken.returncode is not None
    assert not list((out / ".mkdata").glob("**/.charts-*"))


def test_a_run_without_a_card_stops_its_chart_helper(tmp_path: Path) -> None:
    """A run that fails before its card stops its helper with SIGTERM, which the helper
    turns into a normal exit (a kill could leave matplotlib's font cache lock behind)."""
    from mkdata.cards.chart_process import ChartProcess
    from mkdata.core.output import ANY_COMMAND, OutputRun

    out = tmp_path / "out"
    run_cli("build", "webfaq", "--sample", "--out", str(out), check=True, timeout=300)
    with pytest.raises(RuntimeError), OutputRun(out, ANY_COMMAND, prepare_card=True) as run:
        helper = run.card_prepared
        assert isinstance(helper, ChartProcess) and helper.proc.poll() is None
        time.sleep(2)  # the helper is past its interpreter's start, inside its imports
        raise RuntimeError("the command failed before its card")
    assert helper.proc.returncode == 0  # stopped, not left behind; exited normally


def test_chart_helper_loads_only_the_drawing_stack() -> None:
    """The helper is ready ~0.5 s sooner without polars and pyarrow: it imports the chart
    code and the statistics records, whose pickled values it receives, and nothing else."""
    from mkdata.cards.chart_process import _HELPER

    probe = _HELPER.replace(
        "from mkdata.cards.chart_process import main; main()",
        "from mkdata.cards import chart_process, stats_records; chart_process._warm_up(); "
        "print(sorted(m for m in ('polars', 'pyarrow', 'pandas', 'mkdata.cards.card') "
        "if m in sys.modules))",
    )
    assert probe != _HELPER
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# the CLI with ChartProcess.start recording, at each call, whether polars was imported yet
HELPER_STARTS = """
import sys
from mkdata.cards.chart_process import ChartProcess
from mkdata.cli import main
starts, start = [], ChartProcess.start.__func__
def recorded(cls):
    starts.append("polars" in sys.modules)
    return start(cls)
ChartProcess.start = classmethod(recorded)
sys.argv = ["mkdata", *sys.argv[1:]]
try:
    main()
finally:
    print("helpers started:", starts)
"""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_build_starts_its_chart_helper_before_its_imports(tmp_path: Path, workers: str) -> None:
    """`build` with a core to spare starts the card's chart helper before it imports the build
    (polars among it), and the run uses that helper: one helper in all (`dedup` and `export
    beir` too). With every core
    busy (two workers here, as many as the machine may have), it starts once a core is
    free, after the imports."""
    out = tmp_path / "out"
    args = ["build", "webfaq", "--sample", "--out", str(out), "--workers", workers]
    proc = subprocess.run(
        [sys.executable, "-c", HELPER_STARTS, *args], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    cores = os.cpu_count() or 1
    # a spare core: before the imports; else once the last unit frees one (the sample is one
    # file); on one core the command draws its charts itself
    expected = "[False]" if int(workers) < cores else "[True]" if cores > 1 else "[]"
    assert f"helpers started: {expected}" in proc.stdout
    charts = sorted(p.name for p in (out / "images").iterdir())
    assert charts == ["funnel.png", "languages.png", "lengths.png"]
    if workers == "1" and expected == "[False]":  # the other commands that run units
        for command in (["dedup"], ["export", "beir"]):
            target = tmp_path / command[0]
            args = [*command, str(out), "--out", str(target), "--workers", "1"]
            proc = subprocess.run(
                [sys.executable, "-c", HELPER_STARTS, *args],
                capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            assert proc.returncode == 0, proc.stderr
            assert "helpers started: [False]" in proc.stdout, command
            assert (target / "images").is_dir()


def test_a_chart_helper_started_ahead_is_taken_by_the_run_or_stopped(tmp_path: Path) -> None:
    """The helper `card_prepared_ahead` starts is the one the first run preparing its card
    uses (and the card gets its charts); one no run took is stopped when the block ends."""
    from mkdata.cards import write_card_of_run
    from mkdata.cards.chart_process import ChartProcess
    from mkdata.core import output
    from mkdata.core.output import ANY_COMMAND, OutputRun, card_prepared_ahead

    out = tmp_path / "out"
    run_cli("build", "webfaq", "--sample", "--out", str(out), check=True, timeout=300)
    shutil.rmtree(out / "images")
    with card_prepared_ahead(True):
        [helper] = output._prepared_ahead
        assert isinstance(helper, ChartProcess) and helper.proc.poll() is None
        with card_prepared_ahead(True):  # not inside another block
            assert output._prepared_ahead == [helper]
        with OutputRun(out, ANY_COMMAND, prepare_card=True) as run:
            assert run.card_prepared is helper and not output._prepared_ahead
            write_card_of_run(run)
    assert helper.proc.returncode == 0
    assert sorted(p.name for p in (out / "images").iterdir()) == [
        "funnel.png", "languages.png", "lengths.png",
    ]  # fmt: skip
    with card_prepared_ahead(False):
        assert not output._prepared_ahead
    with card_prepared_ahead(True):
        [unused] = output._prepared_ahead
        time.sleep(1)  # inside its imports
    assert unused.proc.returncode == 0 and not output._prepared_ahead  # stopped, normally


def test_the_charts_are_drawn_while_the_duplicates_are_counted(tmp_path: Path, monkeypatch) -> None:
    """The helper gets its job once the statistics the charts need are there; the duplicate
    shares are counted meanwhile and end up in the card as without a helper. A failure while
    they are counted stops the helper that has its job, and leaves nothing behind."""
    from mkdata.cards import card, stats
    from mkdata.cards.chart_process import ChartProcess
    from mkdata.core.output import ANY_COMMAND, OutputRun

    out = tmp_path / "out"
    run_cli("build", "webfaq", "--sample", "--out", str(out), check=True, timeout=300)
    expected = card.card_text(out)
    shutil.rmtree(out / "images")
    counted = stats.duplicate_share
    seen: list[bool] = []
    with OutputRun(out, ANY_COMMAND, prepare_card=True) as run:
        helper = run.card_prepared
        assert isinstance(helper, ChartProcess)

        def share(st, head):
            seen.append(run.card_prepared is None and helper.folder is not None)
            counted(st, head)

        monkeypatch.setattr(stats, "duplicate_share", share)
        card.write_card_of_run(run)
    assert seen and all(seen)
    assert helper.proc.returncode == 0  # it drew them
    assert sorted(p.name for p in (out / "images").iterdir()) == [
        "funnel.png",
        "languages.png",
        "lengths.png",
    ]
    assert (out / "README.md").read_text() == expected

    def fail(st, head):
        raise ValueError("unreadable")

    monkeypatch.setattr(stats, "duplicate_share", fail)
    with OutputRun(out, ANY_COMMAND, prepare_card=True) as run:
        helper = run.card_prepared
        with pytest.raises(ValueError):
            card.write_card_of_run(run)
        assert run.card_prepared is None and helper.proc.returncode is not None
    assert not list(out.glob("**/.charts-*"))
