"""Pure pieces: connected components, band hashes, unit keys, filter rules, shard writers."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mkdata.builders import filters as F
from mkdata.builders import qa_unit
from mkdata.cards.stats import duplicate_rows
from mkdata.core import shards
from mkdata.core.lang import Prediction
from mkdata.core.text import NormConfig, normalize
from mkdata.core.units import done_result, file_identity, mark_done, unit_key
from mkdata.dedup.clusters import components, size_histogram
from mkdata.dedup.minhash import band_hashes


def test_components_root_is_smallest_member() -> None:
    root = components(7, np.array([5, 3, 6]), np.array([3, 1, 5]))
    assert root.tolist() == [0, 1, 2, 1, 4, 1, 1]
    assert components(3, np.array([]), np.array([])).tolist() == [0, 1, 2]
    chain = components(1000, np.arange(1, 1000), np.arange(999))  # a long chain
    assert (chain == 0).all()
    assert size_histogram(root) == {"2": 0, "3-5": 1, "6-10": 0, "11-100": 0, ">100": 0}


def test_band_hashes_equal_iff_band_rows_equal() -> None:
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(4, 12), dtype=np.uint64).astype(np.uint32)
    sigs[1, :4] = sigs[0, :4]  # rows 0 and 1 share band 0 only
    h = band_hashes(sigs, bands=3, rows=4)
    assert h.dtype == np.int64 and h.shape == (4, 3)
    assert h[0, 0] == h[1, 0] and h[0, 1] != h[1, 1] and h[0, 2] != h[1, 2]
    same = sigs.copy()
    same[:, 4:8] = sigs[:, :4]  # equal rows in different bands still hash apart
    assert (band_hashes(same, 3, 4)[:, 0] != band_hashes(same, 3, 4)[:, 1]).all()


def test_unit_keys_and_markers(tmp_path: Path) -> None:
    assert unit_key(["a", {"x": 1, "y": 2}]) == unit_key(["a", {"y": 2, "x": 1}])
    assert unit_key(["a", 1]) != unit_key(["a", 2]) and len(unit_key([])) == 20
    f = tmp_path / "f"
    f.write_text("x")
    before = unit_key(file_identity(f))
    f.write_text("xy")
    assert unit_key(file_identity(f)) != before
    assert done_result(tmp_path / "u") is None
    mark_done(tmp_path / "u", {"rows": 3})
    assert done_result(tmp_path / "u") == {"rows": 3}


def test_filter_rules_name_the_first_rule_broken() -> None:
    cfg = F.QAFilterConfig()
    answer = "An answer that is long enough to pass the length rule."
    assert F.text_rule("", answer, cfg) == F.EMPTY
    assert F.text_rule("Short?", answer, cfg) == F.QUESTION_TOO_SHORT
    assert F.text_rule("What is a good question?", "Too short.", cfg) == F.ANSWER_TOO_SHORT
    assert F.text_rule("What is a good question?", "{{ answer }} " * 5, cfg) == F.MARKUP
    assert F.text_rule("What is a good question?", answer, cfg) is None
    deu = Prediction(("deu", "eng", "fra"), (0.9, 0.05, 0.01))
    eng_only = Prediction(("eng", "fra", "nld"), (0.9, 0.05, 0.03))
    assert F.language_rule(deu, deu, deu, cfg) is None
    assert F.language_rule(Prediction(("deu",), (0.5,)), deu, deu, cfg) == F.LANG_LOW_SCORE
    assert F.language_rule(deu, deu, eng_only, cfg) == F.LANG_MISMATCH
    second = Prediction(("fra", "deu", "eng"), (0.5, 0.4, 0.1))  # German ranked second: agrees
    assert F.language_rule(deu, second, deu, cfg) is None


def test_shard_writer_gathers_small_writes_into_row_groups(tmp_path: Path, monkeypatch) -> None:
    """100 writes of 10 rows, shards of at most 600 rows, row groups of 64: two shards, in
    order, whose row groups are whole (64 rows) but where a shard ends or begins."""
    monkeypatch.setattr(shards, "ROW_GROUP_ROWS", 64)
    schema = pa.schema([("i", pa.int64())])
    writer = shards.ShardWriter(tmp_path / "c", schema, max_rows=600)
    for start in range(0, 1000, 10):
        writer.write(pa.table({"i": list(range(start, start + 10))}, schema=schema))
        assert writer.rows == start + 10
    paths = writer.close()
    assert [p.name for p in paths] == [
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
    ]
    files = [pq.ParquetFile(p) for p in paths]
    groups = [[f.metadata.row_group(g).num_rows for g in range(f.num_row_groups)] for f in files]
    assert groups == [[64] * 9 + [24], [40] + [64] * 5 + [40]]
    assert pa.concat_tables(f.read() for f in files)["i"].to_pylist() == list(range(1000))


def test_shard_writer_does_not_keep_the_buffers_a_pending_slice_comes_from(tmp_path: Path) -> None:
    """A small slice of a large table (a language of a merged bucket) waits for its row group
    as a copy of its own rows: the large table's memory can go."""
    schema = pa.schema([("text", pa.string())])
    big = pa.table({"text": ["x" * 1000] * 10_000}, schema=schema)  # ~10 MB of text
    writer = shards.ShardWriter(tmp_path / "c", schema)
    writer.write(big.slice(5, 10))
    assert sum(t.get_total_buffer_size() for t in writer._pending) < 20_000
    writer.write(big.slice(0, 0))  # empty: nothing pending added
    [path] = writer.close()
    assert pq.read_table(path)["text"].to_pylist() == ["x" * 1000] * 10


def test_bucket_writer_offer_builds_only_rows_it_would_keep(tmp_path: Path) -> None:
    """A row equal on language and id to a buffered one is built only when it ranks first
    (smaller URL, then source); the rows not built are counted as duplicates, once each."""
    from mkdata.builders.qa_unit import BucketWriter
    from mkdata.core.schema import QA_PAIR

    def row(url: str) -> tuple:
        values = {"id": "a" * 32, "url": url, "language": "deu", "source": "s"}
        return tuple(
            values.get(name, "x" if name != "language_score" else 1.0) for name in QA_PAIR.names
        )

    writer = BucketWriter(tmp_path)
    assert writer.offer("deu", "a" * 32, "https://b", "s")  # nothing buffered yet
    writer.add(row("https://b"))
    assert not writer.offer("deu", "a" * 32, "https://c", "s")  # ranks after: not built
    assert not writer.offer("deu", "a" * 32, "https://b", "s")  # a tie: the first met stays
    assert writer.offer("fra", "a" * 32, "https://c", "s")  # another language
    assert writer.offer("deu", "a" * 32, "https://a", "s")  # ranks first: replaces it
    writer.add(row("https://a"))
    writer.close()
    assert writer.duplicates == {"deu": 3}
    rows = pq.read_table(tmp_path / "bucket-a.parquet").to_pylist()
    assert [r["url"] for r in rows] == ["https://a"]


def _normalize_by_regex(text: str, cfg: NormConfig) -> str:
    """``normalize`` as it was written before its ASCII fast path: the reference."""
    if cfg.unicode_form:
        text = unicodedata.normalize(cfg.unicode_form, text)
    if cfg.lowercase:
        text = text.casefold()
    if cfg.strip_punctuation:
        text = re.sub(r"[^\w\s]+", " ", text)
    if cfg.collapse_whitespace:
        text = " ".join(text.split())
    return text


def test_normalize_ascii_fast_path_equals_the_regex() -> None:
    rng = random.Random(5)
    ascii_chars = "".join(map(chr, range(128)))
    texts = [ascii_chars, ascii_chars[::-1], "", "!!!", "a--b", " ,x_y. ", "Q: What? A: 100%!"]
    texts += [
        "".join(rng.choice(ascii_chars) for _ in range(rng.randint(0, 60))) for _ in range(3000)
    ]
    texts += [t + "é" for t in texts[:200]] + ["ﬁ…", "Straße, «Zitat»!"]
    for cfg in (NormConfig(), NormConfig(collapse_whitespace=False), NormConfig(lowercase=False)):
        for t in texts:
            assert normalize(t, cfg) == _normalize_by_regex(t, cfg), (t, cfg)


def test_duplicate_rows_counts_rows_equal_to_an_earlier_one_on_every_column() -> None:
    df = pl.DataFrame(
        {
            "question": ["How?", "how", "How?", "Why?", None, "", "Why!", "x"],
            "answer": ["Like this.", "like THIS", "Other.", "Because.", "a", "a", "because", "y"],
            "title": ["T", "t!", "T", "T", "", None, "T", "z"],
        }
    )
    # rows 1 (= 0), 5 (= 4: null reads as "") and 6 (= 3) repeat an earlier row; 2 differs
    # from 0 on its answer only
    assert duplicate_rows(df) == 3
    by_brute_force = len(df) - len(
        {tuple(normalize(v) if v else "" for v in row) for row in df.iter_rows()}
    )
    assert by_brute_force == 3
    assert duplicate_rows(df.head(1)) == 0 and duplicate_rows(df.head(0)) == 0


def test_duplicate_rows_normalizes_long_columns_only_where_short_ones_tie(monkeypatch) -> None:
    # a few questions and titles, long distinct answers: the answers of rows that the short
    # columns already tell apart are never normalized (they were all, most distinct first)
    import mkdata.cards.stats as stats

    seen: list[str] = []
    monkeypatch.setattr(stats, "normalize", lambda v: seen.append(v) or normalize(v))
    rng = random.Random(3)
    rows = [(f"Q{i % 7}?", f"title {i // 7}", f"Answer {i}: " + "x" * rng.randint(200, 400))
            for i in range(700)]  # fmt: skip
    rows += [("q0", "TITLE 0", rows[0][2] + "!"), ("Q1!", "title 0", "other")]
    df = pl.DataFrame(rows, schema=["question", "title", "answer"], orient="row")
    assert duplicate_rows(df) == 1  # the first added row repeats row 0
    # only the answers of rows 0 and 1, which tie with an added row on question and title
    assert {v for v in seen if len(v) > 100} == {rows[0][2], rows[0][2] + "!", rows[1][2]}


def test_prepared_pairs_keep_short_pairs_within_their_character_budget(monkeypatch) -> None:
    monkeypatch.setattr(qa_unit, "PAIR_CACHE_TOTAL", 100)
    cache = qa_unit.PreparedPairs()
    pairs = [(f"<p>Question {i}?</p>", f"Answer number {i}, long enough.") for i in range(6)]
    for q, a in pairs + pairs:
        assert cache.get(q, a) == qa_unit.prepare_pair(q, a)
    assert 0 < cache.chars <= 100 and len(cache.pairs) < len(pairs)  # emptied on the way
    assert cache.chars == sum(len(q) + len(a) for q, a in cache.pairs)
    long = ("Why " * 300, "Because " * 300)  # past PAIR_CACHE_CHARS: prepared, not kept
    assert cache.get(*long) == qa_unit.prepare_pair(*long) and long not in cache.pairs


def _language_rule_by_dicts(joint: Prediction, q: Prediction, a: Prediction, cfg) -> str | None:
    """``language_rule`` as it was written before: the reference."""
    if joint.score < cfg.min_lang_score:
        return F.LANG_LOW_SCORE
    for side in (q, a):
        k = min(cfg.lang_agree_k, len(side.langs))
        scores = dict(zip(side.langs[:k], side.scores[:k], strict=True))
        if scores.get(joint.lang, 0.0) < cfg.min_agree_score:
            return F.LANG_MISMATCH
    return None


def test_language_rule_equals_its_reference_on_random_predictions() -> None:
    rng = random.Random(11)

    def prediction() -> Prediction:
        n = rng.randint(0, 5)
        langs = tuple(rng.choice(["deu", "eng", "fra"]) for _ in range(n))  # repeats too
        return Prediction(langs, tuple(sorted((rng.random() for _ in range(n)), reverse=True)))

    for _ in range(20_000):
        cfg = F.QAFilterConfig(
            lang_agree_k=rng.randint(1, 5),
            min_lang_score=rng.random() / 2,
            min_agree_score=rng.random() / 4,
        )
        joint, q, a = prediction(), prediction(), prediction()
        assert F.language_rule(joint, q, a, cfg) == _language_rule_by_dicts(joint, q, a, cfg)


def test_lorem_and_template_prefilters_only_skip_texts_the_regexes_cannot_match() -> None:
    # every character re.IGNORECASE lets match a letter of the lorem parts is its ASCII form
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    letters = set("".join(F._LOREM_PARTS))
    matched = set(re.compile(f"[{''.join(letters)}]", re.IGNORECASE).findall(every))
    assert matched == letters | {c.upper() for c in letters}
    assert all(part in F._LOREM.pattern for part in F._LOREM_PARTS)
    assert all(part.lower() == part for part in F._LOREM_PARTS)
    rng = random.Random(9)
    bits = ["Lorem ipsum", "LOREM İPSUM", "dolor ſit amet", "DOLOR SIT AMET", "conſectetur "]
    bits += ["adipiscing", "ADİPİSCİNG", "{{x}}", "{% y %}", "${z}", "[vc_row a]", "<?php", "{a"]
    bits += ["[et_pb_x]", "[/fusion_y]", "a;b=c", "plain text", "é", "K", "\n", " "]
    for _ in range(5000):
        text = "".join(rng.choice(bits) for _ in range(rng.randint(0, 6)))
        templ = sum(len(m) for m in F._TEMPLATE.findall(text))
        by_regex = bool(text) and (
            templ > 0.2 * len(text) or len(F._CODE_CHARS.findall(text)) > 0.08 * len(text)
        )
        assert F.is_markup(text) == by_regex, text
        assert F._has_lorem(text) == (F._LOREM.search(text) is not None), text


def test_collapse_whitespace_and_dedup_key_fast_paths_equal_the_full_ones() -> None:
    from mkdata.builders.normalize import _INVISIBLE, CONTROL, collapse_whitespace, dedup_key

    def by_regex(text: str) -> str:
        text = _INVISIBLE.sub("", CONTROL.sub("", text))
        lines = (" ".join(line.split()) for line in text.replace("\r", "\n").split("\n"))
        return "\n".join(line for line in lines if line)

    rng = random.Random(4)
    chars = "ab é東 \t\n\r\x00\x07\x1f\x7f\x85\x9f\u00a0\u00ad\u200b\u200d\u2028\u2060\u3000\ufeff"
    chars += "ßİΣﬃ\u1680\u2000\u202f"  # case folding that changes lengths; more spaces
    for _ in range(20_000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))
        assert collapse_whitespace(text) == by_regex(text), repr(text)
        assert dedup_key(text) == " ".join(text.casefold().split()), repr(text)
    assert qa_unit.prepare_pair("A question?\x07", "An answer.")[0] is True
    assert qa_unit.prepare_pair("A question?\n", "An answer\u00a0here.")[0] is False


def _unit_rows(tmp_path: Path, name: str, read) -> tuple[dict, pl.DataFrame]:
    unit_dir = tmp_path / name
    result = qa_unit.process_unit(
        read, "t", str(tmp_path / "in.nq"), str(unit_dir), F.QAFilterConfig(), None, None
    )
    rows = pl.concat([pl.read_parquet(f) for f in sorted(unit_dir.glob("bucket-*.parquet"))])
    return result, rows.sort("id")


def _reader(pairs: list, error: OSError | None = None):
    """A unit's ``read`` function yielding ``pairs``, then raising ``error`` if given."""

    def read(path, report, spec, limit):
        yield from pairs
        if error is not None:
            raise error

    return read


def _pairs_with_repeats(n: int) -> list:
    rng = random.Random(8)
    words = ["house", "garden", "water", "price", "order", "delivery", "return", "size"]
    pairs = [
        qa_unit.RawPair(
            f"https://shop{i % 9}.example/faq",
            "How do I change the " + " ".join(rng.choices(words, k=5)) + f" of order {i}?",
            "You can change the " + " ".join(rng.choices(words, k=10)) + " in your account.",
        )
        for i in range(n)
    ]
    # each pair met again a few pairs on (the next batch, or the one after) from another URL
    for i in range(0, n, 3):
        j = min(n, i + rng.randint(1, 12))
        first = pairs[i]
        pairs.insert(
            j, qa_unit.RawPair(first.url.replace("shop", "mirror"), first.question, first.answer)
        )
    return pairs


def test_a_unit_keeps_every_pair_read_before_a_read_error(tmp_path: Path) -> None:
    # two full batches and a partial one, language ID on a thread a batch behind: the rows of
    # a read that fails after them are those of a read that ends there
    (tmp_path / "in.nq").write_text("")
    pairs = _pairs_with_repeats(2 * qa_unit.BATCH + 300)  # repeats of earlier pairs among them
    done, want = _unit_rows(tmp_path, "clean", _reader(pairs))
    failed, got = _unit_rows(tmp_path, "failed", _reader(pairs, OSError("the disk went away")))
    assert done["input"]["status"] == "done" and failed["input"]["status"] == "failed"
    assert "read error: the disk went away" in failed["report"]["error"]
    assert want.height > 2 * qa_unit.BATCH and got.equals(want)
    assert failed["report"]["filters"] == done["report"]["filters"]


def test_small_batches_give_the_rows_and_report_of_one_batch(tmp_path: Path, monkeypatch) -> None:
    # language ID runs a batch behind: a repeat of a pair in the batch whose verdict is not
    # set yet still gets that pair's verdict (and the row with the smaller URL is kept)
    (tmp_path / "in.nq").write_text("")
    read = _reader(_pairs_with_repeats(200))
    monkeypatch.setattr(qa_unit, "BATCH", 10_000)
    whole, want = _unit_rows(tmp_path, "whole", read)
    monkeypatch.setattr(qa_unit, "BATCH", 5)
    small, got = _unit_rows(tmp_path, "small", read)
    assert want.height > 150 and got.equals(want)
    assert small["report"] == whole["report"]
    assert whole["report"]["filters"]["eng"][F.DUPLICATE] > 50


def test_a_failure_to_write_is_raised_not_taken_for_a_read_error(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "in.nq").write_text("")
    pairs = _pairs_with_repeats(60)
    monkeypatch.setattr(qa_unit, "BATCH", 8)
    calls = []

    def failing_write(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("No space left on device")
        return write(*args, **kwargs)

    write = qa_unit._write_batch
    monkeypatch.setattr(qa_unit, "_write_batch", failing_write)
    with pytest.raises(OSError, match="No space left"):
        qa_unit.process_unit(
            _reader(pairs),
            "t",
            str(tmp_path / "in.nq"),
            str(tmp_path / "u"),
            F.QAFilterConfig(),
            None,
            None,
        )
    assert not (tmp_path / "u" / "done.json").exists() and len(calls) == 3
