"""Citizens and operators on (emulated) Telegram, with every real process behind the bot."""

from __future__ import annotations

import itertools

import pytest

from bot.emulator import BotMessage, EmulatorClient, User
from bot.stack import Stack
from tests.e2e.conftest import OPERATORS_CHAT

OPERATOR = User(1001, "Operator")
WAIT = 30.0
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


def test_handoff_to_an_operator_and_back(telegram: EmulatorClient) -> None:
    citizen = _citizen("Айгерім")
    _ask(telegram, citizen, "жеке куәлік ауыстыру керек, ЖСН 900101300123")
    [handoff] = _ask(telegram, citizen, "операторға қосыңызшы")
    assert "операторға жібердім" in handoff.text

    # The operators' chat gets the case, with the citizen's IIN masked.
    [card] = telegram.wait_bot_messages(OPERATORS_CHAT, timeout=WAIT)
    assert "Обращение #" in card.text
    assert "Айгерім" in card.text and "kk" in card.text
    assert "[IIN]" in card.text and "900101300123" not in card.text

    # The operator's reply to the card reaches that citizen, from the bot.
    telegram.send_message(
        OPERATORS_CHAT, OPERATOR, "Сәлеметсіз бе! Қандай көмек керек?", card.message_id
    )
    [relayed] = telegram.wait_bot_messages(citizen.id, timeout=WAIT)
    assert relayed.text == "👤 Оператор: Сәлеметсіз бе! Қандай көмек керек?"

    # While the case is open, the citizen's messages go to the case, not to the bot.
    telegram.send_message(citizen.id, citizen, "рахмет, күтемін")
    [forwarded] = telegram.wait_bot_messages(OPERATORS_CHAT, timeout=WAIT)
    assert forwarded.text == "рахмет, күтемін"
    assert forwarded.reply_to_message_id == card.message_id
    _silence(telegram, citizen.id)

    # /close gives the citizen back to the bot.
    telegram.send_message(OPERATORS_CHAT, OPERATOR, "/close", card.message_id)
    [closed] = telegram.wait_bot_messages(citizen.id, timeout=WAIT)
    assert closed.text.startswith("Оператор сөйлесуді аяқтады")
    [note] = telegram.wait_bot_messages(OPERATORS_CHAT, timeout=WAIT)
    assert "закрыто" in note.text
    [thanks] = _ask(telegram, citizen, "рахмет")
    assert "Көмектескеніме қуаныштымын" in thanks.text


def test_out_of_scope_in_russian_offers_an_operator_by_button(telegram: EmulatorClient) -> None:
    citizen = _citizen("Иван")
    [offer] = _ask(telegram, citizen, "какая погода будет завтра в Астане")
    assert "передам ваш вопрос оператору" in offer.text
    [button] = offer.buttons
    assert button.text == "Да, передайте оператору"
    telegram.press_button(citizen.id, citizen, offer.message_id, button.callback_data or "")
    [handoff] = telegram.wait_bot_messages(citizen.id, timeout=WAIT)
    assert handoff.text.startswith("Ваш вопрос передан оператору")
    [card] = telegram.wait_bot_messages(OPERATORS_CHAT, timeout=WAIT)
    assert "Иван" in card.text and "ru" in card.text
    telegram.send_message(OPERATORS_CHAT, OPERATOR, "/close", card.message_id)
    telegram.wait_bot_messages(citizen.id, timeout=WAIT)
    telegram.wait_bot_messages(OPERATORS_CHAT, timeout=WAIT)


def test_only_operators_can_answer_a_case(telegram: EmulatorClient) -> None:
    citizen = _citizen("Алия")
    _ask(telegram, citizen, "позовите оператора пожалуйста")
    [card] = telegram.wait_bot_messages(OPERATORS_CHAT, timeout=WAIT)
    stranger = User(666, "Stranger")
    telegram.send_message(OPERATORS_CHAT, stranger, "я тоже оператор", card.message_id)
    _silence(telegram, citizen.id)
    telegram.send_message(OPERATORS_CHAT, OPERATOR, "/close", card.message_id)
    [closed] = telegram.wait_bot_messages(citizen.id, timeout=WAIT)
    assert closed.text.startswith("Оператор завершил разговор")


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


def test_a_rasa_outage_gets_an_apology_and_the_next_message_works(
    telegram: EmulatorClient, stack: Stack
) -> None:
    citizen = _citizen("Дана")
    _ask(telegram, citizen, "Сәлеметсіз бе")
    stack.stop_process("rasa")
    try:
        [apology] = _ask(telegram, citizen, "ЖК қалай ашамын")
        assert apology.text.startswith("Кешіріңіз, қазір техникалық ақау")
    finally:
        stack.restart_process("rasa")
    [answer] = _ask(telegram, citizen, "ЖК қалай ашамын")
    assert "«Жеке кәсіпкерді (ЖК) тіркеу»" in answer.text
