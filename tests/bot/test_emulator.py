"""The Bot API emulator, through python-telegram-bot as the bridge uses it.

These guard the patches in emulator/server.js: without them PTB 22 cannot parse the
emulator's answers, an operator cannot reply to a case card, and buttons cannot be pressed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from itertools import count

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.emulator import AsyncEmulatorClient, EmulatorError, EmulatorProcess, User

GROUP = -1001
CITIZEN = User(5001, "Aigerim", "aigerim")
OPERATOR = User(1001, "Operator")
_bots = count(100)


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    with EmulatorProcess() as emulator:
        yield emulator.url


@pytest.fixture
async def bot(emulator_url: str) -> AsyncIterator[Bot]:
    # A bot of its own per test: the emulator keeps each token's chats and updates apart.
    token = f"{next(_bots)}:test"
    async with Bot(
        token, base_url=f"{emulator_url}/bot", base_file_url=f"{emulator_url}/file/bot"
    ) as bot:
        yield bot


@pytest.fixture
async def client(emulator_url: str, bot: Bot) -> AsyncIterator[AsyncEmulatorClient]:
    async with AsyncEmulatorClient(emulator_url, bot.token) as client:
        yield client


async def test_a_citizen_talks_and_presses_a_button(bot: Bot, client: AsyncEmulatorClient) -> None:
    assert bot.bot.is_bot
    asked = await client.send_message(CITIZEN.id, CITIZEN, "Сәлем")
    [update] = await bot.get_updates(timeout=5)
    assert update.message is not None
    assert (update.message.message_id, update.message.text) == (asked, "Сәлем")
    assert update.message.chat.type == "private"
    assert abs(update.message.date.timestamp() - time.time()) < 60

    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Русский", callback_data="lang:ru")]])
    sent = await bot.send_message(
        CITIZEN.id, "<b>Тіл</b> таңдаңыз", parse_mode="HTML", reply_markup=keyboard,
        reply_to_message_id=asked,
    )  # fmt: skip
    assert sent.reply_to_message is not None and sent.reply_to_message.message_id == asked
    [shown] = await client.wait_bot_messages(CITIZEN.id, timeout=5)
    assert (shown.message_id, shown.text, shown.reply_to_message_id) == (
        sent.message_id,
        "Тіл таңдаңыз",
        asked,
    )
    assert [button.callback_data for button in shown.buttons] == ["lang:ru"]

    with pytest.raises(EmulatorError, match="no button"):
        await client.press_button(CITIZEN.id, CITIZEN, sent.message_id, "lang:xx")
    await client.press_button(CITIZEN.id, CITIZEN, sent.message_id, "lang:ru")
    [pressed] = await bot.get_updates(offset=update.update_id + 1, timeout=5)
    query = pressed.callback_query
    assert query is not None and query.message is not None
    assert (query.data, query.from_user.id, query.message.message_id) == (
        "lang:ru",
        CITIZEN.id,
        sent.message_id,
    )
    assert await query.answer()


async def test_an_operator_replies_to_a_case_card_in_the_group(
    bot: Bot, client: AsyncEmulatorClient
) -> None:
    card = await bot.send_message(GROUP, "Case #1")
    assert card.chat.type == "group"
    await client.wait_bot_messages(GROUP, timeout=5)

    answer = await client.send_message(
        GROUP, OPERATOR, "Жауап", reply_to_message_id=card.message_id
    )
    await client.send_message(GROUP, OPERATOR, "/close", reply_to_message_id=card.message_id)
    updates = await bot.get_updates(timeout=5)
    replies = [update.message for update in updates if update.message]
    assert [message.message_id for message in replies][:1] == [answer]
    assert [message.text for message in replies] == ["Жауап", "/close"]
    for message in replies:
        assert message.chat.type == "group" and message.from_user is not None
        assert message.from_user.id == OPERATOR.id
        assert message.reply_to_message is not None
        assert message.reply_to_message.message_id == card.message_id
    assert replies[1].entities[0].type == "bot_command"

    await bot.edit_message_text("Case #1: closed", GROUP, card.message_id)
    [edited] = await client.wait_bot_messages(GROUP, timeout=5)
    assert (edited.message_id, edited.text, edited.edited) == (
        card.message_id,
        "Case #1: closed",
        True,
    )


async def test_polling_waits_for_updates_and_offset_confirms_them(
    bot: Bot, client: AsyncEmulatorClient
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9  # long polling, not a busy loop
    await client.send_message(CITIZEN.id, CITIZEN, "бір")
    [first] = await bot.get_updates(timeout=5)
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first.update_id]
    assert await bot.get_updates(offset=first.update_id + 1, timeout=0) == ()
