"""Citizens' messages kept in Redis while Rasa is unreachable, and sent in order once it is back.

A message that never reached Rasa (the connection was refused: Rasa is restarting, or down)
is not lost and not left unanswered. The bridge keeps it here and tells the citizen once that
it will answer as soon as it can; later messages of that chat queue behind it, so the
conversation keeps its order. Every second the bridge sends each chat's kept messages to Rasa,
oldest first, and delivers the answers as usual. A message kept longer than
RASA_RETRY_SECONDS (300 by default) is given up: the chat's kept messages are dropped and the
citizen is asked to write again, so a wait is always bounded and never silent. Another kind of
failure (Rasa answered with an error, or too late) is not retried, as Rasa may already have
acted on the message: the citizen gets the apology at once (komekshi/channel/rasa_client.py).

Redis keys: `komekshi:backlog:<chat id>` (list of kept messages, oldest first),
`komekshi:backlog` (sorted set: chats with kept messages, by time of the next attempt) and
`komekshi:backlog:lock:<chat id>` (held by the bridge that is sending a chat's messages, so two
bridges never send the same ones).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

from redis.asyncio import Redis

from komekshi.core import clock
from komekshi.core.keys import BACKLOG

# Pause between attempts while Rasa stays unreachable.
RETRY_PAUSE_SECONDS = 2.0
# Longest a bridge may take over a chat's kept messages before another may try.
LOCK_MILLISECONDS = 120_000


@dataclass(frozen=True)
class Kept:
    """A citizen's turn waiting for Rasa."""

    # What goes to Rasa (a command's intent, a button's payload, or the text itself).
    text: str
    first_name: str
    # What the citizen wrote and its message id, for an operator if a case opens meanwhile;
    # None for a pressed button, which means nothing to a person.
    said: str | None = None
    message_id: int | None = None
    at: float = dataclasses.field(default_factory=clock.timestamp)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Kept:
        return cls(**json.loads(raw))


class Backlog:
    """The kept messages of every chat."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        # A message queues behind earlier ones only while there are some, in one step, so it
        # never slips in just as the last one is sent (and told about as if it were first).
        self._push_if_waiting = redis.register_script(
            "if redis.call('LLEN', KEYS[1]) == 0 then return 0 end"
            " redis.call('RPUSH', KEYS[1], ARGV[1]) return 1"
        )
        # A message may be kept while the chat is sent: forget the chat only if empty.
        self._forget_if_empty = redis.register_script(
            "if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end"
            " redis.call('DEL', KEYS[3])"
        )

    @staticmethod
    def _box(chat_id: int) -> str:
        return f"{BACKLOG}:{chat_id}"

    async def waiting(self, chat_id: int) -> bool:
        """Whether the chat has messages kept for Rasa."""
        return bool(await self.redis.llen(self._box(chat_id)))

    async def queue_behind(self, chat_id: int, kept: Kept) -> bool:
        """Keep a message behind the chat's kept ones, if it has any; False if it has none."""
        return bool(await self._push_if_waiting(keys=[self._box(chat_id)], args=[kept.to_json()]))

    async def keep(self, chat_id: int, kept: Kept) -> bool:
        """Keep a message; True if it is the first one kept (the citizen was not told yet)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(self._box(chat_id), kept.to_json())
            pipe.zadd(BACKLOG, {str(chat_id): clock.timestamp() + RETRY_PAUSE_SECONDS}, nx=True)
            length, _ = await pipe.execute()
        return int(length) == 1

    async def due(self) -> list[int]:
        """Chats whose kept messages are due for another attempt."""
        return [
            int(chat) for chat in await self.redis.zrangebyscore(BACKLOG, "-inf", clock.timestamp())
        ]

    async def claim(self, chat_id: int) -> bool:
        """Take a chat's kept messages over; False if another bridge is sending them."""
        return bool(
            await self.redis.set(f"{BACKLOG}:lock:{chat_id}", "1", nx=True, px=LOCK_MILLISECONDS)
        )

    async def release(self, chat_id: int) -> None:
        """Give a chat's kept messages back (and forget the chat once they are all sent)."""
        await self._forget_if_empty(
            keys=[self._box(chat_id), BACKLOG, f"{BACKLOG}:lock:{chat_id}"], args=[chat_id]
        )

    async def first(self, chat_id: int) -> Kept | None:
        raw = await self.redis.lindex(self._box(chat_id), 0)
        return Kept.from_json(raw) if raw else None

    async def done(self, chat_id: int) -> None:
        """The oldest kept message was answered (or handled otherwise)."""
        await self.redis.lpop(self._box(chat_id))

    async def later(self, chat_id: int, seconds: float = RETRY_PAUSE_SECONDS) -> None:
        await self.redis.zadd(BACKLOG, {str(chat_id): clock.timestamp() + seconds})

    async def drop(self, chat_id: int) -> int:
        """Give up every kept message of a chat; how many there were."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.llen(self._box(chat_id))
            pipe.delete(self._box(chat_id))
            length, _ = await pipe.execute()
        return int(length)

    async def pending(self) -> int:
        """How many messages wait for Rasa (a metric)."""
        chats = await self.redis.zrange(BACKLOG, 0, -1)
        return sum([int(await self.redis.llen(self._box(int(chat)))) for chat in chats])
