"""A corpus with planted near-duplicates, half-overlapping distinct documents and unrelated ones.

Sentences are drawn from a pseudo-vocabulary (Zipf-like word frequencies). Each
base document gets one planted near-duplicate made by a light edit (case,
punctuation, one word replaced / inserted / deleted, a few words appended), and
some base documents get a distinct partner sharing half its words.
"""

from __future__ import annotations

import random

EDITS = ("case_punct", "replace_word", "insert_word", "delete_word", "append_words", "swap_words")


def vocabulary(rng: random.Random, size: int = 5000) -> list[str]:
    syll = [
        "ka",
        "lo",
        "mi",
        "ne",
        "ra",
        "to",
        "su",
        "vi",
        "de",
        "an",
        "or",
        "el",
        "ti",
        "po",
        "ge",
    ]
    words = {"".join(rng.choice(syll) for _ in range(rng.randint(1, 4))) for _ in range(size * 2)}
    return sorted(words)[:size]


def sentence(rng: random.Random, vocab: list[str], words: int) -> list[str]:
    return [
        vocab[min(int(rng.paretovariate(1.1)) - 1, len(vocab) - 1)]
        if rng.random() < 0.3
        else rng.choice(vocab)
        for _ in range(words)
    ]


def edit(rng: random.Random, words: list[str], vocab: list[str], kind: str) -> str:
    w = list(words)
    if kind == "case_punct":
        return " ".join(w).upper().replace(" ", ", ", 2) + "!"
    i = rng.randrange(len(w))
    if kind == "replace_word":
        w[i] = rng.choice(vocab)
    elif kind == "insert_word":
        w.insert(i, rng.choice(vocab))
    elif kind == "delete_word":
        del w[i]
    elif kind == "append_words":
        w += [rng.choice(vocab) for _ in range(2)]
    elif kind == "swap_words" and i + 1 < len(w):
        w[i], w[i + 1] = w[i + 1], w[i]
    return " ".join(w)


def make_corpus(n_base: int, seed: int = 3, min_words: int = 15, max_words: int = 40) -> list[dict]:
    """Rows ``{id, text, kind, of}``: kind is base, near_dup (of = base id), half_overlap, unrelated."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    rows: list[dict] = []
    for b in range(n_base):
        words = sentence(rng, vocab, rng.randint(min_words, max_words))
        base_id = f"b{b}"
        rows.append({"id": base_id, "text": " ".join(words) + ".", "kind": "base", "of": None})
        kind = EDITS[b % len(EDITS)]
        rows.append(
            {
                "id": f"d{b}",
                "text": edit(rng, words, vocab, kind),
                "kind": "near_dup",
                "of": base_id,
                "edit": kind,
            }
        )
        if b % 2 == 0:
            half = words[: len(words) // 2] + sentence(rng, vocab, len(words) - len(words) // 2)
            rows.append(
                {"id": f"h{b}", "text": " ".join(half) + ".", "kind": "half_overlap", "of": base_id}
            )
        rows.append(
            {
                "id": f"u{b}",
                "text": " ".join(sentence(rng, vocab, rng.randint(min_words, max_words))) + ".",
                "kind": "unrelated",
                "of": None,
            }
        )
    rng.shuffle(rows)
    return rows
