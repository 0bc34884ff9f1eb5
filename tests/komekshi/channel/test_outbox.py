"""Messages Telegram did not take are retried in order; refused ones are reported once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from redis.asyncio import Redis
from telegram.error import BadRequest, Forbidden, RetryAfter, TimedOut

from komekshi.channel import outbox
from komekshi.channel.outbox import RETRY_DELAYS, Courier, Outgoing
from tests.fakes import FakeBot
from tests.komekshi.channel.conftest import Clock


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def outcome() -> dict[str, list[tuple[str, int]]]:
    return {"sent": [], "failed": []}


@pytest.fixture
def courier(redis_url: str, bot: FakeBot, outcome: dict[str, list[tuple[str, int]]]) -> Courier:
    async def sent(message: Outgoing, message_id: int) -> None:
        outcome["sent"].append((message.text, message_id))

    async def failed(message: Outgoing) -> None:
        outcome["failed"].append((message.text, message.chat_id))

    return Courier(bot, Redis.from_url(redis_url), sent, failed)  # type: ignore[arg-type]


def _chat() -> int:
    return uuid.uuid4().int % 10**9


async def test_a_message_that_timed_out_is_retried_and_later_ones_wait_behind_it(
    courier: Courier, bot: FakeBot, clock: Clock, outcome: dict[str, list[tuple[str, int]]]
) -> None:
    chat = _chat()
    bot.fail["send_message"] = [TimedOut()]
    await courier.send(Outgoing(chat, "бірінші"))
    await courier.send(Outgoing(chat, "екінші", buttons=((("Иә", "/affirm"),),)))
    assert bot.sent(chat) == [] and outcome["sent"] == []
    assert await outbox.pending(courier.redis) >= 2

    await courier.flush()  # not due yet
    assert bot.sent(chat) == []
    clock.now += RETRY_DELAYS[0]
    await courier.flush()
    assert [(c.text, c.buttons) for c in bot.sent(chat)] == [("бірінші", []), ("екінші", ["Иә"])]
    assert [text for text, _ in outcome["sent"]] == ["бірінші", "екінші"]
    await courier.send(Outgoing(chat, "үшінші"))  # the outbox is empty again: sent at once
    assert bot.sent(chat)[-1].text == "үшінші"


async def test_flood_control_is_waited_out(courier: Courier, bot: FakeBot, clock: Clock) -> None:
    chat = _chat()
    bot.fail["send_message"] = [RetryAfter(dt.timedelta(seconds=40))]
    await courier.send(Outgoing(chat, "текст"))
    clock.now += 30
    await courier.flush()
    assert bot.sent(chat) == []
    clock.now += 11
    await courier.flush()
    assert [c.text for c in bot.sent(chat)] == ["текст"]


@pytest.mark.parametrize("error", [BadRequest("Message text is empty"), Forbidden("blocked")])
async def test_a_refused_message_is_reported_not_retried(
    courier: Courier,
    bot: FakeBot,
    clock: Clock,
    outcome: dict[str, list[tuple[str, int]]],
    error: Exception,
) -> None:
    chat = _chat()
    bot.fail["send_message"] = [error]
    await courier.send(Outgoing(chat, "жоқ"))
    assert outcome["failed"] == [("жоқ", chat)]
    clock.now += 3600
    await courier.flush()
    assert bot.sent(chat) == []


async def test_a_message_failing_every_retry_is_given_up_and_the_next_goes(
    courier: Courier, bot: FakeBot, clock: Clock, outcome: dict[str, list[tuple[str, int]]]
) -> None:
    chat = _chat()
    bot.fail["send_message"] = [TimedOut()] * (len(RETRY_DELAYS) + 1)
    await courier.send(Outgoing(chat, "жетпейді"))
    await courier.send(Outgoing(chat, "жетеді"))
    for _ in RETRY_DELAYS:
        clock.now += max(RETRY_DELAYS)
        await courier.flush()
    assert outcome["failed"] == [("жетпейді", chat)]
    assert [c.text for c in bot.sent(chat)] == ["жетеді"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ж" * 4096, "ж" * 4096),
        ("ж" * 5000, "ж" * 4095 + "…"),
        # An emoji is two UTF-16 code units, as Telegram counts: never split in half.
        ("😀" * 3000, "😀" * 2047 + "…"),
        ("a" + "😀" * 2048, "a" + "😀" * 2047 + "…"),
    ],
)
async def test_a_text_longer_than_telegram_takes_is_cut_not_lost(
    courier: Courier, bot: FakeBot, text: str, expected: str
) -> None:
    chat = _chat()
    await courier.send(Outgoing(chat, text))
    [sent] = bot.sent(chat)
    assert sent.text == expected
    assert len((sent.text or "").encode("utf-16-le")) // 2 <= outbox.MAX_TEXT_UNITS
