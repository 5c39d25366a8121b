"""The cheap labeller of WebFAQ 2.0's recipe: logistic regression on sentence embeddings,
trained on LLM labels, with its agreement with the LLM measured on held-out rows."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

HELD_OUT = 0.2  # share of the LLM-labelled sample kept out of training to measure agreement


def held_out(keys: list[str], seed: int = 0) -> np.ndarray:
    """True for the rows (by stable key) kept out of training: about ``HELD_OUT`` of them,
    the same ones on every run with the same seed."""
    cut = int(HELD_OUT * 2**32)
    return np.array(
        [_hash32(f"held-out:{seed}:{k}") < cut for k in keys], dtype=bool
    )  # fmt: skip


def _hash32(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "little")


@dataclass
class LabelClassifier:
    """A fitted classifier over embeddings, and the labels it can give."""

    model: Any
    classes: list[str]

    def predict(self, x: np.ndarray) -> tuple[list[str], np.ndarray]:
        """The label of each row of ``x`` and the classifier's probability for it."""
        if len(self.classes) == 1:
            return [self.classes[0]] * len(x), np.ones(len(x), np.float32)
        proba = self.model.predict_proba(x)
        best = proba.argmax(axis=1)
        return [self.classes[i] for i in best], proba[np.arange(len(x)), best].astype(np.float32)


def fit(x: np.ndarray, labels: list[str], seed: int = 0) -> LabelClassifier:
    """Logistic regression fitted on embeddings ``x`` and their ``labels``."""
    from sklearn.linear_model import LogisticRegression

    classes = sorted(set(labels))
    if len(classes) < 2:
        return LabelClassifier(None, classes)
    model = LogisticRegression(max_iter=2000, C=4.0, random_state=seed)
    model.fit(x, labels)
    return LabelClassifier(model, [str(c) for c in model.classes_])


def agreement(
    x: np.ndarray, labels: list[str], languages: list[str], keys: list[str], seed: int = 0
) -> dict[str, Any]:
    """Train on the rows not held out, then the share of held-out rows where the classifier
    gives the LLM's label: per language and overall, with the counts behind them."""
    test = held_out(keys, seed)
    if test.all() or not test.any():
        return {"held_out": int(test.sum()), "trained_on": int((~test).sum()), "overall": None,
                "per_language": {}}  # fmt: skip
    clf = fit(x[~test], [y for y, t in zip(labels, test, strict=True) if not t], seed)
    idx = np.flatnonzero(test)
    predicted, _ = clf.predict(x[idx])
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for i, p in zip(idx.tolist(), predicted, strict=True):
        hits[languages[i]][0] += p == labels[i]
        hits[languages[i]][1] += 1
    total = sum(h for h, _ in hits.values())
    return {
        "held_out": len(idx),
        "trained_on": int((~test).sum()),
        "overall": round(total / len(idx), 4),
        "per_language": {
            lang: {"agreement": round(h / n, 4), "held_out": n}
            for lang, (h, n) in sorted(hits.items())
        },
    }
