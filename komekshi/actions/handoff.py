"""Hand the conversation to a person, and say why in the one vocabulary of reasons.

The action records the reason (a `Reason`) in the `handoff` slot, which the REST channel
reports with the turn (`custom.handoff.reason`); the bridge opens the case, counts it and
shows it on the operators' card with that reason (komekshi/channel/handoff_policy.py), so
Rasa decides why a person was called, and the bridge only adds the one way to a person Rasa
does not decide (two turns in a row not understood).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from komekshi.actions.subject import answered
from komekshi.core import clock
from komekshi.core.vocabulary import COMPLAINT, FALLBACK, OUT_OF_SCOPE, Answer, Reason

# Why a citizen goes to a person, by what the turn before was about: after such a turn the
# bot offered a person and the citizen accepted; after any other, the citizen asked for one.
OFFERED_AFTER = {
    OUT_OF_SCOPE: Reason.OUT_OF_SCOPE,
    COMPLAINT: Reason.COMPLAINT,
    FALLBACK: Reason.NOT_UNDERSTOOD,
}


def reason_of(tracker: Tracker) -> Reason:
    """Why this turn calls a person, by the intent of the citizen's turn before it.

    Every message the bridge sent counts, as the bridge counted them before Rasa decided
    this (a reverted or rewound turn too).
    """
    intents = [
        ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        for event in tracker.events
        if event.get("event") == "user"
    ]
    previous = intents[-2] if len(intents) > 1 else None
    return OFFERED_AFTER.get(previous or "", Reason.CITIZEN_REQUEST)


def hand_off(dispatcher: CollectingDispatcher, reason: Reason) -> list[EventType]:
    """Tell the citizen an operator is coming; flag the turn for the Telegram bridge.

    The bridge owns the queue and the operators' chat; this only records why the handoff
    happened, in the `handoff` slot that the REST channel reports with the turn.
    """
    dispatcher.utter_message(response="utter_handoff")
    requested_at = clock.now().isoformat(timespec="seconds")
    return [
        *answered(Answer.HANDOFF, reason.value),
        SlotSet("handoff", {"reason": reason.value, "requested_at": requested_at}),
    ]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return hand_off(dispatcher, reason_of(tracker))
