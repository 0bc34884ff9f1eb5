"""Rasa 3.6 doing less work per message, with the same results.

Loaded by the Rasa server with our REST channel (komekshi/rasa_server/channel.py). Each change
keeps what Rasa does and only stops it from doing it again on every message; each is measured by
`make bench --profile` (bench/profile.py) and described in README.md (Performance).

- The answer of the action server is checked against Rasa's JSON schema of an action
  response on every custom action. Rasa calls `jsonschema.validate`, which first checks the
  schema itself against the JSON Schema meta-schema, then builds a validator: on the
  2-core machine about a sixth of the Rasa server's time under load. Here the schema is
  checked and its validator built once; every answer is still validated, and an invalid one
  raises the same error with the same message.
- Reading a conversation back from the tracker store finds the class of each of its events
  by walking every subclass of `Event` for each event (`Event.resolve_by_type`): a
  conversation of 100 events walks the class tree 100 times. The type names are looked up
  in a table built once (and rebuilt when a name is not in it, as when a new event class was
  imported since).
"""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

_validators: dict[type, Validator] = {}
_event_types: dict[str, type[Event]] = {}
_stock_resolve_by_type = Event.resolve_by_type


def _validator(action: RemoteAction) -> Validator:
    kind = type(action)
    if kind not in _validators:
        schema = action.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        _validators[kind] = cls(schema)
    return _validators[kind]


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result (rasa/core/actions/action.py), schema once."""
    error = best_match(_validator(self).iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Event.resolve_by_type (rasa/shared/core/events.py), the class tree walked once."""
    if type_name not in _event_types:
        _event_types.clear()
        for cls in all_subclasses(Event):
            _event_types.setdefault(cls.type_name, cls)
    found: type[Event] | None = _event_types.get(type_name)
    return found or _stock_resolve_by_type(type_name, default)


def install() -> None:
    """Apply the changes (once; later calls do nothing)."""
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign,assignment]
