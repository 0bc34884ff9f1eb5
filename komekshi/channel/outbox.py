"""Every message the bridge sends, delivered in order and retried until Telegram takes it.

Telegram may time out, be unreachable or ask to slow down (flood control). A message that
fails for such a reason is not dropped: it waits in a per-chat outbox in Redis, and later
messages to that chat queue behind it so the conversation keeps its order. `flush()`, called
by the bridge every second, retries them with growing pauses. A message Telegram refuses
outright (the citizen blocked the bot, an attachment it cannot copy) or that still fails after
the last retry goes to the `failed` callback, which tells the people concerned.

Redis keys: `komekshi:outbox:<chat id>` (list of messages, oldest first) and
`komekshi:outbox` (sorted set: chats with waiting messages, by time of the next attempt).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from redis.asyncio import Redis
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from komekshi.core import clock
from komekshi.core.keys import OUTBOX

log = logging.getLogger(__name__)

# Pauses (seconds) before each retry; after the last one the message counts as failed. Flood
# control's retry_after is honoured when it asks for longer.
RETRY_DELAYS = (1, 3, 10, 30, 60, 120, 300, 600, 900)
# Telegram's longest message text, in UTF-16 code units (an emoji may count two).
MAX_TEXT_UNITS = 4096

Keyboard = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class Outgoing:
    """One message to send: a text with inline buttons, or a copy of a user's message."""

    chat_id: int
    text: str = ""
    # Rows of (title, callback data).
    buttons: Keyboard = ()
    # (chat id, message id) of a message to copy instead of sending text.
    copy_of: tuple[int, int] | None = None
    reply_to: int | None = None
    thread_id: int | None = None
    # The case this message belongs to: in the operators' chat a reply to it reaches the case.
    case_id: int | None = None
    # The case's card (its message id is kept to edit the card later).
    card: bool = False
    # A relay between a citizen and an operator: its failure is told to both.
    relay: bool = False

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Outgoing:
        data = json.loads(raw)
        data["buttons"] = tuple(tuple(tuple(b) for b in row) for row in data["buttons"])
        data["copy_of"] = tuple(data["copy_of"]) if data["copy_of"] else None
        return cls(**data)


def markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    rows = [
        [InlineKeyboardButton(title, callback_data=data) for title, data in row] for row in buttons
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def fit(text: str, limit: int = MAX_TEXT_UNITS) -> str:
    """The text cut to what Telegram takes, ending in "…" if it was cut.

    Telegram refuses a longer text outright, so a long relay or case card would be lost;
    cut, it still tells the operator or the citizen most of it.
    """
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    units = 0
    for index, character in enumerate(text):
        units += 2 if ord(character) > 0xFFFF else 1
        if units > limit - 1:
            return text[:index] + "…"
    return text


def transient(error: TelegramError) -> bool:
    """Worth retrying: timeouts, network trouble, flood control; not a refusal."""
    return isinstance(error, RetryAfter) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    )


async def pending(redis: Redis) -> int:
    """How many messages wait for a retry (a metric)."""
    chats = await redis.zrange(OUTBOX, 0, -1)
    return sum([int(await redis.llen(f"{OUTBOX}:{int(chat)}")) for chat in chats])


class Courier:
    """Sends `Outgoing` messages through the bot, keeping the ones Telegram did not take."""

    def __init__(
        self,
        bot: Bot,
        redis: Redis,
        sent: Callable[[Outgoing, int], Awaitable[None]],
        failed: Callable[[Outgoing], Awaitable[None]],
    ) -> None:
        """`sent(message, message id)` and `failed(message)` are called once per message."""
        self.bot = bot
        self.redis = redis
        self.sent = sent
        self.failed = failed
        # A message may be queued while the chat is flushed: forget the chat only if empty.
        self._forget_if_empty = redis.register_script(
            "if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end"
        )

    async def send(self, message: Outgoing) -> None:
        """Send now, or queue behind the chat's waiting messages (or for a retry)."""
        box = f"{OUTBOX}:{message.chat_id}"
        if await self.redis.llen(box):
            await self._keep(message, due=clock.timestamp())
            return
        try:
            message_id = await self._deliver(message)
        except TelegramError as error:
            if not transient(error):
                log.warning("Telegram refused a message to chat %s: %s", message.chat_id, error)
                await self.failed(message)
                return
            log.warning("Message to chat %s queued for a retry: %r", message.chat_id, error)
            await self._keep(message, due=clock.timestamp() + _delay(error, 0))
            return
        await self.sent(message, message_id)

    async def _keep(self, message: Outgoing, due: float) -> None:
        """Queue a message in its chat's outbox; the chat keeps its next attempt if it has one."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(f"{OUTBOX}:{message.chat_id}", message.to_json())
            pipe.zadd(OUTBOX, {str(message.chat_id): due}, nx=True)
            await pipe.execute()

    async def flush(self) -> None:
        """Retry the waiting messages that are due, oldest first in each chat."""
        for chat in await self.redis.zrangebyscore(OUTBOX, "-inf", clock.timestamp()):
            await self._flush_chat(int(chat))

    async def _flush_chat(self, chat_id: int) -> None:
        box = f"{OUTBOX}:{chat_id}"
        attempts_key = f"{OUTBOX}:attempts:{chat_id}"
        while raw := await self.redis.lindex(box, 0):
            message = Outgoing.from_json(raw)
            try:
                message_id = await self._deliver(message)
            except TelegramError as error:
                attempt = int(await self.redis.incr(attempts_key))
                if transient(error) and attempt < len(RETRY_DELAYS):
                    due = clock.timestamp() + _delay(error, attempt)
                    await self.redis.zadd(OUTBOX, {str(chat_id): due})
                    return
                log.error("Gave up a message to chat %s: %r", chat_id, error)
                await self._done(box, attempts_key)
                await self.failed(message)
                continue
            await self._done(box, attempts_key)
            await self.sent(message, message_id)
        await self._forget_if_empty(keys=[box, OUTBOX], args=[chat_id])

    async def _done(self, box: str, attempts_key: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpop(box)
            pipe.delete(attempts_key)
            await pipe.execute()

    async def _deliver(self, message: Outgoing) -> int:
        reply = (
            ReplyParameters(message.reply_to, allow_sending_without_reply=True)
            if message.reply_to
            else None
        )
        if message.copy_of:
            from_chat, from_message = message.copy_of
            copied = await self.bot.copy_message(
                message.chat_id,
                from_chat,
                from_message,
                message_thread_id=message.thread_id,
                reply_parameters=reply,
            )
            return copied.message_id
        # Plain text, never a parse mode: nothing a citizen or an operator wrote is formatting.
        sent = await self.bot.send_message(
            message.chat_id,
            fit(message.text),
            message_thread_id=message.thread_id,
            reply_parameters=reply,
            reply_markup=markup(message.buttons),
        )
        return sent.message_id


def _delay(error: TelegramError, attempt: int) -> float:
    if isinstance(error, RetryAfter):
        retry_after = error.retry_after
        seconds = (
            retry_after.total_seconds() if isinstance(retry_after, dt.timedelta) else retry_after
        )
        return max(float(seconds), RETRY_DELAYS[attempt])
    return RETRY_DELAYS[attempt]
