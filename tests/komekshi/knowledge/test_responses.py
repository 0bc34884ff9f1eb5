"""Every reply exists in Kazakh and Russian, with the same placeholders in both."""

from __future__ import annotations

import string

import pytest

from komekshi.knowledge import responses

RESPONSES = responses.load()


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_each_response_has_one_kazakh_and_one_russian_variation(name: str) -> None:
    languages = [
        condition["value"]
        for variation in RESPONSES[name]
        for condition in variation.get("condition", [])
        if condition["name"] == "language"
    ]
    assert sorted(languages) == ["kk", "ru"]
    kk = responses.variation(RESPONSES, name, "kk")
    ru = responses.variation(RESPONSES, name, "ru")
    assert kk["text"].strip() and ru["text"].strip()
    assert kk["text"] != ru["text"] or _placeholders(kk["text"])
    assert _placeholders(kk["text"]) == _placeholders(ru["text"])
    assert len(kk.get("buttons", [])) == len(ru.get("buttons", []))


def test_text_fills_placeholders_in_the_chosen_language() -> None:
    text = responses.text(RESPONSES, "utter_channel_too_long", "kk", limit=2000)
    assert "2000" in text and "таңба" in text
    assert "символов" in responses.text(RESPONSES, "utter_channel_too_long", "ru", limit=2000)
