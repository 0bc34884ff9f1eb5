"""The LanguageDetector component reports the language as an entity for the slot."""

from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from komekshi.rasa_server.components.language_detector import LanguageDetector


def _entities(text: str) -> list[dict[str, object]]:
    message = Message(data={"text": text})
    LanguageDetector().process([message])
    return [e for e in message.get("entities", []) if e["entity"] == "language"]


def test_kazakh_and_russian_messages_get_their_language() -> None:
    assert [e["value"] for e in _entities("жеке куәлікті қалай ауыстырамын")] == ["kk"]
    assert [e["value"] for e in _entities("как заменить удостоверение")] == ["ru"]


def test_undecidable_messages_and_button_payloads_get_no_language() -> None:
    assert _entities("оператор") == []
    assert _entities('/ask_service{"service": "birth_registration"}') == []
