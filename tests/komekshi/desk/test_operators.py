"""The operators' desk against a fake Bot: forum topics, attachments, group admins.

The emulator has no forum topics and cannot copy media, so these paths are checked here, as
is the operator guard every operators' handler goes through; the card path and text relays are
checked end to end (tests/e2e/test_handoff.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from redis.asyncio import Redis
from telegram import CallbackQuery, Chat, Message, PhotoSize, Update, User
from telegram.error import BadRequest

from komekshi.core import settings
from komekshi.core.vocabulary import Reason
from komekshi.desk.cards import Button
from komekshi.desk.cases import Case, HandoffStore, Status, Turn
from komekshi.desk.desk import Desk
from komekshi.desk.hours import WEEKDAYS, ScheduleFile
from komekshi.desk.operators import Operators, operators_only
from komekshi.knowledge import responses
from tests.fakes import FakeBot

GROUP = -1009876543210
OPERATOR = User(1001, "Асель", is_bot=False)
ADMIN = User(2002, "Бекзат", is_bot=False)
STRANGER = User(3003, "Бөтен", is_bot=False)
TEXTS = responses.load()
_messages = iter(range(500, 10**6))
_updates = iter(range(1, 10**6))
# The handlers read nothing of python-telegram-bot's context.
CONTEXT: Any = None


class FakeRasa:
    """Records which conversations were paused and resumed."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    async def pause(self, sender: str) -> bool:
        self.events.append(("pause", sender))
        return True

    async def resume(self, sender: str) -> bool:
        self.events.append(("resume", sender))
        return True


def _desk(tmp_path: Path, redis_url: str, bot: FakeBot) -> Desk:
    hours = tmp_path / "operators.yml"
    week = {day: ["00:00-24:00"] for day in WEEKDAYS}
    hours.write_text(yaml.safe_dump({"hours": week}), encoding="utf-8")
    config = settings.load({"OPERATORS_CHAT_ID": str(GROUP), "OPERATOR_IDS": "1001"})
    store = HandoffStore(Redis.from_url(redis_url))
    return Desk(config, store, TEXTS, bot, ScheduleFile(hours), FakeRasa())  # type: ignore[arg-type]


def _message(chat: Chat, user: User, message_id: int | None = None, **fields: object) -> Message:
    return Message(
        message_id or next(_messages),
        dt.datetime.now(dt.UTC),
        chat,
        from_user=user,
        **fields,  # type: ignore[arg-type]
    )


async def _card(desk: Desk, case: Case) -> Message:
    """The case's card in the operators' chat, as an operator's reply quotes it."""
    held = await desk.store.case(case.id)
    assert held and held.card_message_id
    return _message(Chat(GROUP, "supergroup"), OPERATOR, held.card_message_id)


def _photo() -> list[PhotoSize]:
    return [PhotoSize("file", "unique", 10, 10)]


async def _open(desk: Desk, first_name: str = "Айгерім") -> Case:
    chat = uuid.uuid4().int % 10**9
    await desk.store.remember(chat, "citizen", "ЖСН 900101300123, көмектесіңізші")
    await desk.hand_off(chat, "kk", Reason.CITIZEN_REQUEST, first_name, Turn("request_human", 0.97))
    case = await desk.store.active_case(chat)
    assert case is not None
    return case


async def _press(desk: Desk, bot: FakeBot, user: User, data: str, chat: Chat) -> None:
    query = CallbackQuery("q1", user, "ci", message=_message(chat, user), data=data)
    query.set_bot(bot)  # type: ignore[arg-type]
    if chat.id == GROUP:
        await Operators(desk).on_button(Update(next(_updates), callback_query=query), CONTEXT)
    else:
        button = Button.parse(data)
        assert button
        await desk.on_citizen_button(query, button)


async def _write(desk: Desk, message: Message) -> None:
    """Someone writes in the operators' chat (or elsewhere): the operators' handler gets it."""
    await Operators(desk).on_message(Update(next(_updates), message=message), CONTEXT)


@pytest.fixture
def forum_bot() -> FakeBot:
    return FakeBot(forum=True)


async def test_a_case_in_a_forum_group_gets_a_topic_of_its_own(
    tmp_path: Path, redis_url: str, forum_bot: FakeBot
) -> None:
    desk = _desk(tmp_path, redis_url, forum_bot)
    case = await _open(desk)
    [topic] = [c for c in forum_bot.calls if c.method == "create_forum_topic"]
    assert topic.text == f"#{case.id} Айгерім" and case.topic_id == topic.thread_id
    [card] = forum_bot.sent(GROUP)
    assert card.thread_id == topic.thread_id and card.reply_to is None
    assert card.text and card.text.startswith(f"🆕 Обращение #{case.id}\n")
    assert "[IIN]" in card.text and "900101300123" not in card.text
    assert card.buttons == ["🙋 Взять"]
    [queued] = forum_bot.sent(case.chat_id)
    assert queued.text and queued.text.startswith("Кезектегі орныңыз: ")
    assert desk.rasa.events == [("pause", f"tg-{case.chat_id}")]  # type: ignore[attr-defined]

    group = Chat(GROUP, "supergroup", is_forum=True)
    await _press(desk, forum_bot, OPERATOR, f"claim:{case.id}", group)
    # In the topic, an operator writes without replying to anything.
    said = _message(
        group, OPERATOR, text="Сәлеметсіз бе!", message_thread_id=case.topic_id,
        is_topic_message=True,
    )  # fmt: skip
    await _write(desk, said)
    assert forum_bot.sent(case.chat_id)[-1].text == "👤 Оператор: Сәлеметсіз бе!"

    # The citizen's messages go to the topic.
    citizen = Chat(case.chat_id, "private")
    await desk.relay_from_citizen(case, _message(citizen, OPERATOR, text="рахмет"))
    relayed = forum_bot.sent(GROUP)[-1]
    assert (relayed.text, relayed.thread_id) == (f"💬 #{case.id} Айгерім: рахмет", case.topic_id)

    closing = _message(
        group, OPERATOR, text="/close resolved", message_thread_id=case.topic_id,
        is_topic_message=True,
    )  # fmt: skip
    await _write(desk, closing)
    assert [c.thread_id for c in forum_bot.calls if c.method == "close_forum_topic"] == [
        case.topic_id
    ]
    closed, rating = forum_bot.sent(case.chat_id)[-2:]
    assert closed.text and closed.text.startswith("Оператор сөйлесуді аяқтады")
    assert rating.buttons == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    assert ("resume", f"tg-{case.chat_id}") in desk.rasa.events  # type: ignore[attr-defined]


async def test_without_topics_permission_the_case_falls_back_to_a_card(
    tmp_path: Path, redis_url: str, forum_bot: FakeBot
) -> None:
    forum_bot.fail["create_forum_topic"] = [BadRequest("Not enough rights to create a topic")]
    desk = _desk(tmp_path, redis_url, forum_bot)
    case = await _open(desk)
    assert case.topic_id is None
    [card] = forum_bot.sent(GROUP)
    assert card.thread_id is None and card.buttons == ["🙋 Взять"]


async def test_attachments_are_copied_both_ways(tmp_path: Path, redis_url: str) -> None:
    bot = FakeBot()
    desk = _desk(tmp_path, redis_url, bot)
    case = await _open(desk)
    citizen, group = Chat(case.chat_id, "private"), Chat(GROUP, "supergroup")
    photo = _message(citizen, OPERATOR, photo=_photo())
    await desk.relay_from_citizen(case, photo)
    copied = bot.sent(GROUP)[-1]
    assert (copied.method, copied.from_chat, copied.message_id) == (
        "copy_message", case.chat_id, photo.message_id,
    )  # fmt: skip
    card = await _card(desk, case)
    assert copied.reply_to == card.message_id

    await _press(desk, bot, OPERATOR, f"claim:{case.id}", group)
    document = _message(group, OPERATOR, photo=_photo(), reply_to_message=card)
    await _write(desk, document)
    back = bot.sent(case.chat_id)[-1]
    assert (back.method, back.from_chat, back.message_id) == (
        "copy_message", GROUP, document.message_id,
    )  # fmt: skip


async def test_an_attachment_that_cannot_be_copied_is_explained_to_both_sides(
    tmp_path: Path, redis_url: str
) -> None:
    bot = FakeBot()
    desk = _desk(tmp_path, redis_url, bot)
    case = await _open(desk)
    citizen, group = Chat(case.chat_id, "private"), Chat(GROUP, "supergroup")
    bot.fail["copy_message"] = [BadRequest("Message can't be copied")] * 2
    await desk.relay_from_citizen(case, _message(citizen, OPERATOR, photo=_photo()))
    assert bot.sent(GROUP)[-1].text == (
        f"📎 #{case.id} Айгерім отправил(а) файл, но переслать его сюда не получилось. "
        "Гражданина попросили описать его текстом."
    )
    assert (bot.sent(case.chat_id)[-1].text or "").startswith(
        "Кешіріңіз, файлыңызды операторға жеткізе алмадым."
    )

    await _press(desk, bot, OPERATOR, f"claim:{case.id}", group)
    document = _message(group, OPERATOR, photo=_photo(), reply_to_message=await _card(desk, case))
    await _write(desk, document)
    assert (bot.sent(case.chat_id)[-1].text or "").startswith("Оператор сізге файл жіберді")
    assert bot.sent(GROUP)[-1].text == (
        f"⚠️ #{case.id}: сообщение не доставлено гражданину. Попробуйте написать ещё раз текстом."
    )


async def test_group_admins_are_operators_and_strangers_are_not(
    tmp_path: Path, redis_url: str
) -> None:
    bot = FakeBot(admins=(ADMIN.id,))
    desk = _desk(tmp_path, redis_url, bot)
    assert await desk.is_operator(OPERATOR) and await desk.is_operator(ADMIN)
    assert not await desk.is_operator(STRANGER)
    case = await _open(desk)
    group = Chat(GROUP, "supergroup")
    await _press(desk, bot, STRANGER, f"claim:{case.id}", group)
    assert bot.calls[-1].text == "Работать с обращениями могут только операторы."
    assert (await desk.store.case(case.id)).status == Status.WAITING  # type: ignore[union-attr]
    await _press(desk, bot, ADMIN, f"claim:{case.id}", group)
    held = await desk.store.case(case.id)
    assert held and (held.status, held.operator_id) == (Status.CLAIMED, ADMIN.id)


async def test_admins_unknown_leave_operator_ids_only(tmp_path: Path, redis_url: str) -> None:
    bot = FakeBot(admins=(ADMIN.id,))
    bot.fail["get_chat_administrators"] = [BadRequest("not emulated")]
    desk = _desk(tmp_path, redis_url, bot)
    assert await desk.is_operator(OPERATOR) and not await desk.is_operator(ADMIN)


async def test_a_citizen_cannot_cancel_or_rate_another_citizens_case(
    tmp_path: Path, redis_url: str
) -> None:
    bot = FakeBot()
    desk = _desk(tmp_path, redis_url, bot)
    case = await _open(desk)
    other = Chat(case.chat_id + 1, "private")
    await _press(desk, bot, OPERATOR, f"cancel:{case.id}", other)
    assert (await desk.store.case(case.id)).status == Status.WAITING  # type: ignore[union-attr]
    await _press(desk, bot, OPERATOR, f"cancel:{case.id}", Chat(case.chat_id, "private"))
    cancelled = await desk.store.case(case.id)
    assert cancelled and (cancelled.status, cancelled.resolution) == (Status.CLOSED, "cancelled")


def test_every_operators_handler_goes_through_the_guard() -> None:
    async def handler(operators: Operators, update: Update, user: User) -> None:
        return None

    guard = operators_only(handler).__code__
    handlers = {name: f for name, f in vars(Operators).items() if name.startswith("on_")}
    assert set(handlers) == {"on_message", "on_button"}
    assert all(f.__code__ is guard for f in handlers.values())


async def test_only_operators_in_their_chat_reach_a_case(tmp_path: Path, redis_url: str) -> None:
    bot = FakeBot()
    desk = _desk(tmp_path, redis_url, bot)
    case = await _open(desk)
    card = await _card(desk, case)
    group, private = Chat(GROUP, "supergroup"), Chat(OPERATOR.id, "private")
    await _press(desk, bot, OPERATOR, f"claim:{case.id}", group)
    told = len(bot.sent(case.chat_id))
    # A stranger in the group replies to the card; the operator writes from another chat.
    await _write(desk, _message(group, STRANGER, text="сәлем", reply_to_message=card))
    await _write(desk, _message(private, OPERATOR, text="сәлем", reply_to_message=card))
    assert len(bot.sent(case.chat_id)) == told
    # An operator's button pressed outside the operators' chat is only acknowledged.
    pressed = _message(private, OPERATOR)
    query = CallbackQuery("q2", OPERATOR, "ci", message=pressed, data=f"release:{case.id}")
    query.set_bot(bot)  # type: ignore[arg-type]
    await Operators(desk).on_button(Update(next(_updates), callback_query=query), CONTEXT)
    held = await desk.store.case(case.id)
    assert held and (held.status, held.operator_id) == (Status.CLAIMED, OPERATOR.id)
    assert (bot.calls[-1].method, bot.calls[-1].text) == ("answer_callback_query", None)
