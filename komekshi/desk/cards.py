"""What a case looks like in the operators' chat: its card, its status and its buttons.

Operators decide from the card alone (who, in which language, why, what the bot understood,
the conversation so far) and act with its buttons, so its text and markup are built here, in
one place, from the editors' content (content/messages/operators.yml) in the operators'
language. A button carries `<action>:<case id>[:<argument>]`: operators' buttons claim, give
back, transfer or close a case; a citizen's cancel the case or rate it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from komekshi.channel.outbox import Keyboard
from komekshi.core import clock
from komekshi.core.language import Lang
from komekshi.desk.cases import OPERATOR_RESOLUTIONS, RATINGS, Case, Status
from komekshi.knowledge import responses

OPERATOR_ACTIONS = ("claim", "release", "transfer", "close")
CITIZEN_ACTIONS = ("cancel", "rate")
_BUTTON = re.compile(rf"^({'|'.join(OPERATOR_ACTIONS + CITIZEN_ACTIONS)}):(\d+)(?::(\w+))?$")
# The callback data of the buttons only operators press (what their handler takes).
OPERATOR_BUTTON = re.compile(rf"^({'|'.join(OPERATOR_ACTIONS)}):")


@dataclass(frozen=True)
class Button:
    """A pressed button of the desk (parsed from its callback data)."""

    action: str
    case_id: int
    argument: str | None

    @classmethod
    def parse(cls, data: str) -> Button | None:
        match = _BUTTON.match(data)
        return cls(match[1], int(match[2]), match[3]) if match else None


def render(
    texts: responses.Responses, response: str, language: Lang, /, **values: Any
) -> tuple[str, Keyboard]:
    """A response of the content in one language, its text and buttons filled in."""
    variation = responses.variation(texts, response, language)
    buttons = tuple(
        ((b["title"].format(**values), b["payload"].format(**values)),)
        for b in variation.get("buttons", [])
    )
    return responses.text(texts, response, language, **values), buttons


def name(names: dict[int, str], operator_id: int | None) -> str:
    """An operator as cards and questions name them: first name, else their id."""
    if operator_id is None:
        return "—"
    return names.get(operator_id) or f"ID {operator_id}"


def stars(case: Case) -> Keyboard:
    """The citizen's rating buttons, one row of stars."""
    return (tuple((f"{n} ⭐", f"rate:{case.id}:{n}") for n in RATINGS),)


class Cards:
    """The operators' words: case cards, and the questions about a case with their buttons."""

    def __init__(self, texts: responses.Responses, language: Lang) -> None:
        self.texts = texts
        self.language = language

    def text(self, response: str, /, **values: Any) -> str:
        return responses.text(self.texts, response, self.language, **values)

    def render(self, response: str, /, **values: Any) -> tuple[str, Keyboard]:
        return render(self.texts, response, self.language, **values)

    def card(self, case: Case, names: dict[int, str], timezone: ZoneInfo) -> tuple[str, Keyboard]:
        """The case's card: who, why, what was understood, the conversation, its buttons."""
        status, buttons = self._status(case, names)
        text = self.text(
            "utter_operator_case",
            case_id=case.id,
            status=status,
            first_name=case.first_name or "—",
            language=case.language,
            reason=self.text(f"utter_operator_reason_{case.reason}"),
            intent=case.intent or "—",
            confidence=f"{case.confidence:.2f}",
            opened=dt.datetime.fromtimestamp(case.opened_at, timezone).strftime("%d.%m.%Y %H:%M"),
            transcript=case.card_transcript or "—",
        )
        return text, buttons

    def _status(self, case: Case, names: dict[int, str]) -> tuple[str, Keyboard]:
        if case.status == Status.CLAIMED:
            return self.render(
                "utter_operator_status_claimed",
                case_id=case.id,
                operator=name(names, case.operator_id),
            )
        if case.status == Status.CLOSED:
            resolution = self.text(f"utter_operator_resolution_{case.resolution}")
            rating = str(case.rating) if case.rating else "—"
            return self.render("utter_operator_status_closed", resolution=resolution, rating=rating)
        minutes = int((clock.timestamp() - case.opened_at) // 60)
        return self.render("utter_operator_status_waiting", case_id=case.id, minutes=minutes)

    def resolutions(self, case: Case) -> Keyboard:
        """How the case ended, one button each, for the operator who closes it."""
        return tuple(
            ((self.text(f"utter_operator_resolution_{r}"), f"close:{case.id}:{r}"),)
            for r in OPERATOR_RESOLUTIONS
        )

    @staticmethod
    def colleagues(case: Case, colleagues: list[int], names: dict[int, str]) -> Keyboard:
        """Whom to hand the case to, one button each."""
        return tuple(((name(names, c), f"transfer:{case.id}:{c}"),) for c in colleagues)
