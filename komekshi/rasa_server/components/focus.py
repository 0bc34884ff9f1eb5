"""The question inside a long message.

Citizens often tell their story first ("мы кандасы из Монголии, приехали в мае, сыну 7 лет,
по-русски не говорит…") and ask at the end ("как его записать в школу?"). Counted as a whole,
such a message is about Mongolia and kandas status. The question-bearing sentences of a long
message (a question mark, or a question word) are its focus; its sentence vector is half the
focus's (komekshi/rasa_server/components/sentence_featurizer.py). Counting the focus's words
twice as well did not help (docs/nlu.md).
"""

from __future__ import annotations

import re

from komekshi.core.language import fold

# A message of at least this many words has a story around its question.
LONG = 25
# Sentences of the focus, at most: the last question-bearing ones.
KEPT = 2
_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")
# Words that ask, folded (komekshi.core.language.fold): a sentence with one of them bears a question
# even without a question mark.
_ASKING = re.compile(
    r"(^|\s)(как|где|куда|когда|сколько|скока|какие|какой|какая|можно|нужно|надо|что делать"
    r"|подскажите|ли|калаи|каида|кашан|канша|кандаи|бола ма|керек пе|керек|не истеу"
    r"|аитиниздаршы|аитиниздарши|ма|ме|ба|бе|па|пе)(\s|$|\?)"
)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def asks(sentence: str) -> bool:
    return "?" in sentence or bool(_ASKING.search(fold(sentence)))


def focus(text: str) -> str | None:
    """The question-bearing sentences of a long message (the last ones), or None for a short
    message or one whose every sentence is its focus."""
    if len(text.split()) < LONG:
        return None
    parts = sentences(text)
    asking = [s for s in parts if asks(s)][-KEPT:] or parts[-1:]
    chosen = " ".join(asking)
    return chosen if chosen != text.strip() and len(asking) < len(parts) else None
