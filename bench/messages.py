"""The benchmark's messages: the held-out questions, each sent once and every one different.

Messages are the held-out questions of evaluation/heldout/ (both languages, all scripts), each
sent once and every one different (small variations: a polite opening, a question mark…),
so no cache in Rasa or the action server answers from memory.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tools.ml.heldout import load_messages

# Answers that hand the conversation to a person, or may (an offer the next message
# accepts): left out of the bridge runs, where a handed-off chat no longer reaches Rasa.
HANDOFF_KINDS = frozenset({"handoff", "complaint", "out_of_scope", "language"})

# Ways citizens start and end the same question; each keeps the message natural.
OPENINGS = {
    "ru": ("здравствуйте, ", "подскажите, ", "скажите пожалуйста, ", "добрый день, ", "а "),
    "kk": ("сәлеметсіз бе, ", "айтыңызшы, ", "көмектесіңізші, ", "қайырлы күн, ", "ал "),
}
ENDINGS = {
    "ru": ("?", " пожалуйста", "??", " спасибо", "!"),
    "kk": ("?", " өтінемін", "??", " рахмет", "!"),
}


@dataclass(frozen=True)
class Question:
    text: str
    language: str
    kind: str  # the kind of answer it must get: service, faq, handoff, …


def questions() -> list[Question]:
    """The held-out messages (evaluation/heldout/), in both languages."""
    return [Question(m.text, m.language, m.expect[0].split(":")[0]) for m in load_messages()]


def variant(question: Question, round_: int) -> str:
    """The `round_`-th way of writing a question: itself, then with an opening or ending."""
    text = question.text.strip()
    if round_ == 0:
        return text
    opening = OPENINGS[question.language][(round_ - 1) % len(OPENINGS["ru"])]
    ending = ENDINGS[question.language][(round_ - 1) % len(ENDINGS["ru"])]
    if round_ % 2:
        return opening + text[:1].lower() + text[1:]
    return text.rstrip(".!?") + ending


class Messages:
    """An endless supply of different realistic messages, none ever given twice."""

    def __init__(self, pool: Sequence[Question], seed: int) -> None:
        self.pool = list(pool)
        random.Random(seed).shuffle(self.pool)
        self.used: set[str] = set()
        self._next = self._generate()

    def _generate(self) -> Iterator[str]:
        for round_ in itertools.count():
            for question in self.pool:
                text = variant(question, round_)
                if text.lower() not in self.used:
                    self.used.add(text.lower())
                    yield text

    def take(self, count: int) -> list[str]:
        return list(itertools.islice(self._next, count))
