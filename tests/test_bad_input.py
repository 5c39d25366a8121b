"""Bad input and faults, through the CLI: WARC framing, empty and mislabelled files, control
characters, null text, language codes, disk full, download retries, and the promises of
the README that had no test (language agreement, exact dedup, page size, BEIR splits)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from conftest import (
    DEU_PAIR,
    FRA_PAIR,
    faq_page,
    one_line_error,
    one_pair_pages,
    run_cli,
    write_nq,
)
from http_server import FileServer
from warc_gen import http_response, jsonld_page, warc_record, write_warc

from mkdata.builders.nquads import MAX_LINE_BYTES

ENG_PAIRS = [
    (f"How long does shipping to region {i} take?",
     f"Shipping to region {i} usually takes three to five working days from the order.")
    for i in range(3)
]  # fmt: skip


def manifest(out: Path) -> dict:
    return json.loads((out / "mkdata.json").read_text())


def rows(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "data" / "*" / "*.parquet")


# ---------------------------------------------------------------- WARC framing


def pages() -> list[bytes]:
    return [
        warc_record(f"https://x{i}.example/faq", http_response(jsonld_page([pair]).encode()))
        for i, pair in enumerate(ENG_PAIRS)
    ]


def test_warc_length_past_the_record_never_misattributes(tmp_path: Path) -> None:
    records = pages()
    head, rest = records[0].split(b"\r\n\r\n", 1)
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    swallowing = head.replace(
        f"Content-Length: {length}".encode(), f"Content-Length: {length + len(records[1])}".encode()
    )
    src = write_warc(
        tmp_path / "bad.warc.gz", [swallowing + b"\r\n\r\n" + rest, *records[1:]], gz=False
    )
    src.write_bytes(gzip.compress(src.read_bytes()))
    out = tmp_path / "out"
    proc = run_cli(
        "build",
        "mfaq",
        "--langs",
        "all",
        "--min-rows",
        "1",
        "--source",
        str(src),
        "--out",
        str(out),
    )
    assert proc.returncode == 1 and "bad.warc.gz" in proc.stderr and "record 2" in proc.stderr
    got = rows(out)
    # the swallowing record gives nothing; the one after it is still read, under its own URL
    assert set(got["url"]) == {"https://x2.example/faq"}
    assert got["question"].to_list() == [ENG_PAIRS[2][0]]
    assert manifest(out)["counts"]["warc_bad_framing"] == 1


def test_plain_warc_cut_mid_record_fails_and_keeps_earlier_pages(tmp_path: Path) -> None:
    src = write_warc(tmp_path / "cut.warc", pages(), gz=False)
    src.write_bytes(src.read_bytes()[:-200])
    out = tmp_path / "out"
    proc = run_cli(
        "build",
        "mfaq",
        "--langs",
        "all",
        "--min-rows",
        "1",
        "--source",
        str(src),
        "--out",
        str(out),
    )
    assert proc.returncode == 1 and "truncated" in proc.stderr
    assert set(rows(out)["url"]) == {"https://x0.example/faq", "https://x1.example/faq"}


# ---------------------------------------------------------------- inputs that are not what they say


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.nq.gz", b"", "empty file"),
        ("fake.nq.gz", b"<a> <b> <c> <d> .\n", "not gzip data"),
        ("nothing.nq.gz", gzip.compress(b"", mtime=0), "no N-Quads"),
        ("junk.nq", b"\xff\xfe not n-quads\n<<<>>>\n", "no N-Quads"),
    ],
    ids=["empty", "not-gzip", "empty-gzip", "junk"],  # stable ids: test workers must agree
)
def test_webfaq_inputs_that_are_not_nquads_fail(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(data)
    good = write_nq(tmp_path / "good.nq.gz", faq_page("https://a.example/faq", [DEU_PAIR]))
    out = tmp_path / "out"
    proc = run_cli("build", "webfaq", "--min-rows", "1", "--source", str(tmp_path / name),
                   "--source", str(good), "--out", str(out))  # fmt: skip
    assert proc.returncode == 1 and message in proc.stderr and name in proc.stderr
    assert rows(out).height == 1  # the good input's row is kept
    for builder, ext in (("mfaq", "warc.gz"),):
        (tmp_path / f"empty.{ext}").write_bytes(b"")
        proc = run_cli(
            "build",
            builder,
            "--source",
            str(tmp_path / f"empty.{ext}"),
            "--out",
            str(tmp_path / builder),
        )
        assert proc.returncode == 1 and "empty file" in proc.stderr


def test_control_characters_are_removed_and_counted(tmp_path: Path) -> None:
    q = "Wie lange dauert\\u0000 der Versand\\u0007 nach \\u0085Österreich?"
    src = write_nq(tmp_path / "p.nq.gz", faq_page("https://a.example/faq", [(q, DEU_PAIR[1])]))
    out = tmp_path / "out"
    run_cli(
        "build", "webfaq", "--min-rows", "1", "--source", str(src), "--out", str(out), check=True
    )
    question = rows(out)["question"][0]
    assert question == "Wie lange dauert der Versand nach Österreich?"
    assert manifest(out)["counts"]["control_characters_removed"] == 1


# ---------------------------------------------------------------- null and non-text values


def test_null_and_non_text_values_are_counted_and_skipped(tmp_path: Path) -> None:
    src = tmp_path / "qa" / "data" / "deu"
    src.mkdir(parents=True)
    good = [{"id": f"g{i}", "origin": f"https://s{i}.example", "question": f"Frage Nummer {i}?",
             "answer": f"Die Antwort auf Frage {i} ist lang genug."} for i in range(6)]  # fmt: skip
    bad = [{"id": "n1", "origin": "https://n.example", "question": None, "answer": "Eine Antwort."},
           {"id": "n2", "origin": "https://n.example", "question": "Frage?", "answer": "  "}]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(good + bad), src / "train-00000-of-00001.parquet")
    qa = tmp_path / "qa"
    beir = run_cli(
        "export", "beir", str(qa), "--out", str(tmp_path / "b"), "--test-size", "0.3", check=True
    )
    assert "2 rows dropped (empty_text" in beir.stderr
    assert manifest(tmp_path / "b")["beir"]["splits"]["deu"]["dropped"] == {"empty_text": 2}
    neg = run_cli("mine", "negatives", str(qa), "--out", str(tmp_path / "n"), "--method", "bm25",
                  "--num-negatives", "2", check=True)  # fmt: skip
    assert "2 rows dropped" in neg.stderr
    both_null = tmp_path / "nulls.parquet"
    pq.write_table(
        pa.Table.from_pylist(
            good + [{"id": "z", "origin": None, "question": None, "answer": None}] * 2
        ),
        both_null,
    )
    run_cli("dedup", str(both_null), "--out", str(tmp_path / "d"), check=True)
    assert manifest(tmp_path / "d")["filters"]["default"]["empty_text"] == 2
    listy = tmp_path / "listy.parquet"
    pq.write_table(pa.table({"question": [["a", "b"]], "answer": ["x"]}), listy)
    line = one_line_error(run_cli("export", "beir", str(listy), "--out", str(tmp_path / "l")))
    assert "listy.parquet: column 'question' holds list<" in line and "not text" in line


# ---------------------------------------------------------------- messages


def test_language_codes_are_checked() -> None:
    for value, message in (
        ("zzz", "unknown language code 'zzz'"),
        ("all,deu", "cannot be combined"),
    ):
        line = one_line_error(
            run_cli("build", "webfaq", "--sample", "--langs", value, "--out", "/nonexistent/x")
        )
        assert message in line


def test_disk_full_is_one_clear_line(capsys) -> None:
    from mkdata.cli.common import user_errors

    with pytest.raises(typer.Exit) as info, user_errors(Path("/data/out")):
        raise OSError("640000 requested and 107488 written")
    assert info.value.exit_code == 1
    err = capsys.readouterr().err
    assert "no space left on the device of /data/out" in err and "requested" not in err


# a build on a filesystem of SIZE KiB, then again once the filesystem has 4 MiB (the disk was
# freed); a file of the user's sits beside the output all along. Run in a user and mount
# namespace, so that the small filesystem is a real one and no privilege is needed.
FULL_DISK_SCRIPT = r"""
set -u
build() { "$PY" -m mkdata build webfaq --sample "$@" >/dev/null; }
for size in $SIZES; do
    mount -t tmpfs -o size=${size}k tmpfs "$DIR"
    echo "the user's own file" > "$DIR/user.txt"
    build --out "$DIR/out" 2> "$RES/fail-$size.err"; echo $? > "$RES/fail-$size.rc"
    mount -o remount,size=4m "$DIR"
    build --out "$DIR/out" 2> "$RES/rerun-$size.err"; echo $? > "$RES/rerun-$size.rc"
    cp -r "$DIR/out" "$RES/rerun-$size"; cp "$DIR/user.txt" "$RES/user-$size.txt"
    umount "$DIR"
done
mount -t tmpfs -o size=4m tmpfs "$DIR"
build --out "$DIR/out" && cp -r "$DIR/out" "$RES/before"
dd if=/dev/zero of="$DIR/filler" bs=4k 2>/dev/null
build --langs deu,eng --overwrite --out "$DIR/out" 2> "$RES/full.err"; echo $? > "$RES/full.rc"
cp -r "$DIR/out" "$RES/after"
"""


def published(out: Path) -> dict[str, bytes]:
    """The files a build published (its own state folder left out), by relative path."""
    return {
        str(f.relative_to(out)): f.read_bytes()
        for f in sorted(out.rglob("*"))
        if f.is_file() and ".mkdata" not in f.relative_to(out).parts
    }


def test_a_full_disk_ends_a_build_in_one_line_loses_nothing_and_a_rerun_finishes(
    tmp_path: Path,
) -> None:
    """A real full filesystem (tmpfs) at three points of a build (units, merge, publishing):
    one line naming the output, exit 1; the user's file beside it untouched; the same
    command re-run once there is space gives the rows of a build that never failed. A
    rebuild that fills the disk leaves the dataset published before as it was."""
    if subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("user and mount namespaces are not allowed here (unshare -rm)")
    fresh = tmp_path / "fresh"
    run_cli("build", "webfaq", "--sample", "--out", str(fresh), check=True)
    size = sum(f.stat().st_size for f in fresh.rglob("*") if f.is_file()) // 1024
    sizes = [max(8, size * share // 100) for share in (20, 50, 85)]
    mount, res = tmp_path / "disk", tmp_path / "res"
    mount.mkdir()
    res.mkdir()
    env = {**os.environ, "PY": sys.executable, "DIR": str(mount), "RES": str(res)}
    env["SIZES"] = " ".join(map(str, sizes))
    subprocess.run(["unshare", "-rm", "bash", "-c", FULL_DISK_SCRIPT], env=env, timeout=300)
    expected = {k: v for k, v in published(fresh).items() if k.startswith("data/")}
    for size in sizes:
        err = (res / f"fail-{size}.err").read_text()
        lines = [x for x in err.splitlines() if x.strip()]
        assert (res / f"fail-{size}.rc").read_text().strip() == "1", (size, err)
        assert len(lines) == 1 and "Traceback" not in err, (size, err)
        assert f"no space left on the device of {mount / 'out'}" in lines[0]
        assert (res / f"rerun-{size}.rc").read_text().strip() == "0", (
            res / f"rerun-{size}.err"
        ).read_text()
        rerun = published(res / f"rerun-{size}")
        assert {k: v for k, v in rerun.items() if k.startswith("data/")} == expected, size
        assert {"README.md", "mkdata.json"} <= rerun.keys()
        assert (res / f"user-{size}.txt").read_text() == "the user's own file\n"
    err = (res / "full.err").read_text()
    assert (res / "full.rc").read_text().strip() == "1", err
    assert "no space left on the device of" in err and len(err.strip().splitlines()) == 1
    assert published(res / "after") == published(res / "before")


# ---------------------------------------------------------------- promises with a test now


def test_download_retries_honour_retry_after(tmp_path: Path) -> None:
    write_nq(tmp_path / "part_0.gz", faq_page("https://a.example/faq", [DEU_PAIR]))
    with FileServer(tmp_path) as server:
        server.faults["/part_0.gz"] = [("429", "2"), ("503", None)]
        out = tmp_path / "out"
        run_cli("build", "webfaq", "--min-rows", "1", "--source", f"{server.url}/part_0.gz",
                "--cache-dir", str(tmp_path / "cache"), "--out", str(out), check=True)  # fmt: skip
        times = [t for path, _, t in server.timed if path == "/part_0.gz"]
    assert len(times) == 3 and times[1] - times[0] >= 2.0
    assert rows(out).height == 1


def test_language_agreement_rule_and_its_flags(tmp_path: Path) -> None:
    mixed = (DEU_PAIR[0], "Shipping to Austria usually takes three to five working days.")
    src = write_nq(tmp_path / "p.nq.gz", one_pair_pages([DEU_PAIR, FRA_PAIR, mixed]))
    base = ["build", "webfaq", "--min-rows", "1", "--source", str(src)]
    run_cli(*base, "--out", str(tmp_path / "a"), check=True)
    f = manifest(tmp_path / "a")["filters"]
    assert sum(c.get("language_mismatch", 0) for c in f.values()) == 1
    assert rows(tmp_path / "a").height == 2
    run_cli(*base, "--min-agree-score", "0", "--out", str(tmp_path / "b"), check=True)
    assert rows(tmp_path / "b").height == 3  # agreement off: the mixed pair is kept
    run_cli(*base, "--min-lang-score", "0.999", "--out", str(tmp_path / "c"), check=True)
    low = manifest(tmp_path / "c")["filters"]
    assert sum(c.get("language_low_confidence", 0) for c in low.values()) >= 2


def test_exact_dedup_keeps_the_smallest_url(tmp_path: Path) -> None:
    lines = (faq_page("https://b.example/faq", [DEU_PAIR], "b")
             + faq_page("https://a.example/faq", [(DEU_PAIR[0].upper(), DEU_PAIR[1])], "a"))  # fmt: skip
    src = write_nq(tmp_path / "p.nq.gz", lines)
    out = tmp_path / "out"
    run_cli(
        "build", "webfaq", "--min-rows", "1", "--source", str(src), "--out", str(out), check=True
    )
    got = rows(out)
    assert got.height == 1 and got["url"][0] == "https://a.example/faq"
    assert manifest(out)["filters"]["deu"]["duplicate"] == 1


def test_exact_dedup_on_a_tie_keeps_the_first_met(tmp_path: Path) -> None:
    """Copies equal on language, id and URL (the same page twice, spelled differently): the
    first met is kept, within a unit (its bucket writer) and across units (the merge)."""
    q, a = DEU_PAIR
    url = "https://a.example/faq"
    first = write_nq(tmp_path / "1.nq.gz", faq_page(url, [(q.upper(), a)], "a")
                     + faq_page("https://b.example/faq", [DEU_PAIR], "b")
                     + faq_page(url, [(q.lower(), a)], "c"))  # fmt: skip
    second = write_nq(tmp_path / "2.nq.gz", faq_page(url, [DEU_PAIR], "d"))
    for sources in ([first, second], [second, first]):
        out = tmp_path / f"out-{sources[0].stem}"
        args = [x for s in sources for x in ("--source", str(s))]
        run_cli("build", "webfaq", "--min-rows", "1", *args, "--out", str(out), check=True)
        got = rows(out)
        assert got.height == 1 and got["url"][0] == url
        assert got["question"][0] == (q.upper() if sources[0] == first else q)
        assert manifest(out)["filters"]["deu"]["duplicate"] == 3


def test_mfaq_skips_pages_over_16_mib(tmp_path: Path) -> None:
    huge = jsonld_page([ENG_PAIRS[0]]).replace("<body>", "<body>" + "x" * (17 << 20))
    records = [warc_record("https://big.example/faq", http_response(huge.encode())), *pages()[1:]]
    src = write_warc(tmp_path / "big.warc.gz", records)
    out = tmp_path / "out"
    run_cli(
        "build",
        "mfaq",
        "--langs",
        "all",
        "--min-rows",
        "1",
        "--source",
        str(src),
        "--out",
        str(out),
        check=True,
    )
    assert "https://big.example/faq" not in set(rows(out)["url"])
    assert manifest(out)["counts"]["page_too_large"] == 1


def test_beir_split_share_seed_and_split_by_none(tmp_path: Path) -> None:
    src = tmp_path / "qa" / "data" / "deu"
    src.mkdir(parents=True)
    qa = [{"id": f"r{i}", "origin": f"https://s{i % 10}.example", "question": f"Frage {i}?",
           "answer": f"Antwort {i} ist hier."} for i in range(100)]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(qa), src / "train-00000-of-00001.parquet")

    def split(*extra: str) -> dict:
        out = tmp_path / ("o" + "".join(extra).replace("-", "").replace(".", ""))
        run_cli("export", "beir", str(tmp_path / "qa"), "--out", str(out), *extra, check=True)
        return manifest(out)["beir"]["splits"]["deu"]["queries"]

    assert split("--test-size", "90", "--max-test-share", "0.2")["test"] <= 20
    a = split("--test-size", "0.3", "--seed", "1")
    assert a == split("--test-size", "0.3", "--seed", "1") and a["test"] > 0
    none = split("--test-size", "0.25", "--split-by", "none")
    assert none["test"] == 25 and none["train"] == 75


def test_beir_never_writes_an_empty_test_split(tmp_path: Path) -> None:
    src = tmp_path / "qa" / "data" / "deu"
    src.mkdir(parents=True)
    one_site = [{"id": f"r{i}", "origin": "https://only.example", "question": f"Frage {i}?",
                 "answer": f"Antwort {i} ist hier."} for i in range(20)]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(one_site), src / "train-00000-of-00001.parquet")
    out = tmp_path / "b"
    proc = run_cli("export", "beir", str(tmp_path / "qa"), "--out", str(out), "--test-size", "0.3",
                   check=True)  # fmt: skip
    assert "no site fits the test share; split by query" in proc.stderr
    info = manifest(out)["beir"]["splits"]["deu"]
    assert info["split_by"] == "query" and info["queries"]["test"] == 6
    card = (out / "README.md").read_text()
    for config, splits in manifest(out)["configs"].items():
        for split, n in splits.items():
            assert (f"path: data/{config}/{split}-" in card) == (n > 0)


# ---------------------------------------------------------------- hostile sizes


def test_a_gzip_bomb_line_is_skipped_and_the_faq_around_it_kept(tmp_path: Path) -> None:
    # 200 MB of one line (a literal that never ends) in ~200 KB of gzip, between two FAQ
    # pages: gunzipped 32 MiB at a time, the line dropped once past 64 MiB, never held whole
    before = faq_page("https://a.example/faq", [DEU_PAIR], "a")
    after = faq_page("https://b.example/faq", [FRA_PAIR], "b")
    src = tmp_path / "bomb.nq.gz"
    with gzip.open(src, "wb", compresslevel=1) as fh:
        fh.write(("\n".join(before) + "\n").encode())
        fh.write(b'<https://x.example/> <https://schema.org/text> "')
        for _ in range(200):
            fh.write(b"a" * 1_000_000)
        fh.write(b'" <https://x.example/> .\n')
        fh.write(("\n".join(after) + "\n").encode())
    assert src.stat().st_size < 1_000_000
    out = tmp_path / "out"
    proc = run_cli("build", "webfaq", "--min-rows", "1", "--source", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert sorted(rows(out)["language"]) == ["deu", "fra"]
    m = manifest(out)
    assert m["problems"] == {"line_too_long": 1}
    where = f"{src}:{len(before) + 1}"  # the line's number
    assert m["problem_examples"] == [f"{where}: longer than {MAX_LINE_BYTES} bytes, skipped"]
    assert "line_too_long" in proc.stdout + proc.stderr
