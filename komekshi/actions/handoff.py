"""Hand the conversation to a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from komekshi.actions.subject import answered
from komekshi.core.vocabulary import REQUEST_HUMAN, Answer


def hand_off(dispatcher: CollectingDispatcher, reason: str) -> list[EventType]:
    """Tell the citizen an operator is coming; flag the turn for the Telegram bridge.

    The bridge owns the queue and the operators' chat; this only records why the handoff
    happened, in the `handoff` slot that the REST channel reports with the turn.
    """
    dispatcher.utter_message(response="utter_handoff")
    requested_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return [
        *answered(Answer.HANDOFF, reason),
        SlotSet("handoff", {"reason": reason, "requested_at": requested_at}),
    ]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        return hand_off(
            dispatcher, "citizen_request" if intent == REQUEST_HUMAN else f"after_{intent}"
        )
