"""Messages kept while Rasa is unreachable: answered in order once it is back, else given up.

The citizens' handlers run here against a fake Bot and a fake Rasa REST channel (with a real
Redis), so the bound on the wait can be checked without waiting for it; the whole path through
Telegram and a restarted Rasa is checked end to end (tests/e2e/test_telegram.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml
from redis.asyncio import Redis

from komekshi.channel.backlog import Backlog, Kept
from komekshi.channel.citizens import Citizens
from komekshi.channel.rasa_client import DialogueUnavailable, DialogueUnreachable
from komekshi.core import settings
from komekshi.desk.cases import HandoffStore
from komekshi.desk.desk import Desk
from komekshi.desk.hours import WEEKDAYS, ScheduleFile
from komekshi.knowledge import responses
from tests.fakes import FakeBot
from tests.komekshi.channel.conftest import Clock

TEXTS = responses.load()
KEPT_KK = responses.text(TEXTS, "utter_channel_unavailable_kept", "kk")
SORRY_RU = responses.text(TEXTS, "utter_channel_unavailable", "ru")


class FakeRasa:
    async def pause(self, sender: str) -> bool:
        return True

    async def resume(self, sender: str) -> bool:
        return True


class FakeDialogue:
    """Rasa's REST channel: down (refusing connections) or up, echoing what it gets."""

    def __init__(self) -> None:
        self.down = True
        self.received: list[str] = []

    async def send(
        self,
        sender: str,
        text: str,
        metadata: dict[str, Any] | None = None,
        attempts: int = 3,
    ) -> list[dict[str, Any]]:
        if self.down:
            raise DialogueUnreachable("connection refused")
        self.received.append(text)
        custom = {"language": "kk", "intent": {"name": "greet", "confidence": 0.99}}
        return [{"recipient_id": sender, "text": f"жауап: {text}", "custom": custom}]


def _citizens(tmp_path: Path, redis_url: str, bot: FakeBot, dialogue: FakeDialogue) -> Citizens:
    hours = tmp_path / "operators.yml"
    hours.write_text(
        yaml.safe_dump({"hours": {day: ["00:00-24:00"] for day in WEEKDAYS}}), encoding="utf-8"
    )
    config = settings.load({"OPERATORS_CHAT_ID": "-1001", "RASA_RETRY_SECONDS": "300"})
    store = HandoffStore(Redis.from_url(redis_url))
    desk = Desk(config, store, TEXTS, bot, ScheduleFile(hours), FakeRasa())  # type: ignore[arg-type]
    return Citizens(config, store, dialogue, desk)  # type: ignore[arg-type]


def _chat() -> int:
    return uuid.uuid4().int % 10**9


def _texts(bot: FakeBot, chat: int) -> list[str | None]:
    return [call.text for call in bot.sent(chat)]


async def test_messages_kept_while_rasa_is_down_are_answered_in_order(
    tmp_path: Path, redis_url: str, clock: Clock
) -> None:
    bot, dialogue = FakeBot(), FakeDialogue()
    citizens = _citizens(tmp_path, redis_url, bot, dialogue)
    chat = _chat()
    await citizens.converse(chat, "сәлем", "Айгерім", said="сәлем", message_id=1)
    await citizens.converse(chat, "анықтама керек", "Айгерім", said="анықтама керек", message_id=2)
    # Told once, not once per message; nothing reached Rasa yet.
    assert _texts(bot, chat) == [KEPT_KK]
    assert await citizens.backlog.waiting(chat)

    # Still down at the next attempt: kept, tried again later.
    clock.now += 5
    await citizens.send_kept()
    assert _texts(bot, chat) == [KEPT_KK] and dialogue.received == []

    # Back: both are answered, oldest first, and the chat is forgotten.
    dialogue.down = False
    clock.now += 5
    await citizens.send_kept()
    assert dialogue.received == ["сәлем", "анықтама керек"]
    assert _texts(bot, chat) == [KEPT_KK, "жауап: сәлем", "жауап: анықтама керек"]
    assert not await citizens.backlog.waiting(chat)
    assert chat not in await citizens.backlog.due()


async def test_a_message_kept_too_long_is_given_up_with_an_apology(
    tmp_path: Path, redis_url: str, clock: Clock
) -> None:
    bot, dialogue = FakeBot(), FakeDialogue()
    citizens = _citizens(tmp_path, redis_url, bot, dialogue)
    chat = _chat()
    await citizens.backlog.keep(
        chat, Kept("Как получить справку?", "Сергей", "Как получить справку?", 7, at=clock.now)
    )
    clock.now += 301
    dialogue.down = False
    await citizens.send_kept()
    assert dialogue.received == []
    assert _texts(bot, chat) == [SORRY_RU]
    assert not await citizens.backlog.waiting(chat)


async def test_a_failing_rasa_is_apologised_for_at_once(
    tmp_path: Path, redis_url: str, clock: Clock
) -> None:
    class Failing(FakeDialogue):
        async def send(self, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
            raise DialogueUnavailable("HTTP 500")

    bot = FakeBot()
    citizens = _citizens(tmp_path, redis_url, bot, Failing())
    chat = _chat()
    await citizens.converse(chat, "Как получить справку?", "Сергей", said="Как получить справку?")
    assert _texts(bot, chat) == [SORRY_RU]
    assert not await citizens.backlog.waiting(chat)


async def test_two_bridges_never_send_the_same_chat(redis_url: str, clock: Clock) -> None:
    first, second = Backlog(Redis.from_url(redis_url)), Backlog(Redis.from_url(redis_url))
    chat = _chat()
    await first.keep(chat, Kept("сәлем", "Айгерім"))
    clock.now += 5
    assert chat in await second.due()
    assert await first.claim(chat)
    assert not await second.claim(chat)
    await first.done(chat)
    await first.release(chat)
    assert chat not in await second.due()
    assert await second.claim(chat)
