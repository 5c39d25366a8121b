"""The compiled fastText predictor gives the fasttext binding's labels and probabilities
bit for bit: on fuzzed texts, on models of every layout it reads, and through the CLI."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import CAN_BUILD, build_snapshot

from mkdata.core import lang
from mkdata.core.fasttext_file import UnsupportedModel, read_fasttext_model
from mkdata.core.lang import LanguageIdentifier, default_model_path

try:
    from mkdata.core import _fasttext_predict
except ImportError:
    _fasttext_predict = None

pytestmark = pytest.mark.skipif(
    _fasttext_predict is None and not CAN_BUILD,
    reason="no C compiler here: the fasttext binding predicts",
)

SAMPLE = Path(__file__).parents[1] / "mkdata" / "builders" / "samples" / "webfaq-sample.nq.gz"

_WORDS = (
    "the How do I reset my password Wie kann ich mein Passwort zurücksetzen Comment puis-je "
    "réinitialiser mon mot de passe Как сбросить пароль パスワードをリセットするには 如何重置密码 "
    "비밀번호를 재설정하려면 كيف يمكنني إعادة تعيين كلمة المرور כיצד לאפס סיסמה "
    "पासवर्ड कैसे रीसेट करें รีเซ็ตรหัสผ่าน Πώς μπορώ να επαναφέρω τον κωδικό "
    "de in a é 東 e\u0301 \U0001f600\U0001f44d ß İ ﬁ 1234 3.14 www.example.com "
    "a@b.de #tag (paren) «quote» ½ \u200b \ufeff \u00a0 \u2028 \u0085 \u3000"
)
WORDS = _WORDS.split(" ")  # the odd spaces among them stay in the words
ODD = [
    "__label__en", "__label__", "__label__xx", "</s>", "<", ">", "<s>", "</s>x", "x</s>",
    "\x00", "\t", "\v", "\f", "\r", "\n", "  ", "\x1c", "\u0301", "\ud7ff", "\U0010ffff",
]  # fmt: skip


def _texts(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    out = ["", " ", "\n", "</s>", "__label__de", "a </s> b", "x" * 5000, "東" * 3000]
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 40)):
            r = rng.random()
            if r < 0.75:
                parts.append(rng.choice(WORDS))
            elif r < 0.9:
                parts.append(rng.choice(ODD))
            else:  # a word glued from pieces of others, up to ~60 characters
                parts.append("".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12))))
        out.append(rng.choice(["", " ", "\t", "\x00"]).join(parts) if rng.random() < 0.2 else " ".join(parts))  # fmt: skip
    return out


def _pair(model: Path | None = None) -> tuple[LanguageIdentifier, LanguageIdentifier]:
    fast, ref = LanguageIdentifier(model, compiled=True), LanguageIdentifier(model, compiled=False)
    assert fast.compiled and not ref.compiled
    return fast, ref


def test_the_predictor_was_built_at_install():
    assert _fasttext_predict is not None, "a C compiler is here but it was not built"
    # an editable install keeps an old build after the C source changes: rebuild it
    assert _fasttext_predict.VERSION == lang.PREDICTOR_VERSION, "stale build: pip install -e ."
    assert lang.get_identifier().compiled


@pytest.mark.parametrize("k", [1, 3, 7, 176, 500])
def test_fuzzed_texts_get_the_bindings_labels_and_probabilities(k):
    fast, ref = _pair()
    texts = _texts(k, 1500)
    got, want = fast.predict(texts, k=k), ref.predict(texts, k=k)
    assert got == want  # labels and probabilities, float for float
    # fewer where the rest are under fastText's floor (probability 1e-5)
    assert {len(p.langs) for p in got} <= set(range(1, min(k, 176) + 1))
    assert max(len(p.langs) for p in got) >= min(k, 100)


def test_a_call_past_its_unknown_word_cache_predicts_alike():
    """One call meets more distinct unknown words than it keeps (~32k words, rows about one
    per byte of text): the words past that are hashed as they come, same predictions."""
    fast, ref = _pair()
    rng = random.Random(2)
    texts = [
        " ".join(f"{rng.getrandbits(40):x}" + rng.choice(["", "ß", "東"]) for _ in range(120))
        for _ in range(400)
    ]
    texts += texts[:50]  # and the cached ones again
    assert fast.predict(texts) == ref.predict(texts)


def test_the_expanded_rows_are_fastTexts_rows():
    import fasttext

    model = read_fasttext_model(default_model_path())
    binding = fasttext.load_model(str(default_model_path()))
    assert model.rows.shape == (50_000, 16) and len(model.labels) == 176
    rows = np.stack([binding.get_input_vector(i) for i in range(len(model.rows))])
    assert np.array_equal(rows, model.rows)
    assert model.labels == tuple(binding.get_labels())


@pytest.fixture(scope="module")
def own_models(tmp_path_factory) -> dict[str, Path]:
    """Small models trained here: hierarchical softmax, dense and unpruned (lid.176.ftz is
    the quantized and pruned one), and softmax. (Quantizing so small a model in this
    fasttext build gives NaN centroids now and then, so none is quantized here.)"""
    where = tmp_path_factory.mktemp("models")
    rng = random.Random(5)
    lines = []
    for label, words in (("en", WORDS[:9]), ("de", WORDS[9:15]), ("ru", WORDS[23:26])):
        for _ in range(300):
            lines.append(f"__label__{label} " + " ".join(rng.choices(words, k=6)))
    lines.append("__label__xx rare words here")
    data = where / "train.txt"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = {}
    common = {"dim": 8, "lr": 0.02, "minn": 1, "maxn": 5, "bucket": 50_000, "verbose": 0}

    def train(loss: str) -> Path:
        # this fasttext build now and then meets a NaN while training on so little data, in
        # some processes for every seed: train in fresh processes until one succeeds
        dest = where / f"{loss}.bin"
        for seed in range(6):
            args = {**common, "loss": loss, "minCount": 2, "seed": seed, "thread": 1}
            script = (
                "import fasttext, sys, json; "
                "fasttext.train_supervised(sys.argv[1], **json.loads(sys.argv[2]))"
                ".save_model(sys.argv[3])"
            )
            cmd = [sys.executable, "-c", script, str(data), json.dumps(args), str(dest)]
            if subprocess.run(cmd, capture_output=True, timeout=120).returncode == 0:
                return dest
        raise RuntimeError("fastText could not train a model here")

    out["dense"], out["softmax"] = train("hs"), train("softmax")
    return out


def test_a_dense_unpruned_model_predicts_alike(own_models):
    fast, ref = _pair(own_models["dense"])
    assert read_fasttext_model(own_models["dense"]).prune is None
    assert read_fasttext_model(default_model_path()).prune is not None
    texts = _texts(7, 800)
    for k in (1, 2, 4):
        assert fast.predict(texts, k=k) == ref.predict(texts, k=k)


def test_a_model_it_does_not_handle_is_left_to_the_binding(own_models, tmp_path):
    with pytest.raises(UnsupportedModel, match="hierarchical-softmax"):
        read_fasttext_model(own_models["softmax"])
    identifier = LanguageIdentifier(own_models["softmax"])
    assert not identifier.compiled and identifier.predict(["x"], k=1)[0].langs
    cut = tmp_path / "cut.ftz"
    cut.write_bytes(default_model_path().read_bytes()[:400_000])
    with pytest.raises(UnsupportedModel, match="truncated"):
        read_fasttext_model(cut)


def test_threads_share_one_predictor():
    fast, ref = _pair()
    texts = _texts(11, 3000)
    want = ref.predict(texts)
    results: list = [None] * 4

    def work(i: int) -> None:
        results[i] = fast.predict(texts)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == want for r in results)


def test_bad_arguments_are_refused():
    fast, _ = _pair()
    with pytest.raises(ValueError, match="k needs"):
        fast._compiled.predict(["x"], 0)
    with pytest.raises(TypeError):
        fast._compiled.predict([b"bytes"], 1)
    with pytest.raises(UnicodeEncodeError):
        fast._compiled.predict(["lone \ud800 surrogate"], 1)
    m = read_fasttext_model(default_model_path())
    rows = m.rows.copy()
    rows[0] = np.nan  # the end-of-line row, in every line: fastText raises, so does it
    nan = _fasttext_predict.Predictor(
        m.entries, m.types, m.nwords, m.prune, rows.tobytes(), 16, m.output.tobytes(),
        m.left.tobytes(), m.right.tobytes(), m.labels, 2, 4, m.bucket,
    )  # fmt: skip
    with pytest.raises(RuntimeError, match="Encountered NaN"):
        nan.predict(["x"], 1)
    blank = _fasttext_predict.Predictor.__new__(_fasttext_predict.Predictor)
    with pytest.raises(RuntimeError, match="not initialized"):
        blank.predict(["x"], 1)
    args = (m.entries, m.types, m.nwords, m.prune, m.rows.tobytes(), 16, m.output.tobytes(),
            m.left.tobytes(), m.right.tobytes(), m.labels, 2, 4, m.bucket)  # fmt: skip
    with pytest.raises(RuntimeError, match="already initialized"):
        nan.__init__(*args)
    half = _fasttext_predict.Predictor.__new__(_fasttext_predict.Predictor)
    with pytest.raises(ValueError, match="out of range"):  # refused after its first arrays
        half.__init__(*args[:3], b"\xff\xff\xff\xff\0\0\0\0", *args[4:])
    with pytest.raises(RuntimeError, match="not initialized"):
        half.predict(["x"], 1)
    cycle = m.left.copy()
    cycle[-1] = len(cycle) - 1  # the root its own child
    with pytest.raises(ValueError, match="not a tree"):
        _fasttext_predict.Predictor(*args[:7], cycle.tobytes(), *args[8:])
    with pytest.raises(ValueError, match=r"inconsistent|expected"):
        _fasttext_predict.Predictor(
            m.entries, m.types, m.nwords, m.prune, m.rows.tobytes()[:-4], 16,
            m.output.tobytes(), m.left.tobytes(), m.right.tobytes(), m.labels, 2, 4, m.bucket,
        )  # fmt: skip


def test_build_through_the_cli_is_identical_with_the_binding(tmp_path):
    compiled = build_snapshot(SAMPLE, tmp_path / "c", {"MKDATA_FASTTEXT_BINDING": ""})
    binding = build_snapshot(SAMPLE, tmp_path / "b", {"MKDATA_FASTTEXT_BINDING": "1"})
    assert compiled == binding
    assert sum(c["train"] for c in compiled[0]["configs"].values())
