"""Citizens and operators on (emulated) Telegram, with every real process behind the bot."""

from __future__ import annotations

import itertools

import pytest

from bot.emulator import BotMessage, EmulatorClient, User
from bot.stack import Stack
from tests.e2e.conftest import OPERATOR, OPERATORS_CHAT, WAIT, OperatorsChat, said

_ids = itertools.count(70001)


def _citizen(name: str) -> User:
    return User(next(_ids), name)


def _ask(telegram: EmulatorClient, citizen: User, text: str, count: int = 1) -> list[BotMessage]:
    telegram.send_message(citizen.id, citizen, text)
    return telegram.wait_bot_messages(citizen.id, count=count, timeout=WAIT)


def _silence(telegram: EmulatorClient, chat_id: int) -> None:
    assert telegram.bot_messages(chat_id, timeout=2.0) == []


def test_a_citizen_asking_in_kazakh_is_answered_in_kazakh(telegram: EmulatorClient) -> None:
    citizen = _citizen("Айгерім")
    [greeting] = _ask(telegram, citizen, "Сәлеметсіз бе")
    assert greeting.text.startswith("Сәлеметсіз бе!")
    [answer] = _ask(telegram, citizen, "жеке куәлігімді қалай ауыстырамын")
    assert "«Жеке куәлікті ауыстыру»" in answer.text
    assert "https://www.gov.kz/services/3087" in answer.text


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
    _ask(telegram, citizen, "Здравствуйте")
    [reply] = _ask(telegram, citizen, text)
    assert reply.text.startswith(expected)


def test_a_rasa_outage_spares_the_handoff_and_keeps_messages_until_rasa_is_back(
    telegram: EmulatorClient, stack: Stack, operators: OperatorsChat
) -> None:
    citizen = _citizen("Дана")
    _ask(telegram, citizen, "Сәлеметсіз бе")
    _ask(telegram, citizen, "оператормен сөйлескім келеді", count=2)
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
        [kept] = _ask(telegram, citizen, "ЖК қалай ашамын")
        assert kept.text == said("utter_channel_unavailable_kept", "kk")
        telegram.send_message(citizen.id, citizen, "рахмет")
        _silence(telegram, citizen.id)
    finally:
        stack.restart_process("rasa")
    # Once Rasa is back, both are answered, in order, without the citizen writing again.
    answer, thanks = telegram.wait_bot_messages(citizen.id, count=2, timeout=WAIT)
    assert "«Жеке кәсіпкерді (ЖК) тіркеу»" in answer.text
    assert "Көмектескеніме қуаныштымын" in thanks.text
    [answer] = _ask(telegram, citizen, "ЖК қалай ашамын")
    assert "«Жеке кәсіпкерді (ЖК) тіркеу»" in answer.text
