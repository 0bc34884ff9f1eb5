"""Rasa's REST channel, with a machine-readable `custom` payload on every reply.

The Telegram bridge and analytics need to know, per turn, which language the bot answered
in, what it understood and with what confidence, which services it answered about and
whether the conversation goes to a person. Rasa's own REST channel returns only the
replies, so this channel (mounted at the same /webhooks/rest/webhook) reads those facts off
the conversation tracker after the turn and adds them to each reply.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from komekshi.core.vocabulary import RESPONSE_ANSWERS


def turn_payload(tracker: DialogueStateTracker) -> dict[str, Any]:
    """What the last turn understood and did, for the channel, analytics and evaluation."""
    intent = tracker.latest_message.intent if tracker.latest_message else {}
    turn_slots: dict[str, Any] = {}
    uttered: list[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, SlotSet) and event.key not in turn_slots:
            turn_slots[event.key] = event.value
        if isinstance(event, BotUttered) and (name := (event.metadata or {}).get("utter_action")):
            uttered.insert(0, str(name))
    handoff = turn_slots.get("handoff")
    if handoff:
        handoff = {
            **handoff,
            "intent": intent.get("name"),
            "confidence": intent.get("confidence"),
        }
    return {
        "language": tracker.get_slot("language"),
        "intent": {
            "name": intent.get("name"),
            "confidence": round(float(intent.get("confidence") or 0.0), 4),
        },
        "service_codes": list(turn_slots.get("service_ids") or []),
        "answer": turn_answer(turn_slots.get("answer"), uttered),
        "handoff": handoff or None,
        "language_choice": turn_slots.get("language_choice"),
    }


def turn_answer(recorded: Any, uttered: list[str]) -> dict[str, Any] | None:
    """What the citizen got: what an action recorded, else what the rule's response was."""
    if isinstance(recorded, dict) and recorded.get("kind"):
        return recorded
    for name in reversed(uttered):
        if name in RESPONSE_ANSWERS:
            kind, key = RESPONSE_ANSWERS[name]
            return {"kind": str(kind), "id": key, "fact": None, "options": []}
    return None


class RestWithPayload(RestInput):
    """`POST /webhooks/rest/webhook` as in Rasa, each reply carrying `custom` turn data."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("komekshi_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender_id,
                    input_channel=self.name(),
                    metadata=self.get_metadata(request),
                )
            )
            tracker = await request.app.ctx.agent.tracker_store.retrieve(sender_id)
            payload = turn_payload(tracker) if tracker else {}
            replies = [
                {**message, "custom": {**(message.get("custom") or {}), **payload}}
                for message in collector.messages
            ]
            return response.json(replies)

        return webhook
