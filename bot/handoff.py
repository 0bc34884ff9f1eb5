"""Handoff state in Redis: which citizens talk to a person, and through which case.

The bridge can restart at any moment; everything it must remember about a conversation
that went to a person lives here, in Redis, under `komekshi:` keys:

- `komekshi:case:<id>` (hash): chat id, language, reason, status, card message id, times;
- `komekshi:active:<chat id>`: the open case of a citizen, if any;
- `komekshi:card:<message id>`: the case a card in the operators' chat belongs to;
- `komekshi:transcript:<chat id>` (list): the citizen's last messages, masked;
- `komekshi:language:<chat id>`: the language the citizen was last answered in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.language import Lang
from bot.privacy import mask

PREFIX = "komekshi"
TRANSCRIPT_LENGTH = 10


@dataclass(frozen=True)
class Case:
    id: int
    chat_id: int
    language: Lang
    reason: str
    status: str
    card_message_id: int | None


class HandoffStore:
    """Cases and conversation facts the bridge keeps in Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def open_case(self, chat_id: int, language: Lang, reason: str) -> Case:
        """Open a case for a citizen, or return the one already open."""
        existing = await self.active_case(chat_id)
        if existing:
            return existing
        case_id = int(await self.redis.incr(f"{PREFIX}:case_seq"))
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                f"{PREFIX}:case:{case_id}",
                mapping={
                    "chat_id": chat_id,
                    "language": language,
                    "reason": reason,
                    "status": "waiting",
                    "opened_at": now,
                },
            )
            pipe.set(f"{PREFIX}:active:{chat_id}", case_id)
            await pipe.execute()
        return Case(case_id, chat_id, language, reason, "waiting", None)

    async def case(self, case_id: int) -> Case | None:
        data = await self.redis.hgetall(f"{PREFIX}:case:{case_id}")
        if not data:
            return None
        card = data.get(b"card_message_id")
        return Case(
            id=case_id,
            chat_id=int(data[b"chat_id"]),
            language=data[b"language"].decode(),  # type: ignore[arg-type]
            reason=data[b"reason"].decode(),
            status=data[b"status"].decode(),
            card_message_id=int(card) if card else None,
        )

    async def active_case(self, chat_id: int) -> Case | None:
        case_id = await self.redis.get(f"{PREFIX}:active:{chat_id}")
        return await self.case(int(case_id)) if case_id else None

    async def attach_card(self, case_id: int, message_id: int) -> None:
        """Remember the card posted for a case, so operators' replies to it find the case."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(f"{PREFIX}:case:{case_id}", "card_message_id", message_id)
            pipe.set(f"{PREFIX}:card:{message_id}", case_id)
            await pipe.execute()

    async def case_for_card(self, message_id: int) -> Case | None:
        case_id = await self.redis.get(f"{PREFIX}:card:{message_id}")
        return await self.case(int(case_id)) if case_id else None

    async def close(self, case: Case, operator_id: int) -> None:
        """Close a case and give the citizen back to the bot."""
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                f"{PREFIX}:case:{case.id}",
                mapping={"status": "closed", "closed_at": now, "closed_by": operator_id},
            )
            pipe.delete(f"{PREFIX}:active:{case.chat_id}")
            await pipe.execute()

    async def remember(self, chat_id: int, who: str, text: str) -> None:
        """Keep a masked line of the conversation for the operators' case card."""
        key = f"{PREFIX}:transcript:{chat_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, f"{who}: {mask(text)}")
            pipe.ltrim(key, -TRANSCRIPT_LENGTH, -1)
            await pipe.execute()

    async def transcript(self, chat_id: int) -> list[str]:
        lines = await self.redis.lrange(f"{PREFIX}:transcript:{chat_id}", 0, -1)
        return [line.decode() for line in lines]

    async def set_language(self, chat_id: int, language: Lang) -> None:
        await self.redis.set(f"{PREFIX}:language:{chat_id}", language)

    async def language(self, chat_id: int) -> Lang | None:
        value = await self.redis.get(f"{PREFIX}:language:{chat_id}")
        return value.decode() if value else None  # type: ignore[return-value]
