"""read_ahead: an input's pieces produced on a thread ahead of the caller, handed on in order,
its error after them, and nothing left running once the caller stops."""

from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from mkdata.builders import nquads
from mkdata.builders.nquads import read_faq_pairs
from mkdata.builders.webfaq import sample_path
from mkdata.core.fetch import CorruptInput, read_ahead
from mkdata.core.report import Report


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mkdata-read-ahead"]


def test_items_in_order_then_the_error_after_them() -> None:
    assert list(read_ahead(iter(range(1000)), depth=3)) == list(range(1000))

    def failing() -> Iterator[int]:
        yield 1
        yield 2
        raise CorruptInput("truncated gzip: stream ends after 9 compressed bytes")

    got = []
    with pytest.raises(CorruptInput, match="stream ends after 9"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [1, 2] and not _threads()


def test_it_runs_ahead_of_the_caller() -> None:
    produced = threading.Event()

    def source() -> Iterator[int]:
        yield 0
        yield 1
        produced.set()  # the item after the one the caller holds
        yield 2

    items = read_ahead(source(), depth=2)
    assert next(items) == 0
    assert produced.wait(10)  # made while the caller still holds item 0
    assert list(items) == [1, 2]


@pytest.mark.parametrize("how", ["close", "raise"])
def test_a_caller_that_stops_early_stops_the_thread_and_closes_the_source(how: str) -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    items = read_ahead(endless(), depth=2)
    if how == "close":
        assert [next(items) for _ in range(5)] == [0, 1, 2, 3, 4]
        items.close()
    else:
        with pytest.raises(ValueError):
            for n in items:
                if n == 3:
                    raise ValueError("the caller fails")
        items.close()  # as the generator's frame going away does
    assert closed.is_set() and not _threads()


def test_nquads_reader_reads_ahead_and_stops_clean(tmp_path: Path, monkeypatch) -> None:
    pairs = list(read_faq_pairs(sample_path(), Report()))
    reader = read_faq_pairs(sample_path(), Report())
    next(reader)
    assert len(_threads()) == 1  # the input is inflated on the reader's own thread
    reader.close()
    assert not _threads()
    first = read_faq_pairs(sample_path(), Report(), limit=2)
    assert 0 < len(list(first)) < len(pairs) and not _threads()
    # a stream cut off: the same pairs, error and problems as read without the thread
    data = gzip.decompress(sample_path().read_bytes())
    cut = tmp_path / "cut.nq.gz"
    cut.write_bytes(gzip.compress(data)[:-2000])
    ahead, plain = Report(), Report()
    got = list(read_faq_pairs(cut, ahead))
    assert 0 < len(got) < len(pairs) and got == pairs[: len(got)] and not _threads()
    with monkeypatch.context() as m:
        m.setattr(nquads, "read_ahead", lambda items: items)
        assert list(read_faq_pairs(cut, plain)) == got
    assert ahead.to_dict() == plain.to_dict()
    inflated = zlib.decompressobj(wbits=31).decompress(cut.read_bytes())
    line = inflated.count(b"\n") + 1  # the first line the cut leaves incomplete
    assert ahead.error.startswith(f"{cut}:{line}: truncated gzip")
