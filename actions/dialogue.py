"""The dialogue's own actions: "did you mean …?", the chosen topic, the language asked for."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_off
from actions.services import (
    SERVICE_INTENTS,
    answer_life_situation,
    answer_service,
    language_of,
    named_services,
    service_button,
)
from bot import responses
from bot.confidence import suggestions
from bot.content import Content
from bot.language import LANGUAGES, requested_language
from bot.settings import quality

LABELS = Content.load().labels()
SUGGEST_MIN = float(quality()["confidence"]["suggest_min"])
SERVICE_TOPICS = frozenset({"ask_service", "ask_life_situation"})


class ActionClarify(Action):
    """A message the model is unsure of: "did you mean …?" buttons, or an offer of a person.

    The message is kept (slot `clarify_text`), so the topic the citizen picks is answered
    for what they wrote, not for the button.
    """

    def name(self) -> str:
        return "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = language_of(tracker)
        text = tracker.latest_message.get("text") or ""
        offered = suggestions(tracker.latest_message, LABELS, SUGGEST_MIN)
        # When the model thinks it may be about a service, or has no idea at all, and the
        # register finds a service the words name, that service is offered itself: it says
        # more than the topic «a public service».
        maybe_service = not offered or bool(SERVICE_TOPICS & set(offered))
        services = named_services(text) if maybe_service else []
        if services:
            offered = [intent for intent in offered if intent != "ask_service"]
        if not offered and not services:
            dispatcher.utter_message(response="utter_default")
            return [SlotSet("clarify_text", None)]
        operator = responses.text(domain["responses"], "utter_operator_button", language)
        buttons = [service_button(service, language) for service in services]
        buttons += [
            {"title": LABELS[intent][language], "payload": _choose(intent)} for intent in offered
        ]
        buttons.append({"title": operator, "payload": "/request_human"})
        dispatcher.utter_message(response="utter_clarify", buttons=buttons)
        return [SlotSet("clarify_text", text)]


def _choose(intent: str) -> str:
    return f'/choose_topic{{"topic": "{intent}"}}'


class ActionChooseTopic(Action):
    """The topic a citizen picked from "did you mean …?": answered for their question."""

    def name(self) -> str:
        return "action_choose_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        topic = next(tracker.get_latest_entity_values("topic"), None) or ""
        text = tracker.get_slot("clarify_text") or ""
        events: list[EventType] = [SlotSet("clarify_text", None)]
        if topic in SERVICE_INTENTS:
            return events + answer_service(dispatcher, tracker, domain, text, topic)
        if topic == "ask_life_situation":
            return events + answer_life_situation(dispatcher, tracker, domain, text)
        if topic == "request_human":
            return events + hand_off(dispatcher, "citizen_request")
        if f"utter_{topic}" in domain["responses"]:
            dispatcher.utter_message(response=f"utter_{topic}")
        else:
            dispatcher.utter_message(response="utter_default")
        return events


class ActionSwitchLanguage(Action):
    """Answer from now on in the language the citizen asked for, by name or by button.

    The choice is reported in the `language_choice` slot, which the channel pins: later
    messages keep that language whatever they are written in, until the next choice.
    """

    def name(self) -> str:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        text = tracker.latest_message.get("text") or ""
        chosen = next(tracker.get_latest_entity_values("language"), None)
        target = requested_language(text) or (chosen if text.startswith("/") else None)
        if target not in LANGUAGES:
            dispatcher.utter_message(response="utter_language_choose")
            return []
        # Said in the new language: the slot changes only after this action.
        dispatcher.utter_message(
            text=responses.text(domain["responses"], "utter_language_switched", target)
        )
        return [SlotSet("language", target), SlotSet("language_choice", target)]
