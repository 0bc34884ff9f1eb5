"""Answers in the language the citizen asked for, by name or by button."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from komekshi.actions.subject import answered
from komekshi.core.language import LANGUAGES, requested_language
from komekshi.core.vocabulary import Answer
from komekshi.knowledge import responses


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
            return answered(Answer.CHOICE, options=list(LANGUAGES))
        # Said in the new language: the slot changes only after this action.
        dispatcher.utter_message(
            text=responses.text(domain["responses"], "utter_language_switched", target)
        )
        return [
            *answered(Answer.LANGUAGE, target),
            SlotSet("language", target),
            SlotSet("language_choice", target),
        ]
