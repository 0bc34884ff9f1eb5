"""Saving conversations in Redis as Rasa does, with less work (rasa_server/tracker_store.py)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any
from urllib.parse import urlparse

import pytest
import redis
from rasa.core import tracker_store as rasa_stores
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from komekshi.rasa_server.tracker_store import RedisTrackerStore

DOMAIN = Domain.from_dict({"slots": {"language": {"type": "any", "mappings": []}}})


def _stores(redis_url: str) -> tuple[RedisTrackerStore, rasa_stores.RedisTrackerStore]:
    """Ours and Rasa's, each under its own prefix of one real Redis."""
    url = urlparse(redis_url)
    settings: dict[str, Any] = {"host": url.hostname, "port": url.port, "db": 0}
    ours = RedisTrackerStore(DOMAIN, key_prefix="ours", **settings)
    theirs = rasa_stores.RedisTrackerStore(DOMAIN, key_prefix="rasa", **settings)
    return ours, theirs


def _session(at: float) -> list[Event]:
    return [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at + 0.1),
        ActionExecuted("action_listen", timestamp=at + 0.2),
    ]


def _turn(text: str, at: float) -> list[Event]:
    return [
        UserUttered(text, {"name": "greet", "confidence": 0.9}, timestamp=at),
        SlotSet("language", "kk", timestamp=at + 0.1),
        BotUttered(f"re: {text}", timestamp=at + 0.2),
        ActionExecuted("action_listen", timestamp=at + 0.3),
    ]


def _save_both(
    stores: tuple[RedisTrackerStore, rasa_stores.RedisTrackerStore],
    sender: str,
    events: list[Event],
) -> None:
    for store in stores:
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def _stored(store: rasa_stores.RedisTrackerStore, sender: str) -> Any:
    return store.red.get(store.key_prefix + sender)


def test_a_growing_conversation_is_stored_exactly_as_rasa_stores_it(redis_url: str) -> None:
    stores = _stores(redis_url)
    sender = f"c-{uuid.uuid4().hex}"
    events = _session(1.0)
    for number in range(4):
        events += _turn(f"сәлем {number}", 10.0 + number)
        _save_both(stores, sender, events)
        assert _stored(stores[0], sender) == _stored(stores[1], sender)


def test_a_new_session_keeps_the_earlier_ones_as_rasa_does(redis_url: str) -> None:
    """`retrieve` gives the last session only: saving it must not drop the earlier ones."""
    stores = _stores(redis_url)
    sender = f"c-{uuid.uuid4().hex}"
    first = _session(1.0) + _turn("бірінші", 2.0)
    _save_both(stores, sender, first)
    second = _session(100.0) + _turn("екінші", 101.0)
    _save_both(stores, sender, second)
    ours, theirs = stores
    assert _stored(ours, sender) == _stored(theirs, sender)
    full = asyncio.run(ours.retrieve_full_tracker(sender))
    assert full is not None
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["бірінші", "екінші"]


def test_continuing_a_conversation_does_not_rebuild_the_stored_one(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, _ = _stores(redis_url)
    sender = f"c-{uuid.uuid4().hex}"
    events = _session(1.0) + _turn("алғашқы", 2.0)
    asyncio.run(ours.save(DialogueStateTracker.from_events(sender, events)))

    def rebuilt(*_: Any) -> None:
        raise AssertionError("the stored conversation was rebuilt")

    monkeypatch.setattr(ours, "deserialise_tracker", rebuilt)
    events += _turn("келесі", 3.0)
    asyncio.run(ours.save(DialogueStateTracker.from_events(sender, events)))
    stored = json.loads(redis.Redis.from_url(redis_url).get(ours.key_prefix + sender) or "{}")
    assert [e.get("text") for e in stored["events"] if e["event"] == "user"] == [
        "алғашқы",
        "келесі",
    ]
