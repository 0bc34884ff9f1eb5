"""How close a citizen's words are to the names of things (services, life situations).

Character n-grams (TF-IDF cosine, every script folded to Cyrillic) catch typos, suffixes and
Latin spellings; sentence vectors catch paraphrases and the other language. It is the second
opinion beside the trained model: the model learns every service from questions, and this
index finds a service by its names when the model is unsure, or when an editor has just added
a service the model has not been trained on yet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer

from komekshi.core.language import as_cyrillic, to_cyrillic

# A query must score at least this against one of an owner's phrases to count as a match:
# right answers score above 0.4 and unrelated text below 0.2.
MIN_SCORE = 0.3
# Sentence vectors are compared centred on the mean of the phrases (e5 puts any two sentences
# close; centring removes what they all share): a similarity at or below SEMANTIC_FLOOR counts
# as none, and meaning weighs SEMANTIC_WEIGHT against spelling.
SEMANTIC_FLOOR = 0.3
SEMANTIC_WEIGHT = 0.5
# Words of how a question is asked, not of what it names ("как", "қалай", "үшін"): spelling
# compares a query without them, since names have none and every n-gram they add only
# dilutes the score ("жшс қалай ашамын" against "ЖШС ашу").
_QUESTION_WORDS = """
как что где когда куда какой какая какие каким нужно надо можно ли мне я мы хочу это чтобы
если а и в на с по у о от до из за при или же бы не ни для
қалай қандай қайда қашан неге не үшін керек ма ме ба бе па пе бола болады ала аламын алам
мен біз маған бізге ғой енді және да де та те ше ші шы
"""
_FOLDED_QUESTION_WORDS = frozenset(to_cyrillic(word) for word in _QUESTION_WORDS.split())


class Embeds(Protocol):
    """What search by meaning needs of a sentence model (komekshi.core.embedding.Embedder)."""

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def normalise(text: str) -> str:
    return to_cyrillic(text.lower().replace("ё", "е"))


def _without_question_words(query: str) -> str:
    """The normalised query without the question words (all of it, if nothing else is left)."""
    folded = normalise(query)
    words = [w for w in re.findall(r"\w+(?:-\w+)*", folded) if w not in _FOLDED_QUESTION_WORDS]
    return " ".join(words) or folded


def _unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-9), dtype=np.float32)


class PhraseIndex:
    """Owners (ids) named by phrases; each owner scores by its best phrase."""

    def __init__(self, phrases: list[tuple[str, str]], embedder: Embeds | None = None) -> None:
        self.owners = [owner for owner, _ in phrases]
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform([normalise(text) for _, text in phrases])
        self.embedder = embedder
        self.vectors: NDArray[np.float32] | None = None
        if embedder is not None:
            vectors = embedder.encode([text for _, text in phrases])
            self.centre = vectors.mean(axis=0)
            self.vectors = _unit(vectors - self.centre)

    def best(self, query: str, among: frozenset[str] | None = None) -> list[tuple[str, float]]:
        """Owners scoring at least MIN_SCORE, best first, each once (only `among`, if given)."""
        spelled = self.vectorizer.transform([_without_question_words(query)])
        scores = (self.matrix @ spelled.T).toarray().ravel()
        if self.embedder is not None and self.vectors is not None:
            query_vector = self.embedder.encode([as_cyrillic(query)]) - self.centre
            similarity = self.vectors @ _unit(query_vector)[0]
            meaning = np.clip((similarity - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR), 0.0, 1.0)
            scores = (1 - SEMANTIC_WEIGHT) * scores + SEMANTIC_WEIGHT * meaning
        ranked: dict[str, float] = {}
        for index in np.argsort(-scores):
            score = float(scores[index])
            if score < MIN_SCORE:
                break
            owner = self.owners[index]
            if among is None or owner in among:
                ranked.setdefault(owner, round(score, 3))
        return list(ranked.items())
