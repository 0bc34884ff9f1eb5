"""Rasa doing less work per message, with the same results (komekshi/rasa_server/patches.py)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from komekshi.rasa_server import main, patches

STOCK = RemoteAction.__dict__["_validate_action_result"]
GOOD: dict[str, Any] = {
    "events": [{"event": "slot", "name": "service_ids", "value": ["birth"]}],
    "responses": [{"response": "utter_service_card", "name": "Туу туралы куәлік"}],
}
BAD: list[dict[str, Any]] = [
    {"events": [{"event": "no_such_event"}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": ["not an object"]},
]


@pytest.fixture
def action() -> RemoteAction:
    return RemoteAction("action_answer_service", EndpointConfig("http://localhost:1/webhook"))


def test_a_good_answer_passes_as_before(action: RemoteAction) -> None:
    patches.install()
    assert STOCK(action, GOOD) is True
    assert action._validate_action_result(GOOD) is True


@pytest.mark.parametrize("answer", BAD)
def test_a_bad_answer_fails_as_before(action: RemoteAction, answer: dict[str, Any]) -> None:
    patches.install()
    with pytest.raises(ValidationError) as stock:
        STOCK(action, answer)
    with pytest.raises(ValidationError) as patched:
        action._validate_action_result(answer)
    assert patched.value.message == stock.value.message
    assert list(patched.value.path) == list(stock.value.path)


def test_the_rasa_servers_start_up_installs_it(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []
    monkeypatch.setattr(main, "rasa_main", lambda: started.append(sys.argv))
    monkeypatch.setattr(sys, "argv", ["komekshi-rasa", "run", "--enable-api"])
    main.main()
    assert started == [["rasa", "run", "--enable-api"]]
    assert RemoteAction._validate_action_result is patches._validate_action_result


def test_events_read_back_as_the_same_classes() -> None:
    patches.install()
    for cls in all_subclasses(Event):
        stock = next(c for c in all_subclasses(Event) if c.type_name == cls.type_name)
        assert Event.resolve_by_type(cls.type_name) is stock
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
