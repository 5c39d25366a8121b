"""Gzip input: isal's inflate with the vector registers' upper halves cleared after each
call, or the standard library's zlib where that helper was not built; the same bytes and
errors either way."""

from __future__ import annotations

import gzip
import random
import zlib
from pathlib import Path

import pytest
from isal import isal_zlib

from mkdata.core import fetch
from mkdata.core.fetch import CorruptInput, iter_decompressed

try:
    from mkdata.core import _vector_state
except ImportError:  # not built: gzip input goes through zlib
    _vector_state = None  # type: ignore[assignment]


def _text(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    words = [bytes(rng.choices(b"abcdefghij", k=rng.randint(2, 9))) for _ in range(500)]
    return b" ".join(rng.choices(words, k=n)) + b"\n"


def _members(tmp_path: Path, *parts: bytes, padding: bytes = b"") -> Path:
    path = tmp_path / "in.gz"
    path.write_bytes(padding.join(gzip.compress(p) for p in parts) + padding)
    return path


def _read(path, codec) -> tuple[bytes, str | None]:
    """(the bytes yielded, the CorruptInput message or None) with ``codec``."""
    out = []
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(fetch, "_gzip_codec", lambda: codec)
            for chunk in iter_decompressed(path, chunk_bytes=4096):
                out.append(chunk)
    except CorruptInput as exc:
        return b"".join(out), str(exc)
    return b"".join(out), None


ZLIB = (zlib, lambda: None)
ISAL = (isal_zlib, _vector_state.zero_upper if _vector_state else lambda: None)


@pytest.mark.parametrize("out_bytes", [32 << 20, 1000], ids=["whole", "small pieces"])
@pytest.mark.parametrize(
    "case", ["members", "padded", "truncated", "corrupt", "garbage after", "one member"]
)
def test_isal_and_zlib_give_the_same_bytes_and_errors(tmp_path, monkeypatch, case, out_bytes):
    monkeypatch.setattr(fetch, "OUT_BYTES", out_bytes)
    a, b = _text(40_000, 1), b"a" * 300_000 + _text(30_000, 2)
    path = _members(tmp_path, a, b, padding=b"\x00" * 7 if case == "padded" else b"")
    data = path.read_bytes()
    if case == "truncated":
        path.write_bytes(data[: len(data) - 300])
    elif case == "corrupt":
        path.write_bytes(data[:5000] + bytes(200) + data[5200:])
    elif case == "garbage after":
        path.write_bytes(data + b"\x1f\x8bnot a member")
    elif case == "one member":
        path.write_bytes(gzip.compress(a))
    ours, theirs = _read(path, ISAL), _read(path, ZLIB)
    if case in ("members", "padded", "one member"):
        assert ours == theirs == ((a + b if case != "one member" else a), None)
    elif case == "truncated":
        want = f"truncated gzip: stream ends after {len(data) - 300} compressed bytes"
        assert ours == theirs and ours[1] == want
    elif case == "garbage after":
        assert ours[0] == theirs[0] == a + b
        for _, error in (ours, theirs):  # the libraries word the reason apart
            assert error.startswith(f"corrupt gzip data near byte {len(data)}: ")
    else:  # bytes 5000-5199 zeroed (what inflates before the error is found may be wrong):
        # the error names the piece read (4096 bytes) that holds them, or a byte within it
        for _, error in (ours, theirs):
            assert 4096 <= int(error.split("near byte ")[1].split(":")[0]) <= 5200


@pytest.mark.skipif(
    _vector_state is None or _vector_state.upper_in_use() is None,
    reason="the vector-state helper is not built, or this CPU cannot tell the upper state",
)
def test_the_vector_registers_upper_halves_are_clear_after_each_chunk(tmp_path):
    # isal's inflate ends without VZEROUPPER (intel/isa-l#24): every legacy-SSE instruction
    # of the process is slowed until they are cleared
    from isal import isal_zlib

    path = _members(tmp_path, _text(200_000, 3), _text(100_000, 4))
    _vector_state.zero_upper()
    isal_zlib.decompressobj(wbits=31).decompress(path.read_bytes())
    if not _vector_state.upper_in_use():
        pytest.skip("isal's inflate on this CPU leaves the upper halves clear")
    _vector_state.zero_upper()
    assert _vector_state.upper_in_use() is False
    chunks = 0
    for _ in iter_decompressed(path, chunk_bytes=8192):
        chunks += 1
        assert _vector_state.upper_in_use() is False
    assert chunks > 5
    # and after a stream that fails part-way
    data = path.read_bytes()
    path.write_bytes(data[:20_000] + bytes(500) + data[20_500:])
    with pytest.raises(CorruptInput):
        for _ in iter_decompressed(path, chunk_bytes=8192):
            pass
    assert _vector_state.upper_in_use() is False


def test_the_vector_state_helper_is_built_where_it_can_be():
    # a machine with a C compiler (this project's and CI's) builds it at install, and gzip
    # input then goes through isal
    import shutil
    import sysconfig

    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}): the extension is optional")
    assert _vector_state is not None and _vector_state.VERSION == fetch.VECTOR_STATE_VERSION
    assert _vector_state.CLEARS == 1
    assert fetch._gzip_codec() == (isal_zlib, _vector_state.zero_upper)


@pytest.mark.parametrize("codec", [ISAL, ZLIB], ids=["isal", "zlib"])
def test_what_inflates_far_is_yielded_in_bounded_pieces(tmp_path, monkeypatch, codec):
    # ~10 KB of gzip per member inflating to 10 MB: never more than OUT_BYTES at a time,
    # and every byte comes out, in order, also where a piece ends exactly at a member's end
    monkeypatch.setattr(fetch, "OUT_BYTES", 1 << 18)
    a, b = b"\x00" * 10_000_000, b"z" * (1 << 20)
    path = _members(tmp_path, a, b, _text(1000, 5))
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(fetch, "_gzip_codec", lambda: codec)
    pieces = list(iter_decompressed(path))
    assert max(map(len, pieces)) <= 1 << 18 and len(pieces) > 40
    assert b"".join(pieces) == a + b + _text(1000, 5)
