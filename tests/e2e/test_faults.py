"""Faults on the way: a crashed action server, and Telegram's flood control and outages.

A restart of Rasa is in tests/e2e/test_telegram.py (one restart serves that test and the
kept messages), one of Redis in tests/e2e/test_handoff.py.
"""

from __future__ import annotations

import itertools
import time

from tests.conftest import card_title
from tests.e2e.conftest import ask, said
from tools.dev.emulator import EmulatorClient, User
from tools.dev.stack import Stack

_ids = itertools.count(60001)


def _citizen(name: str) -> User:
    return User(next(_ids), name)


def test_a_crashed_action_server_gets_an_apology_and_the_next_message_works(
    telegram: EmulatorClient, stack: Stack
) -> None:
    aigerim, sergei = _citizen("Айгерім"), _citizen("Сергей")
    ask(telegram, aigerim, "Сәлеметсіз бе")
    ask(telegram, sergei, "Здравствуйте")
    stack.kill_process("actions")
    try:
        # Answering about a service needs the action server: Rasa cannot, and says nothing.
        [sorry_kk] = ask(telegram, aigerim, "жеке куәлігімді қалай ауыстырамын")
        [sorry_ru] = ask(telegram, sergei, "как получить справку о несудимости")
        assert sorry_kk.text == said("utter_channel_unavailable", "kk")
        assert sorry_ru.text == said("utter_channel_unavailable", "ru")
        assert telegram.bot_messages(aigerim.id, timeout=1.0) == []
    finally:
        stack.restart_process("actions")
    [answer] = ask(telegram, aigerim, "жеке куәлігімді қалай ауыстырамын")
    assert card_title("id_card_replacement", "kk") in answer.text
    [answer] = ask(telegram, sergei, "как получить справку о несудимости")
    assert "судимости" in answer.text and answer.text != said("utter_channel_unavailable", "ru")


def test_flood_control_is_waited_out_as_telegram_asks(
    telegram: EmulatorClient, stack: Stack
) -> None:
    citizen = _citizen("Дана")
    telegram.add_fault("sendMessage", 429, retry_after=2, chat_id=citizen.id)
    [greeting] = ask(telegram, citizen, "Сәлеметсіз бе")
    received = time.time()
    assert greeting.text.startswith("Сәлеметсіз бе!")
    [hit] = [h for h in telegram.fault_hits() if h.chat_id == citizen.id]
    assert hit.status == 429
    # Not before Telegram's retry_after, and not much later either.
    assert 2.0 <= received - hit.at < 2.0 + 5.0


def test_telegram_outages_are_retried_with_growing_pauses(
    telegram: EmulatorClient, stack: Stack
) -> None:
    citizen = _citizen("Болат")
    ask(telegram, citizen, "Сәлеметсіз бе")
    telegram.add_fault("sendMessage", 502, count=2, chat_id=citizen.id)
    [answer] = ask(telegram, citizen, "рахмет")
    received = time.time()
    assert "Көмектесе алғаныма қуаныштымын" in answer.text
    first, second = [h for h in telegram.fault_hits() if h.chat_id == citizen.id]
    assert (first.status, second.status) == (502, 502)
    # Pauses of about 1 s, then 3 s (komekshi/channel/outbox.py RETRY_DELAYS), checked every second.
    assert second.at - first.at >= 1.0
    assert received - second.at >= 3.0
    # The conversation goes on as usual.
    [again] = ask(telegram, citizen, "рахмет")
    assert "Көмектесе алғаныма қуаныштымын" in again.text
