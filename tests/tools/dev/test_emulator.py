"""The Bot API emulator, through python-telegram-bot as the bridge uses it.

These guard the patches in emulator/server.js: without them PTB 22 cannot parse the
emulator's answers, an operator cannot reply to a case card, and buttons cannot be pressed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from itertools import count

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter

from tools.dev.emulator import AsyncEmulatorClient, EmulatorError, EmulatorProcess, User
from tools.dev.stack import free_port

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


async def test_a_button_an_app_still_shows_can_be_pressed_after_an_edit(
    bot: Bot, client: AsyncEmulatorClient
) -> None:
    """Two operators see a card's «claim»; one takes it and the card changes; the other's app
    has not redrawn yet and its press still reaches the bot, as on Telegram."""
    claim = InlineKeyboardMarkup([[InlineKeyboardButton("Взять", callback_data="claim:1")]])
    card = await bot.send_message(GROUP, "Case #1", reply_markup=claim)
    release = InlineKeyboardMarkup([[InlineKeyboardButton("Отпустить", callback_data="rel:1")]])
    await bot.edit_message_reply_markup(GROUP, card.message_id, reply_markup=release)
    await client.press_button(GROUP, OPERATOR, card.message_id, "claim:1")
    [update] = await bot.get_updates(timeout=5)
    query = update.callback_query
    assert query is not None and query.data == "claim:1"
    assert query.message is not None and query.message.reply_markup == release
    with pytest.raises(EmulatorError, match="no button"):
        await client.press_button(GROUP, OPERATOR, card.message_id, "close:1")


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


async def test_attachments_reach_the_bot_and_are_copied_between_chats(
    bot: Bot, client: AsyncEmulatorClient
) -> None:
    sent = {
        kind: await client.send_attachment(CITIZEN.id, CITIZEN, kind, caption=f"{kind}!")
        for kind in ("photo", "document", "voice", "sticker")
    }
    updates = await bot.get_updates(timeout=5)
    messages = {m.message_id: m for u in updates if (m := u.message) is not None}
    photo, document = messages[sent["photo"]], messages[sent["document"]]
    voice, sticker = messages[sent["voice"]], messages[sent["sticker"]]
    assert photo.photo and photo.photo[-1].width == 800 and photo.caption == "photo!"
    assert document.document is not None and document.document.file_name == "document.pdf"
    assert voice.voice is not None and voice.voice.duration > 0
    assert sticker.sticker is not None and sticker.sticker.type == "regular"
    assert all(m.text is None for m in messages.values())

    # The desk copies a citizen's attachment to the operators' group, in reply to a card.
    card = await bot.send_message(GROUP, "Case #1")
    copied = await bot.copy_message(
        GROUP, CITIZEN.id, sent["document"], reply_to_message_id=card.message_id
    )
    [_, shown] = await client.wait_bot_messages(GROUP, count=2, timeout=5)
    assert shown.message_id == copied.message_id
    assert (shown.attachment, shown.caption, shown.reply_to_message_id) == (
        "document",
        "document!",
        card.message_id,
    )
    assert shown.file_id == document.document.file_id and shown.text == ""

    # An operator's photo goes back to the citizen the same way.
    operator_photo = await client.send_attachment(
        GROUP, OPERATOR, "photo", reply_to_message_id=card.message_id
    )
    await bot.copy_message(CITIZEN.id, GROUP, operator_photo)
    [back] = await client.wait_bot_messages(CITIZEN.id, timeout=5)
    assert back.attachment == "photo" and back.raw["from"]["is_bot"]

    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(GROUP, CITIZEN.id, 999_999)


async def test_telegram_refuses_empty_and_too_long_texts(
    bot: Bot, client: AsyncEmulatorClient
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CITIZEN.id, "ж" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CITIZEN.id, "😀" * 2049)  # two UTF-16 code units each
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CITIZEN.id, "  ")
    await bot.send_message(CITIZEN.id, "😀" * 2048)
    [shown] = await client.wait_bot_messages(CITIZEN.id, timeout=5)
    assert shown.text == "😀" * 2048


async def test_formatting_the_bot_asks_for_is_reported(
    bot: Bot, client: AsyncEmulatorClient
) -> None:
    await bot.send_message(CITIZEN.id, "<b>bold</b>", parse_mode="HTML")
    await bot.send_message(CITIZEN.id, "<b>plain</b> *text*")
    formatted, plain = await client.wait_bot_messages(CITIZEN.id, count=2, timeout=5)
    assert (formatted.text, formatted.parse_mode) == ("bold", "HTML")
    assert (plain.text, plain.parse_mode) == ("<b>plain</b> *text*", None)


async def test_injected_faults_answer_as_telegram_does(
    bot: Bot, client: AsyncEmulatorClient
) -> None:
    await client.clear_faults()
    await client.add_fault("sendMessage", 429, retry_after=2, chat_id=CITIZEN.id)
    await client.add_fault("sendMessage", 502, count=2)
    await client.add_fault("copyMessage", 400, description="Bad Request: message can't be copied")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(CITIZEN.id, "бір")
    assert flood.value.retry_after in (2, dt.timedelta(seconds=2))
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(GROUP, "екі")
    with pytest.raises(BadRequest, match="can't be copied"):
        await bot.copy_message(GROUP, CITIZEN.id, 1)
    await bot.send_message(CITIZEN.id, "үш")
    [shown] = await client.wait_bot_messages(CITIZEN.id, timeout=5)
    assert shown.text == "үш"
    hits = await client.fault_hits()
    assert [(h.method, h.status) for h in hits] == [
        ("sendMessage", 429), ("sendMessage", 502), ("sendMessage", 502), ("copyMessage", 400),
    ]  # fmt: skip
    assert hits[0].chat_id == CITIZEN.id and abs(hits[0].at - time.time()) < 30
    await client.clear_faults()
    assert await client.fault_hits() == []


async def test_a_webhook_gets_updates_with_the_secret_token(
    bot: Bot, client: AsyncEmulatorClient
) -> None:
    received: list[tuple[str | None, dict[str, object]]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret-token_1")
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        await client.send_message(CITIZEN.id, CITIZEN, "вебхук")
        [(secret, update)] = received
        assert secret == "s3cret-token_1"
        assert update["message"]["text"] == "вебхук"  # type: ignore[index]
        await bot.delete_webhook()
        await client.send_message(CITIZEN.id, CITIZEN, "поллинг")
        assert [u.message.text for u in await bot.get_updates(timeout=5) if u.message] == [
            "поллинг"
        ]
        assert len(received) == 1
    finally:
        await runner.cleanup()
