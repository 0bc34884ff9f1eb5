"""Citizens and operators on (emulated) Telegram, with every real process behind the bot."""

from __future__ import annotations

import itertools

import pytest

from tests.conftest import card_title, service
from tests.e2e.conftest import OPERATOR, OPERATORS_CHAT, WAIT, OperatorsChat, ask, said
from tools.dev.emulator import EmulatorClient, User
from tools.dev.stack import Stack

_ids = itertools.count(70001)


def _citizen(name: str) -> User:
    return User(next(_ids), name)


def _silence(telegram: EmulatorClient, chat_id: int) -> None:
    assert telegram.bot_messages(chat_id, timeout=2.0) == []


def test_a_citizen_asking_in_kazakh_is_answered_in_kazakh(telegram: EmulatorClient) -> None:
    citizen = _citizen("Айгерім")
    [greeting] = ask(telegram, citizen, "Сәлеметсіз бе")
    assert greeting.text.startswith("Сәлеметсіз бе!")
    [answer] = ask(telegram, citizen, "жеке куәлігімді қалай ауыстырамын")
    assert card_title("id_card_replacement", "kk") in answer.text
    assert service("id_card_replacement").page_in("kk") in answer.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/unknowncommand", "Такой команды я не знаю"),
        ("x" * 10_000, "Сообщение слишком длинное"),
    ],
)
def test_bad_input_gets_a_polite_answer_in_the_citizens_language(
    telegram: EmulatorClient, text: str, expected: str
) -> None:
    citizen = _citizen("Пётр")
    ask(telegram, citizen, "Здравствуйте")
    [reply] = ask(telegram, citizen, text)
    assert reply.text.startswith(expected)


def test_a_rasa_outage_spares_the_handoff_and_keeps_messages_until_rasa_is_back(
    telegram: EmulatorClient, stack: Stack, operators: OperatorsChat
) -> None:
    citizen = _citizen("Дана")
    ask(telegram, citizen, "Сәлеметсіз бе")
    ask(telegram, citizen, "оператормен сөйлескім келеді", count=2)
    case, card = operators.card("Дана")
    telegram.press_button(OPERATORS_CHAT, OPERATOR, card.message_id, f"claim:{case}")
    telegram.wait_bot_messages(citizen.id, timeout=WAIT)
    stack.stop_process("rasa")
    try:
        # A person needs no Rasa: the conversation goes on, and closes with a rating.
        telegram.send_message(citizen.id, citizen, "ЖК ашу керек")
        operators.wait(lambda m: m.text == f"💬 #{case} Дана: ЖК ашу керек")
        telegram.send_message(OPERATORS_CHAT, OPERATOR, "/close resolved", card.message_id)
        closed, rating = telegram.wait_bot_messages(citizen.id, count=2, timeout=WAIT)
        assert closed.text.startswith("Оператор сөйлесуді аяқтады")
        telegram.press_button(citizen.id, citizen, rating.message_id, f"rate:{case}:4")
        [thanks] = telegram.wait_bot_messages(citizen.id, timeout=WAIT)
        assert thanks.text.startswith("Бағаңызға рахмет!")
        # Back with the bot, which cannot answer yet: the messages are kept, and the
        # citizen is told so once.
        [kept] = ask(telegram, citizen, "ЖК қалай ашамын")
        assert kept.text == said("utter_channel_unavailable_kept", "kk")
        telegram.send_message(citizen.id, citizen, "рахмет")
        _silence(telegram, citizen.id)
    finally:
        stack.restart_process("rasa")
    # Once Rasa is back, both are answered, in order, without the citizen writing again.
    answer, thanks = telegram.wait_bot_messages(citizen.id, count=2, timeout=WAIT)
    assert card_title("sole_proprietor_registration", "kk") in answer.text
    assert "Көмектесе алғаныма қуаныштымын" in thanks.text
    [answer] = ask(telegram, citizen, "ЖК қалай ашамын")
    assert card_title("sole_proprietor_registration", "kk") in answer.text
