"""Conversations that keep their thread, on (emulated) Telegram with every process behind it:
a follow-up about the service just answered, a correction, and news of a death."""

from __future__ import annotations

import itertools

from tests.conftest import card_title, register
from tests.e2e.conftest import ask, said
from tools.dev.emulator import EmulatorClient, User

_ids = itertools.count(90001)


def _citizen(name: str) -> User:
    return User(next(_ids), name)


def test_a_follow_up_answers_one_fact_of_the_service_just_answered(
    telegram: EmulatorClient,
) -> None:
    citizen = _citizen("Әсел")
    [card] = ask(telegram, citizen, "справка о несудимости как получить")
    name = card_title("criminal_record_certificate", "ru")
    assert card.text.startswith(name)
    [fact] = ask(telegram, citizen, "а скока дней делают?")
    assert fact.text.startswith(name)
    assert "срок" in fact.text.split("\n")[0]
    # The same thread in Kazakh, and a switch of subject in the middle of it.
    [fact] = ask(telegram, citizen, "ал құны қанша?")
    assert fact.text.startswith(card_title("criminal_record_certificate", "kk"))


def test_a_correction_offers_what_else_was_meant(telegram: EmulatorClient) -> None:
    citizen = _citizen("Руслан")
    [first] = ask(telegram, citizen, "хочу закрыть ипешку")
    assert first.text.startswith(card_title("sole_proprietor_closure", "ru"))
    [corrected] = ask(telegram, citizen, "нет, я про другое: как открыть ИП")
    assert corrected.text.startswith(card_title("sole_proprietor_registration", "ru"))


def test_news_of_a_death_opens_the_bereavement_guide_with_condolences(
    telegram: EmulatorClient,
) -> None:
    citizen = _citizen("Гүлнар")
    bereavement = register().situation("bereavement")
    assert bereavement is not None and bereavement.opening
    messages = ask(telegram, citizen, "әкем кеше қайтыс болды, не істеуім керек", count=3)
    texts = [m.text for m in messages]
    assert texts[0] == bereavement.opening["kk"]
    assert texts[2] == bereavement.guide[0].question["kk"]
    assert [b.callback_data for b in messages[2].buttons] == ["/affirm", "/deny"]
    # Not yet: the step's card, then the next step's question.
    card, question = ask(telegram, citizen, "жоқ әлі", count=2)
    assert card.text.startswith(card_title("death_registration", "kk"))
    assert question.text == bereavement.guide[1].question["kk"]
    [left] = ask(telegram, citizen, "тоқта")
    assert left.text == said("utter_guide_left", "kk")
