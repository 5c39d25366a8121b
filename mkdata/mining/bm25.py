"""BM25 candidates with bm25s, tokenized per language.

Tokens: NFKC, case-folded runs of letters and digits, Snowball-stemmed (PyStemmer)
where the language has a stemmer. Scripts written without spaces (Chinese, Japanese,
Thai, and Han/Kana/Thai runs inside any text) become overlapping character bigrams,
the usual choice of search engines (Lucene's CJK bigrams) when no dictionary
segmenter is used.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

STEMMERS = {
    "ara": "arabic", "cat": "catalan", "ces": "czech", "dan": "danish", "nld": "dutch",
    "eng": "english", "est": "estonian", "eus": "basque", "fin": "finnish", "fra": "french",
    "deu": "german", "ell": "greek", "hin": "hindi", "hun": "hungarian", "hye": "armenian",
    "ind": "indonesian", "gle": "irish", "ita": "italian", "lit": "lithuanian", "nep": "nepali",
    "nor": "norwegian", "nob": "norwegian", "fas": "persian", "pol": "polish",
    "por": "portuguese", "ron": "romanian", "rus": "russian", "srp": "serbian",
    "spa": "spanish", "swe": "swedish", "tam": "tamil", "tur": "turkish", "yid": "yiddish",
}  # fmt: skip
# Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar: no spaces between words
_UNSPACED = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff"
    "\u1780-\u17ff\u1000-\u109f"
)
_TOKEN = re.compile(rf"[{_UNSPACED}]+|[^\W_]+", re.UNICODE)
_UNSPACED_RUN = re.compile(rf"[{_UNSPACED}]+")


@lru_cache(maxsize=64)
def _stemmer(language: str):
    name = STEMMERS.get(language)
    if name is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(name)


def config_language(name: str) -> str | None:
    """The ISO 639-3 language a config name stands for (``deu``), or None (``default``)."""
    return name if len(name) == 3 and name.isalpha() and name.islower() else None


def tokenize(texts: list[str], language: str | None) -> list[list[str]]:
    """Tokens of each text for BM25 in ``language`` (ISO 639-3; None: no stemming)."""
    stemmer = _stemmer(language) if language else None
    out = []
    for text in texts:
        tokens: list[str] = []
        words: list[str] = []
        for tok in _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()):
            if _UNSPACED_RUN.fullmatch(tok):
                tokens += [tok] if len(tok) == 1 else [tok[i : i + 2] for i in range(len(tok) - 1)]
            else:
                words.append(tok)
        if stemmer is not None and words:
            words = stemmer.stemWords(words)
        out.append(tokens + words)
    return out


class BM25Index:
    """A bm25s index over ``docs``; :meth:`search` returns top-k (scores, ids) per query."""

    def __init__(self, docs: list[str], language: str | None) -> None:
        import bm25s

        self.language = language
        self.n = len(docs)
        self.retriever = bm25s.BM25()
        self.retriever.index(tokenize(docs, language), show_progress=False)

    def search(
        self, queries: list[str], k: int, batch: int = 4096
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores float32 (n, k'), ids int64 (n, k')) best first, k' = min(k, docs)."""
        k = min(k, self.n)
        scores = np.zeros((len(queries), k), np.float32)
        ids = np.zeros((len(queries), k), np.int64)
        for s in range(0, len(queries), batch):
            tokens = [t or ["\x00"] for t in tokenize(queries[s : s + batch], self.language)]
            docs, sc = self.retriever.retrieve(tokens, k=k, show_progress=False, n_threads=1)
            ids[s : s + batch] = docs
            scores[s : s + batch] = sc
        return scores, ids

    def scores_of(self, query: str, doc_ids: list[int]) -> np.ndarray:
        """BM25 scores of ``query`` for the given documents."""
        tokens = tokenize([query], self.language)[0]
        if not tokens:
            return np.zeros(len(doc_ids), np.float32)
        return np.asarray(self.retriever.get_scores(tokens), np.float32)[doc_ids]
