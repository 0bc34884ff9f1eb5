"""Not sure what the citizen meant: "did you mean …?", the choice, and "no, not that".

The candidates are the services and topics the model still ranks at `suggest_min` or more,
with the services the register finds by their names as a second opinion; they are offered
as buttons with their names in the citizen's language, with a button for a person. Only
when nothing is plausible does the bot say it did not understand (and offer a person).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from komekshi.actions.catalogue import load
from komekshi.actions.confidence import ranking, suggestions
from komekshi.actions.handoff import hand_off, reason_of
from komekshi.actions.services import NAMES_A_SERVICE, answer_with, ask_which, subject_of
from komekshi.actions.subject import answered, chosen, language_of
from komekshi.actions.topics import answer_topic
from komekshi.core.language import Lang
from komekshi.core.vocabulary import (
    EMERGENCY,
    FACT_INTENTS,
    OUT_OF_SCOPE,
    REQUEST_HUMAN,
    Answer,
    answer_of,
    class_of,
)
from komekshi.knowledge import responses

# At most this many candidates are offered.
CHOICES = 3
# An unsure message this likely to be an emergency gets the emergency numbers.
EMERGENCY_FLOOR = 0.2


def _payload(label: str) -> str:
    answer = answer_of(label)
    if answer and answer[0] == "service":
        return f'/ask_service{{"service": "{answer[1]}"}}'
    if answer and answer[0] == "situation":
        return f'/ask_life_situation{{"life_situation": "{answer[1]}"}}'
    return f'/choose_topic{{"topic": "{label}"}}'


def _buttons(labels: list[str], language: Lang, domain: dict[str, Any]) -> list[dict[str, str]]:
    titles = load().labels
    operator = responses.text(domain["responses"], "utter_operator_button", language)
    return [
        *({"title": titles[label][language], "payload": _payload(label)} for label in labels),
        {"title": operator, "payload": f"/{REQUEST_HUMAN}"},
    ]


def declined(dispatcher: CollectingDispatcher, parse: dict[str, Any]) -> list[EventType] | None:
    """An unsure message whose likeliest reading is an emergency gets the emergency numbers
    (as one that may be an emergency at all, EMERGENCY_FLOOR); one whose likeliest reading is
    out of scope is declined with the offer of a person: neither gets "did you mean …?"."""
    ranked = ranking(parse)
    if not ranked:
        return None
    emergency = next((score for label, score in ranked if label == EMERGENCY), 0.0)
    if ranked[0][0] == EMERGENCY or emergency >= EMERGENCY_FLOOR:
        dispatcher.utter_message(response=f"utter_{EMERGENCY}")
        return answered(Answer.EMERGENCY)
    if ranked[0][0] == OUT_OF_SCOPE:
        dispatcher.utter_message(response=f"utter_{OUT_OF_SCOPE}")
        return answered(Answer.OUT_OF_SCOPE)
    return None


def clarify(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], text: str
) -> list[EventType]:
    """Did you mean …? The plausible services and topics as buttons, or "not understood"."""
    knowledge = load()
    language = language_of(tracker)
    decided = declined(dispatcher, tracker.latest_message)
    if decided is not None:
        return decided
    # A fact follow-up is a candidate only when there is a subject to ask it about.
    offerable = {
        label for label in knowledge.labels
        if label not in FACT_INTENTS or tracker.get_slot("subject_services")
    }  # fmt: skip
    offered = suggestions(tracker.latest_message, offerable, knowledge.suggest_min, CHOICES)
    named = [
        class_of("service", match.service.id)
        for match in knowledge.register.search(text, limit=2)
        if match.score >= NAMES_A_SERVICE
    ]
    # The model's two best first, then what the register finds by name, then the rest.
    offered = list(dict.fromkeys([*offered[:2], *named, *offered[2:]]))[:CHOICES]
    if not offered:
        dispatcher.utter_message(response="utter_default")
        return answered(Answer.NOT_UNDERSTOOD)
    dispatcher.utter_message(response="utter_clarify", buttons=_buttons(offered, language, domain))
    return [*answered(Answer.CHOICE, options=offered), SlotSet("clarify_text", text)]


class ActionClarify(Action):
    """A message the model is unsure of. The message is kept (slot `clarify_text`), so the
    choice is answered for what the citizen wrote ("сколько стоит …" gets the fee)."""

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return clarify(dispatcher, tracker, domain, str(tracker.latest_message.get("text") or ""))


class ActionChooseTopic(Action):
    """The topic a citizen picked from "did you mean …?" (services and situations have
    buttons of their own intents)."""

    def name(self) -> str:
        return "action_choose_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topic = chosen(tracker, "topic") or ""
        answer = answer_of(topic)
        if answer and answer[0] == "faq":
            return answer_topic(dispatcher, answer[1])
        if topic == REQUEST_HUMAN:
            return hand_off(dispatcher, reason_of(tracker))
        if topic in FACT_INTENTS:
            return _fact(dispatcher, tracker, domain, topic)
        if f"utter_{topic}" in domain["responses"]:
            dispatcher.utter_message(response=f"utter_{topic}")
            return answered(Answer.SMALL_TALK, topic)
        dispatcher.utter_message(response="utter_default")
        return answered(Answer.NOT_UNDERSTOOD)


def _fact(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any], intent: str
) -> list[EventType]:
    """A fact chosen from "did you mean …?", about the one service of the subject."""
    subject = subject_of(tracker, load().register)
    if len(subject) == 1:
        fact = FACT_INTENTS[intent]
        return answer_with(dispatcher, subject[0], language_of(tracker), domain, fact)
    return ask_which(dispatcher)


class ActionCorrect(Action):
    """Not that one ("нет, я про другое"): the other candidates of the last answer, or a
    request to say it in other words (a correction that says what it wants is answered as a
    new question)."""

    def name(self) -> str:
        return "action_correct"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        others = [class_of("service", i) for i in tracker.get_slot("alternatives") or []]
        others = [label for label in others if label in load().labels][:CHOICES]
        if not others:
            dispatcher.utter_message(response="utter_correct_rephrase")
            return answered(Answer.NOT_UNDERSTOOD, alternatives=[])
        buttons = _buttons(others, language, domain)
        dispatcher.utter_message(response="utter_correct_offer", buttons=buttons)
        return answered(Answer.CHOICE, options=others, alternatives=[])
