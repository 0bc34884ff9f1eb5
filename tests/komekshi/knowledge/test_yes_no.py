"""Yes and no in the free words citizens answer a guide's question with."""

from __future__ import annotations

import pytest

from komekshi.knowledge.yes_no import yes_or_no


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("да, свидетельство уже получили", "yes"),
        ("иә алдық", "yes"),
        ("ia aldyk", "yes"),
        ("уже прикрепились к поликлинике", "yes"),
        ("нет пока", "no"),
        ("жоқ әлі", "no"),
        ("жок али", "no"),
        ("нет, не получали", "no"),
    ],
)
def test_a_yes_or_a_no_in_free_words(text: str, answer: str) -> None:
    assert yes_or_no(text) == answer


@pytest.mark.parametrize("text", ["не істеу керек", "а сколько стоит?", "ЭЦП керек"])
def test_a_question_is_neither(text: str) -> None:
    assert yes_or_no(text) is None
