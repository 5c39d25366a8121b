"""The output run: ownership, lock, publish, overwrite (pure, in process)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from mkdata.core.errors import EXIT_LOCKED, OutputLocked, OutputRefused
from mkdata.core.output import OutputRun, check_output, read_marker


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def publish_data(run: OutputRun, text: str = "rows", parts: tuple[str, ...] = ("data",)) -> None:
    for part in parts:
        (run.staging / part).mkdir(parents=True)
        (run.staging / part / "f.txt").write_text(text)
    run.publish({"command": run.command})


def foreign(tmp_path: Path) -> Path:
    d = tmp_path / "photos"
    (d / "data" / "photos").mkdir(parents=True)
    (d / "data" / "photos" / "cat.jpg").write_bytes(b"\xff\xd8 a cat")
    (d / "README.md").write_text("my notes")
    return d


def test_new_and_empty_outputs_are_created_and_marked(tmp_path: Path) -> None:
    for out in (tmp_path / "new" / "deeper", tmp_path / "empty"):
        if out.name == "empty":
            out.mkdir()
        with OutputRun(out, "dedup") as run:
            publish_data(run)
        assert (out / "data" / "f.txt").read_text() == "rows"
        assert (out / "mkdata.json").exists()
        assert read_marker(out)["command"] == "dedup"
        assert not (out / ".mkdata" / "staging").exists()


def test_foreign_directory_is_refused_untouched(tmp_path: Path) -> None:
    d = foreign(tmp_path)
    before = tree(d)
    with pytest.raises(OutputRefused, match="not written by mkdata"), OutputRun(d, "dedup"):
        pass
    assert tree(d) == before and not (d / ".mkdata").exists()
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(OutputRefused, match="not a directory"):
        check_output(f, "dedup")
    with pytest.raises(OutputRefused):
        check_output(Path("/"), "build webfaq")


def test_other_command_needs_overwrite_which_removes_only_mkdata_parts(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputRun(out, "build webfaq") as run:
        publish_data(run, parts=("data", "beir"))
    (out / "mine.txt").write_text("the user's own file")
    with pytest.raises(OutputRefused, match="--overwrite"), OutputRun(out, "dedup"):
        pass
    assert (out / "beir" / "f.txt").exists()
    with OutputRun(out, "dedup", overwrite=True) as run:
        assert (out / "beir").exists()  # nothing goes before the new output is published
        publish_data(run, "new")
    assert not (out / "beir").exists()
    assert (out / "mine.txt").read_text() == "the user's own file"
    assert (out / "data" / "f.txt").read_text() == "new"
    assert read_marker(out)["command"] == "dedup"


def test_publish_replaces_parts_and_drops_stale_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputRun(out, "mine negatives") as run:
        publish_data(run, "one", parts=("data", "rejects"))
    with OutputRun(out, "mine negatives") as run:
        publish_data(run, "two", parts=("data",))
    assert (out / "data" / "f.txt").read_text() == "two"
    assert not (out / "rejects").exists()
    assert read_marker(out)["parts"] in (["data"], ["data", "images"])  # + the card's charts


def test_a_failed_run_on_a_new_output_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(RuntimeError), OutputRun(out, "dedup"):
        raise RuntimeError("boom")
    assert not out.exists()
    # ...but resume state it wrote is kept
    with pytest.raises(RuntimeError), OutputRun(out, "dedup") as run:
        (run.state("units") / "done.json").write_text("{}")
        raise RuntimeError("boom")
    assert (out / ".mkdata" / "units" / "done.json").exists()


def test_a_second_writer_is_locked_out_until_the_first_dies(tmp_path: Path) -> None:
    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from mkdata.core.output import OutputRun\n"
         f"with OutputRun(Path({str(out)!r}), 'dedup'):\n"
         "    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(OutputLocked, match=f"pid {holder.pid}") as info,
            OutputRun(out, "dedup"),
        ):
            pass
        assert info.value.exit_code == EXIT_LOCKED
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    with OutputRun(out, "dedup") as run:  # the kernel released the dead holder's lock
        publish_data(run)


def test_symlinks_and_look_alike_state_are_refused_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("victim content")
    cases = {}
    lock_link = tmp_path / "lock_link"
    (lock_link / ".mkdata").mkdir(parents=True)
    (lock_link / ".mkdata" / "lock").symlink_to(victim)
    cases["lock is a symlink"] = lock_link
    user_state = tmp_path / "user_state"
    (user_state / ".mkdata" / "staging").mkdir(parents=True)
    (user_state / ".mkdata" / "lock").write_text("precious")
    (user_state / ".mkdata" / "staging" / "userfile").write_text("keep")
    cases["a user's .mkdata"] = user_state
    state_link = tmp_path / "state_link"
    state_link.mkdir()
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "lock").write_text("precious")
    (state_link / ".mkdata").symlink_to(tmp_path / "foreign")
    cases[".mkdata is a symlink"] = state_link
    forged = tmp_path / "forged"
    (forged / ".mkdata").mkdir(parents=True)
    (forged / "important").mkdir()
    (forged / "important" / "a").write_text("keep")
    (forged / ".mkdata" / "output.json").write_text(
        '{"tool": "mkdata", "command": "", "parts": ["important"]}'
    )
    cases["forged marker"] = forged
    for name, out in cases.items():
        before = tree(tmp_path)
        with pytest.raises(OutputRefused), OutputRun(out, "dedup"):
            pass
        assert tree(tmp_path) == before, name
    assert victim.read_text() == "victim content"


def test_staging_symlink_in_an_owned_output_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputRun(out, "dedup") as run:
        publish_data(run)
    outside = tmp_path / "outside"
    (outside / "data").mkdir(parents=True)
    (outside / "data" / "userfile").write_text("keep")
    (out / ".mkdata" / "staging").symlink_to(outside)
    with pytest.raises(OutputRefused, match="symbolic link"), OutputRun(out, "dedup"):
        pass
    assert (outside / "data" / "userfile").read_text() == "keep"


def test_inputs_inside_the_output_are_refused_before_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputRun(out, "build webfaq") as run:
        publish_data(run)
    before = tree(out)
    with (
        pytest.raises(OutputRefused, match="holds an input"),
        OutputRun(out, "dedup", overwrite=True, inputs=[out / "data" / "f.txt"]),
    ):
        pass
    assert tree(out) == before


def test_legacy_outputs_own_only_what_their_command_wrote(tmp_path: Path) -> None:
    out = tmp_path / "old"
    (out / "data").mkdir(parents=True)
    (out / "images").mkdir()
    (out / "images" / "pic.txt").write_text("mine")
    (out / "mkdata.json").write_text(
        '{"tool": {"name": "mkdata"}, "command": "build webfaq", "record": "qa-pair"}'
    )
    with OutputRun(out, "dedup", overwrite=True) as run:
        publish_data(run)
    assert (out / "images" / "pic.txt").read_text() == "mine"


def test_overwrite_that_fails_keeps_the_old_output_and_user_parts_are_refused(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    with OutputRun(out, "dedup") as run:
        publish_data(run, "old")
    with pytest.raises(ValueError), OutputRun(out, "mine negatives", overwrite=True):
        raise ValueError("bad input")
    assert (out / "data" / "f.txt").read_text() == "old"
    assert read_marker(out)["command"] == "dedup"
    (out / "beir").mkdir()
    (out / "beir" / "k").write_text("the user's")
    with (
        pytest.raises(OutputRefused, match="not written by mkdata"),
        OutputRun(out, "export beir", overwrite=True) as run,
    ):
        publish_data(run, "new", parts=("data", "beir"))
    assert (out / "beir" / "k").read_text() == "the user's"
    assert (out / "data" / "f.txt").read_text() == "old"


def test_symlinks_deep_in_the_state_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputRun(out, "dedup") as run:
        run.state("dedup")
        publish_data(run)
    victim = tmp_path / "victim"
    victim.mkdir()
    (out / ".mkdata" / "dedup" / "units").symlink_to(victim)
    with pytest.raises(OutputRefused, match="symbolic link"), OutputRun(out, "dedup"):
        pass
