"""The held-out set and how an answer is scored against it.

Each held-out message (evaluation/heldout/messages/) and each turn of a held-out conversation
(evaluation/heldout/conversations/) says what the citizen must get: a service's card or one
fact of it, an FAQ answer, a life situation, a person, out of scope, small talk, the emergency
numbers, a language switch, a guide's next step. The bot's answer is what its REST channel
reports for the turn (`custom.answer`, komekshi/rasa_server/channel.py); `score` compares the two.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from komekshi.core.language import script_of
from komekshi.core.settings import ROOT
from komekshi.core.vocabulary import Answer, class_of

HELDOUT = ROOT / "evaluation" / "heldout"
# A message of this many words or more is long: the question drowned in its story.
LONG_WORDS = 40
# Tags writers gave a message typed with heavy typos or Kazakh without Kazakh letters.
TYPO_TAGS = frozenset({"typos", "no_kz_letters"})
# FAQ topics whose answer covers services: a card of one of them answers the topic too.
# (Read from the content by the caller; kept here as the type the scorer takes.)
Covers = dict[str, list[str]]


def script_group(text: str) -> str:
    """cyrillic, or latin_or_mixed (Latin letters anywhere: the harder half)."""
    return "cyrillic" if script_of(text) in ("cyrillic", "none") else "latin_or_mixed"


def share(hits: Iterable[bool]) -> float:
    """The share of true ones, to four places (0.0 of none)."""
    values = list(hits)
    return round(sum(values) / len(values), 4) if values else 0.0


@dataclass(frozen=True)
class Expected:
    """One message or turn and what it must get."""

    text: str
    expect: tuple[str, ...]
    language: str
    fact: str | None = None
    choice_ok: bool = False
    tags: frozenset[str] = frozenset()
    source: str = ""

    @property
    def script(self) -> str:
        return script_group(self.text)

    @property
    def long(self) -> bool:
        return len(self.text.split()) >= LONG_WORDS

    @property
    def typos(self) -> bool:
        return bool(TYPO_TAGS & self.tags)

    @property
    def kinds(self) -> set[str]:
        return {label.split(":")[0] for label in self.expect}


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: list[Expected] = field(default_factory=list)


def _expected(item: dict[str, Any], source: str) -> Expected:
    expect = item["expect"]
    return Expected(
        text=str(item["text"]),
        expect=tuple(expect) if isinstance(expect, list) else (str(expect),),
        language=str(item["language"]),
        fact=item.get("fact"),
        choice_ok=bool(item.get("choice_ok")),
        tags=frozenset(item.get("tags") or ()),
        source=source,
    )


def load_messages(folder: Path = HELDOUT / "messages") -> list[Expected]:
    found = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found += [_expected(item, path.name) for item in data["messages"]]
    return found


def load_conversations(folder: Path = HELDOUT / "conversations") -> list[Conversation]:
    found = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data["conversations"]:
            turns = [_expected(turn, path.name) for turn in item["turns"]]
            found.append(Conversation(str(item["id"]), turns))
    return found


def all_texts() -> Iterator[str]:
    """Every held-out text, messages and conversation turns."""
    yield from (m.text for m in load_messages())
    yield from (t.text for c in load_conversations() for t in c.turns)


def got(answer: dict[str, Any] | None) -> str:
    """The label of what the citizen got (`service:<id>`, `faq:<topic>`, `handoff`, …)."""
    if not answer:
        return "nothing"
    kind, key = str(answer.get("kind")), answer.get("id")
    labels = {
        Answer.SERVICE: f"service:{key}",
        Answer.FAQ: f"faq:{key}",
        Answer.SITUATION: f"situation:{key}",
        Answer.SMALL_TALK: f"smalltalk:{key}",
        Answer.LANGUAGE: f"language:{key}",
        Answer.GUIDE_NEXT: "guide:next",
        Answer.GUIDE_DONE: "guide:next",
        Answer.GUIDE_STOP: "guide:stop",
    }
    return labels.get(Answer(kind), kind) if kind in Answer._value2member_map_ else kind


def _offered(answer: dict[str, Any] | None) -> set[str]:
    """The labels a "which one?" offered (`ask_service/x` → `service:x`)."""
    options = (answer or {}).get("options") or []
    labels = set()
    for option in options:
        intent, _, key = str(option).partition("/")
        kind = {"ask_service": "service", "faq": "faq", "ask_life_situation": "situation"}
        labels.add(f"{kind[intent]}:{key}" if intent in kind and key else str(option))
    return labels


def accepted(expected: Expected, covers: Covers) -> set[str]:
    """The labels that answer an expectation right: itself, and for an FAQ topic that covers
    services, those services' cards (the topic offers them as buttons, a card says more)."""
    labels = set(expected.expect)
    for label in expected.expect:
        kind, _, key = label.partition(":")
        if kind == "faq":
            labels |= {f"service:{s}" for s in covers.get(class_of("faq", key), [])}
        if kind == "out_of_scope":
            labels.add(str(Answer.NOT_UNDERSTOOD))
    return labels


@dataclass(frozen=True)
class Scored:
    """One message or turn, what it got, and whether that was right."""

    expected: Expected
    got: str
    fact: str | None
    language: str | None
    right_first: bool
    right_offered: bool
    reply: str = ""

    @property
    def follow_up(self) -> bool:
        return self.expected.fact is not None

    @property
    def right_fact(self) -> bool:
        """A one-fact question answered with that fact about the right subject (a choice
        that offers the right subject counts where the writer said it may)."""
        if not self.follow_up:
            return self.right_first
        if self.right_first and self.got.startswith("service:"):
            return self.fact == self.expected.fact
        return self.right_offered and self.expected.choice_ok


def score(expected: Expected, payload: dict[str, Any], reply: str, covers: Covers) -> Scored:
    """Compare the answer of one turn (the REST payload of its first reply) with what it
    must get."""
    answer = payload.get("answer")
    label = got(answer)
    right = accepted(expected, covers)
    first = label in right
    if label == str(Answer.CHOICE) and expected.choice_ok:
        first = bool(_offered(answer) & right)
    offered = first or bool(_offered(answer) & right)
    return Scored(
        expected,
        label,
        (answer or {}).get("fact"),
        payload.get("language"),
        first,
        offered,
        reply,
    )
