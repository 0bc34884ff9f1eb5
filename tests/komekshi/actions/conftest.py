"""The actions run against a small register of their own (tests/komekshi/actions/register/), so that
their tests say what the actions do, whatever the shipped register holds today."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from komekshi.actions import catalogue
from komekshi.actions.catalogue import Knowledge
from komekshi.knowledge import responses
from komekshi.knowledge.content import short_name
from komekshi.knowledge.register import Register
from komekshi.rasa_server.components.intent_classifier import retrieval_selection

REGISTER = Register.load(Path(__file__).with_name("register"))
DOMAIN = {"responses": responses.load()}


@pytest.fixture(autouse=True)
def small_register() -> Iterator[Knowledge]:
    labels: dict[str, Any] = {f"ask_service/{s.id}": short_name(s.name) for s in REGISTER.services}
    labels.update({f"ask_life_situation/{s.id}": s.name for s in REGISTER.situations})
    labels["faq/hkko"] = {"kk": "ХҚКО", "ru": "ЦОН"}
    labels["ask_fee"] = {"kk": "Қызметтің құны", "ru": "Стоимость услуги"}
    covers = {
        "faq/hkko": ["id_card_replacement"],
        "faq/digital_signature": ["eds_issue", "eds_renewal"],
    }
    loaded = Knowledge(REGISTER, labels, covers, suggest_min=0.1)
    catalogue._loaded[:] = [loaded]
    yield loaded
    catalogue._loaded.clear()


def parse(intent: str, classes: dict[str, float], confidence: float = 0.9) -> dict[str, Any]:
    """A parse as the classifier reports it: `classes` are the probabilities of its classes."""
    labels = list(classes)
    others = [{"name": "greet", "confidence": round(1 - confidence, 4)}]
    return {
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}, *others],
        "response_selector": retrieval_selection(labels, list(classes.values())) or {},
    }


def tracker(
    text: str,
    language: str = "ru",
    intent: str = "ask_service",
    classes: dict[str, float] | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    confidence: float = 0.9,
) -> Tracker:
    latest = {"text": text, "entities": entities or [],
              **parse(intent, classes or {}, confidence)}  # fmt: skip
    return Tracker(
        sender_id="test",
        slots={"language": language, **(slots or {})},
        latest_message=latest,
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


Run = Callable[[Any, Tracker], Any]


async def run(action: Any, state: Tracker) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The messages an action sends and the slots it sets (name → value)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, state, DOMAIN)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return dispatcher.messages, slots
