"""The held-out set stays apart from the training data, and its labels mean what they say."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer

from komekshi.core.embedding import Embedder
from komekshi.core.language import fold
from komekshi.knowledge.content import Content, iter_questions
from komekshi.knowledge.register import Register
from tools.ml.heldout import HELDOUT, all_texts, load_conversations, load_messages
from tools.ml.training_data import examples

# Two texts this close in character n-grams (TF-IDF cosine of 2–5-grams, spelling folded)
# are the same message, give or take a typo or a word.
NEAR_COPY_CHARS = 0.85
# Or this close in meaning (e5 cosine): a rewording that leaves nothing new to learn.
NEAR_COPY_MEANING = 0.97
# Pairs closer than this in characters are compared by meaning too.
CANDIDATE_CHARS = 0.5
# A short message inside a longer question that adds to it («какие документы нужны» in
# «какие документы нужны на ИП») is not the same message: a copy by characters has as many
# words, give or take this many.
WORDS_MORE_OR_LESS = 1
# Messages this short ("спасибо", "salem", "оператор") are what citizens write in both sets:
# they cannot be written apart, and are not checked.
SHORTEST_CHECKED = 3


def _same_length(one: str, other: str) -> bool:
    return abs(len(one.split()) - len(other.split())) <= WORDS_MORE_OR_LESS


def near_copies(
    heldout: list[str], training: list[str], encode: Any = None
) -> list[tuple[str, str, float]]:
    """Held-out texts (of SHORTEST_CHECKED words or more) that appear in the training data or
    nearly so, with the training text and how close: by character n-grams, and, when
    `encode` (texts → unit vectors) is given, by meaning for the pairs that are close in
    characters."""
    checked = sorted({t for t in heldout if len(t.split()) >= SHORTEST_CHECKED})
    learnt = sorted(set(training))
    if not checked or not learnt:
        return []
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
    vectorizer.fit([fold(t) for t in learnt + checked])
    left = vectorizer.transform([fold(t) for t in checked])
    right = vectorizer.transform([fold(t) for t in learnt])
    similarity = (left @ right.T).tocsr()
    found = []
    pairs: list[tuple[int, int, float]] = []
    for row in range(similarity.shape[0]):
        start, end = similarity.indptr[row], similarity.indptr[row + 1]
        if start == end:
            continue
        columns, values = similarity.indices[start:end], similarity.data[start:end]
        alike = np.array([_same_length(checked[row], learnt[c]) for c in columns])
        best = int(np.argmax(np.where(alike, values, 0.0)))
        if alike[best] and values[best] >= NEAR_COPY_CHARS:
            found.append((checked[row], learnt[columns[best]], round(float(values[best]), 3)))
        elif encode is not None:
            pairs += [(row, int(c), float(v)) for c, v in zip(columns, values, strict=True)
                      if v >= CANDIDATE_CHARS]  # fmt: skip
    if encode is not None and pairs:
        texts = sorted({checked[r] for r, _, _ in pairs} | {learnt[c] for _, c, _ in pairs})
        vectors = dict(zip(texts, encode(texts), strict=True))
        reported = {text for text, _, _ in found}
        for row, column, _ in pairs:
            meaning = float(vectors[checked[row]] @ vectors[learnt[column]])
            if meaning >= NEAR_COPY_MEANING and checked[row] not in reported:
                found.append((checked[row], learnt[column], round(meaning, 3)))
                reported.add(checked[row])
    return found


@cache
def _register() -> Register:
    return Register.load()


def _training_texts() -> list[str]:
    """The questions the model learns from: the editors', their generated spellings and the
    ones assigned in review. A service's or situation's own names are left out: a citizen
    who types a service's name is meant to find it, whatever the held-out set says."""
    content = Content.load()
    written = [str(question) for _, _, question in iter_questions(content)]
    extra = examples(content, _register())
    return written + [text for source, by_intent in extra.items()
                      if source not in ("register", "situations")
                      for texts in by_intent.values() for text in texts]  # fmt: skip


def test_no_held_out_message_nor_a_near_copy_is_in_the_training_data() -> None:
    found = near_copies(list(all_texts()), _training_texts(), Embedder().encode)
    report = "\n".join(f"{held!r} ~ {learnt!r} ({how})" for held, learnt, how in found)
    assert not found, f"held-out messages found in the training data:\n{report}"


def test_near_copies_are_found_by_spelling_and_by_meaning() -> None:
    training = ["как получить справку о несудимости", "жеке куәлікті қалай ауыстырамын",
                "какие документы нужны для открытия ИП"]  # fmt: skip
    held = [
        "как получить справку о несудимости?",  # the same, punctuated
        "Zheke kualikti kalai auystyramyn",  # the same, in Latin letters
        "где взять справку что я не судим",  # a paraphrase: allowed
        "какие документы нужны",  # inside a longer question that adds to it: allowed
        "спасибо",  # too short to be checked
    ]
    found = {text for text, _, _ in near_copies(held, training)}
    assert found == {held[0], held[1]}


def test_every_label_names_a_service_topic_or_situation_that_exists() -> None:
    services = {s.id for s in _register().services}
    situations = {s.id for s in _register().situations}
    topics = {t.key for t in Content.load().topics if t.base_intent == "faq"}
    turns = [t for c in load_conversations() for t in c.turns]
    for expected in [*load_messages(), *turns]:
        for label in expected.expect:
            kind, _, key = label.partition(":")
            known = {"service": services, "situation": situations, "faq": topics}.get(kind)
            assert known is None or key in known, f"{label}: {expected.text!r}"


def test_the_held_out_set_is_as_varied_as_citizens_write() -> None:
    messages = load_messages()
    share = lambda hits: sum(hits) / len(messages)  # noqa: E731
    assert len(messages) >= 800
    assert share(m.expect[0].startswith("service:") for m in messages) >= 0.5
    assert abs(share(m.language == "kk" for m in messages) - 0.5) <= 0.05
    assert share(m.script == "latin_or_mixed" for m in messages) >= 0.40
    assert share(m.long for m in messages) >= 0.15
    assert share(m.typos for m in messages) >= 0.15
    conversations = load_conversations()
    assert len(conversations) >= 150 and sum(len(c.turns) for c in conversations) >= 500


def test_the_held_out_files_are_plain_yaml() -> None:
    for path in HELDOUT.rglob("*.yml"):
        assert yaml.safe_load(path.read_text(encoding="utf-8")), path
