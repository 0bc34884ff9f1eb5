"""The subject of the conversation and what the citizen got, kept in Rasa slots.

Follow-ups ("а сколько стоит?", "онлайн можно?") refer to the subject: the service just
answered, or the services an FAQ answer, a life situation's menu or a guide step covers. Each
answering action records the subject (`subject`, `subject_services`), what the citizen got
(`answer`, reported by the REST channel), the services answered (`service_ids`) and the other
candidates a "not that one" may want (`alternatives`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from komekshi.core.language import Lang
from komekshi.core.vocabulary import Answer


def language_of(tracker: Tracker) -> Lang:
    language: Lang = tracker.get_slot("language") or "kk"
    return language


def subject_services(tracker: Tracker) -> list[str]:
    return list(tracker.get_slot("subject_services") or [])


def chosen(tracker: Tracker, entity: str) -> str | None:
    """The value a button sent with the message (`/ask_service{"service": "…"}`)."""
    return next(tracker.get_latest_entity_values(entity), None)


def question_text(tracker: Tracker) -> str:
    """What the citizen wrote: for a button press, the question "did you mean …?" was about."""
    text = str(tracker.latest_message.get("text") or "")
    if text.startswith("/"):
        return str(tracker.get_slot("clarify_text") or "")
    return text


def record(
    kind: Answer, key: str | None = None, *, fact: str | None = None, options: Iterable[str] = ()
) -> dict[str, Any]:
    """What the citizen got, as the `answer` slot keeps it (and the REST channel reports it)."""
    return {"kind": str(kind), "id": key, "fact": fact, "options": list(options)}


def answered(
    kind: Answer,
    key: str | None = None,
    *,
    fact: str | None = None,
    subject: str | None = None,
    services: Iterable[str] = (),
    options: Iterable[str] = (),
    alternatives: Iterable[str] | None = None,
    pending_fact: str | None = None,
) -> list[EventType]:
    """The slots of a turn that answered (`subject`: the new subject, with its services;
    `pending_fact`: the fact a "which one?" was asked for, answered once the citizen names
    one of the options)."""
    events: list[EventType] = [
        SlotSet("answer", record(kind, key, fact=fact, options=options)),
        SlotSet("service_ids", [key] if kind == Answer.SERVICE and key else []),
        SlotSet("clarify_text", None),
        SlotSet("pending_fact", pending_fact),
    ]
    if subject is not None:
        events += [SlotSet("subject", subject), SlotSet("subject_services", list(services))]
    if alternatives is not None:
        events.append(SlotSet("alternatives", list(alternatives)))
    return events
