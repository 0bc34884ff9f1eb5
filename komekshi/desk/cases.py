"""Handoff state in Redis: cases, the queue, claims, ratings and what they measure.

The bridge can restart at any moment, and so can Redis (it persists with appendonly); all
it must remember about conversations that went to a person lives here, under `komekshi:`
(komekshi/core/keys.py names every key):

- `case:<id>` (hash): the case (see `Case`), `case_seq` its counter;
- `active:<chat id>`: the case a citizen talks to a person through, until it is closed;
- `queue` (sorted set, by time queued): cases waiting for an operator; `deferred` (by time
  opened): cases opened after hours, queued at opening; `claimed` (set): cases being handled;
- `message:<message id>`, `topic:<thread id>`: the case a message or forum topic in the
  operators' chat belongs to, so an operator's reply finds it;
- `left:<case id>` (list): what a citizen left after hours, relayed at opening;
- `transcript:<chat id>` (list): the last lines of a conversation, masked;
- `language:<chat id>`, `turn:<chat id>`, `misses:<chat id>`: the citizen's language, what
  the last turn understood, and how many turns in a row were not understood;
- `chosen_language:<chat id>`: the language the citizen asked to be answered in;
- `resume` (set): chats whose Rasa conversation must be resumed after their case closed;
- `operators` (hash): operators' first names, for cards and transfers;
- `metrics` (hash), `recent_claims` (list): what komekshi/desk/metrics.py exports.

Every change of a case's status is one Lua script, so two operators pressing «claim» at the
same moment cannot both win (the claim lock), and a crash never leaves half a change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from komekshi.core import clock
from komekshi.core.keys import CLAIMED, DEFERRED, METRICS, PREFIX, QUEUE
from komekshi.core.keys import key as redis_key
from komekshi.core.language import Lang
from komekshi.core.privacy import mask

TRANSCRIPT_LENGTH = 10
# How many recent claims the queue's waiting estimate averages.
RECENT_CLAIMS = 20
# Upper bounds (seconds) of the time-to-claim and handling-time histograms.
SECONDS_BUCKETS = (30, 60, 120, 300, 600, 1800, 3600, 14400, 86400)
RATINGS = (1, 2, 3, 4, 5)
# How long a message or topic in the operators' chat still leads to its case: long after it
# is closed an operator's reply is only told so, and the links need not be kept forever.
LINK_SECONDS = 90 * 24 * 3600


class Status(StrEnum):
    DEFERRED = "deferred"  # opened after hours; queued at opening
    WAITING = "waiting"  # in the queue
    CLAIMED = "claimed"  # an operator handles it
    CLOSED = "closed"


class Resolution(StrEnum):
    """How a case ended: chosen by the operator who closes it, or the citizen's cancel."""

    RESOLVED = "resolved"
    REDIRECTED = "redirected"
    UNRESOLVED = "unresolved"
    NO_REPLY = "no_reply"
    CANCELLED = "cancelled"


OPERATOR_RESOLUTIONS = (
    Resolution.RESOLVED,
    Resolution.REDIRECTED,
    Resolution.UNRESOLVED,
    Resolution.NO_REPLY,
)


@dataclass(frozen=True)
class Case:
    id: int
    chat_id: int
    language: Lang
    reason: str
    status: Status
    first_name: str
    intent: str
    confidence: float
    opened_at: float
    queued_at: float | None
    first_claimed_at: float | None
    operator_id: int | None
    card_message_id: int | None
    topic_id: int | None
    card_transcript: str
    resolution: str
    rating: int | None

    @property
    def active(self) -> bool:
        return self.status != Status.CLOSED


@dataclass(frozen=True)
class Turn:
    """What Rasa understood in a citizen's turn: the intent and how sure it was."""

    intent: str
    confidence: float


def _int(value: bytes | None) -> int | None:
    return int(value) if value else None


def _float(value: bytes | None) -> float | None:
    return float(value) if value else None


def _case(case_id: int, data: dict[bytes, bytes]) -> Case:
    text = {key.decode(): value.decode() for key, value in data.items()}
    return Case(
        id=case_id,
        chat_id=int(text["chat_id"]),
        language=text["language"],  # type: ignore[arg-type]
        reason=text["reason"],
        status=Status(text["status"]),
        first_name=text.get("first_name", ""),
        intent=text.get("intent", ""),
        confidence=float(text.get("confidence") or 0),
        opened_at=float(text["opened_at"]),
        queued_at=_float(data.get(b"queued_at")),
        first_claimed_at=_float(data.get(b"first_claimed_at")),
        operator_id=_int(data.get(b"operator_id")),
        card_message_id=_int(data.get(b"card_message_id")),
        topic_id=_int(data.get(b"topic_id")),
        card_transcript=text.get("card_transcript", ""),
        resolution=text.get("resolution", ""),
        rating=_int(data.get(b"rating")),
    )


# KEYS: active, case_seq, queue or deferred. ARGV: prefix, score, reason, field/value pairs.
_OPEN = """
local existing = redis.call('GET', KEYS[1])
if existing then return {tonumber(existing), 0} end
local id = redis.call('INCR', KEYS[2])
redis.call('HSET', ARGV[1] .. ':case:' .. id, unpack(ARGV, 4))
redis.call('SET', KEYS[1], id)
redis.call('ZADD', KEYS[3], ARGV[2], id)
redis.call('HINCRBY', ARGV[1] .. ':metrics', 'opened:' .. ARGV[3], 1)
return {id, 1}
"""
# KEYS: case, deferred, queue. ARGV: id, now.
_QUEUE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'deferred' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'waiting', 'queued_at', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1
"""
# KEYS: case, queue, claimed. ARGV: id, operator, now. -> {won, holder, first claim}
_CLAIM = """
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'waiting' then
  return {0, redis.call('HGET', KEYS[1], 'operator_id') or '', 0}
end
redis.call('HSET', KEYS[1], 'status', 'claimed', 'operator_id', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return {1, ARGV[2], redis.call('HSETNX', KEYS[1], 'first_claimed_at', ARGV[3])}
"""
# KEYS: case, queue, claimed. ARGV: id, operator. Back to the queue, at its old place.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'claimed'
  or redis.call('HGET', KEYS[1], 'operator_id') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'waiting')
redis.call('HDEL', KEYS[1], 'operator_id')
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'queued_at'), ARGV[1])
return 1
"""
# KEYS: case. ARGV: from operator, to operator.
_TRANSFER = """
if redis.call('HGET', KEYS[1], 'status') ~= 'claimed'
  or redis.call('HGET', KEYS[1], 'operator_id') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'operator_id', ARGV[2])
return 1
"""
# KEYS: case, active, queue, deferred, claimed, resume. ARGV: id, resolution, now, closed by.
_CLOSE = """
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'closed' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'closed', 'resolution', ARGV[2], 'closed_at', ARGV[3],
  'closed_by', ARGV[4])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('SREM', KEYS[5], ARGV[1])
redis.call('SADD', KEYS[6], redis.call('HGET', KEYS[1], 'chat_id'))
return 1
"""
# KEYS: case. ARGV: chat, rating. Once, by the case's citizen, after an operator closed it.
_RATE = """
if redis.call('HGET', KEYS[1], 'status') ~= 'closed'
  or redis.call('HGET', KEYS[1], 'chat_id') ~= ARGV[1]
  or redis.call('HGET', KEYS[1], 'resolution') == 'cancelled' then return 0 end
return redis.call('HSETNX', KEYS[1], 'rating', ARGV[2])
"""


class HandoffStore:
    """Cases and conversation facts the bridge keeps in Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._open = redis.register_script(_OPEN)
        self._queue = redis.register_script(_QUEUE)
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)
        self._transfer = redis.register_script(_TRANSFER)
        self._close = redis.register_script(_CLOSE)
        self._rate = redis.register_script(_RATE)

    # Cases

    async def open_case(
        self,
        chat_id: int,
        *,
        language: Lang,
        reason: str,
        first_name: str = "",
        intent: str = "",
        confidence: float = 0.0,
        deferred: bool = False,
    ) -> tuple[Case, bool]:
        """Open a case, queued (or deferred after hours); the open one if there is one.

        Returns the case and whether it is new.
        """
        now = clock.timestamp()
        fields: dict[str, Any] = {
            "chat_id": chat_id,
            "language": language,
            "reason": reason,
            "status": Status.DEFERRED if deferred else Status.WAITING,
            "first_name": first_name,
            "intent": intent,
            "confidence": confidence,
            "opened_at": now,
        }
        if not deferred:
            fields["queued_at"] = now
        pairs = [str(item) for pair in fields.items() for item in pair]
        case_id, created = await self._open(
            keys=[
                redis_key("active", chat_id),
                redis_key("case_seq"),
                DEFERRED if deferred else QUEUE,
            ],
            args=[PREFIX, now, reason, *pairs],
        )
        case = await self.case(int(case_id))
        assert case is not None
        return case, bool(created)

    async def case(self, case_id: int) -> Case | None:
        data = await self.redis.hgetall(redis_key("case", case_id))
        return _case(case_id, data) if data else None

    async def active_case(self, chat_id: int) -> Case | None:
        case_id = await self.redis.get(redis_key("active", chat_id))
        return await self.case(int(case_id)) if case_id else None

    async def deferred_cases(self) -> list[Case]:
        """Cases opened after hours, oldest first."""
        ids = await self.redis.zrange(DEFERRED, 0, -1)
        cases = [await self.case(int(case_id)) for case_id in ids]
        return [case for case in cases if case]

    async def queue(self, case_id: int) -> bool:
        """Put a deferred case in the queue (at opening); False if it is not deferred."""
        keys = [redis_key("case", case_id), DEFERRED, QUEUE]
        return bool(await self._queue(keys=keys, args=[case_id, clock.timestamp()]))

    async def place(self, case_id: int) -> int | None:
        """The case's place in the queue, from 1; None when it is not waiting."""
        rank = await self.redis.zrank(QUEUE, case_id)
        return None if rank is None else int(rank) + 1

    async def expected_wait_minutes(self, place: int, default_minutes: int) -> int:
        """A rough wait for a place in the queue: the average time to claim, per place."""
        recent = [float(s) for s in await self.redis.lrange(redis_key("recent_claims"), 0, -1)]
        per_place = sum(recent) / len(recent) / 60 if recent else default_minutes
        return max(1, math.ceil(per_place * place))

    async def claim(self, case_id: int, operator_id: int) -> tuple[bool, int | None]:
        """Take a waiting case; only one operator can hold it. Returns (won, holder)."""
        now = clock.timestamp()
        keys = [redis_key("case", case_id), QUEUE, CLAIMED]
        won, holder, first = await self._claim(keys=keys, args=[case_id, operator_id, now])
        if first:
            case = await self.case(case_id)
            if case and case.queued_at:
                waited = now - case.queued_at
                async with self.redis.pipeline(transaction=True) as pipe:
                    self._observe(pipe, "claim_seconds", waited, SECONDS_BUCKETS)
                    pipe.lpush(redis_key("recent_claims"), waited)
                    pipe.ltrim(redis_key("recent_claims"), 0, RECENT_CLAIMS - 1)
                    await pipe.execute()
        return bool(won), _int(holder)

    async def release(self, case_id: int, operator_id: int) -> bool:
        """Give a case back to the queue, at the place it had."""
        keys = [redis_key("case", case_id), QUEUE, CLAIMED]
        return bool(await self._release(keys=keys, args=[case_id, operator_id]))

    async def transfer(self, case_id: int, from_operator: int, to_operator: int) -> bool:
        """Hand a claimed case to a colleague; only its holder can."""
        keys = [redis_key("case", case_id)]
        return bool(await self._transfer(keys=keys, args=[from_operator, to_operator]))

    async def close(self, case: Case, resolution: Resolution, closed_by: int) -> bool:
        """Close a case and give the citizen back to the bot; False if already closed.

        `closed_by` is the operator, or the citizen's chat when they cancel.
        """
        now = clock.timestamp()
        keys = [
            redis_key("case", case.id), redis_key("active", case.chat_id), QUEUE,
            DEFERRED, CLAIMED, redis_key("resume"),
        ]  # fmt: skip
        if not await self._close(keys=keys, args=[case.id, resolution, now, closed_by]):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(METRICS, f"closed:{resolution}", 1)
            if case.first_claimed_at:
                self._observe(
                    pipe, "handling_seconds", now - case.first_claimed_at, SECONDS_BUCKETS
                )
            await pipe.execute()
        return True

    async def rate(self, case_id: int, chat_id: int, rating: int) -> bool:
        """The citizen's 1–5 rating of a closed case; once only."""
        if rating not in RATINGS or not await self._rate(
            keys=[redis_key("case", case_id)], args=[chat_id, rating]
        ):
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            self._observe(pipe, "rating", rating, RATINGS)
            await pipe.execute()
        return True

    @staticmethod
    def _observe(pipe: Any, name: str, value: float, buckets: tuple[int, ...]) -> None:
        """Add an observation to a histogram kept in the `metrics` hash."""
        bucket = next((str(b) for b in buckets if value <= b), "+Inf")
        pipe.hincrby(METRICS, f"{name}:le:{bucket}", 1)
        pipe.hincrbyfloat(METRICS, f"{name}:sum", value)
        pipe.hincrby(METRICS, f"{name}:count", 1)

    # Where a case shows in the operators' chat

    async def link_message(self, case_id: int, message_id: int, *, card: bool = False) -> None:
        """Remember that a message in the operators' chat belongs to a case."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(redis_key("message", message_id), case_id, ex=LINK_SECONDS)
            if card:
                pipe.hset(redis_key("case", case_id), "card_message_id", message_id)
            await pipe.execute()

    async def link_topic(self, case_id: int, thread_id: int) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(redis_key("topic", thread_id), case_id, ex=LINK_SECONDS)
            pipe.hset(redis_key("case", case_id), "topic_id", thread_id)
            await pipe.execute()

    async def case_for_message(self, message_id: int) -> Case | None:
        case_id = await self.redis.get(redis_key("message", message_id))
        return await self.case(int(case_id)) if case_id else None

    async def case_for_topic(self, thread_id: int) -> Case | None:
        case_id = await self.redis.get(redis_key("topic", thread_id))
        return await self.case(int(case_id)) if case_id else None

    async def freeze_transcript(self, case_id: int, transcript: str) -> None:
        """The conversation as the card shows it, kept as it was when the card was posted."""
        await self.redis.hset(redis_key("case", case_id), "card_transcript", transcript)

    # What a citizen leaves after hours

    async def leave(self, case_id: int, item: dict[str, Any]) -> bool:
        """Keep a message for opening time; True for the first one left."""
        return int(await self.redis.rpush(redis_key("left", case_id), json.dumps(item))) == 1

    async def take_left(self, case_id: int) -> list[dict[str, Any]]:
        key = redis_key("left", case_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrange(key, 0, -1)
            pipe.delete(key)
            items, _ = await pipe.execute()
        return [json.loads(item) for item in items]

    # The conversation

    async def remember(self, chat_id: int, who: str, text: str) -> None:
        """Keep a masked line of the conversation for the operators' case card."""
        key = redis_key("transcript", chat_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, f"{who}: {mask(text)}")
            pipe.ltrim(key, -TRANSCRIPT_LENGTH, -1)
            await pipe.execute()

    async def transcript(self, chat_id: int) -> list[str]:
        lines = await self.redis.lrange(redis_key("transcript", chat_id), 0, -1)
        return [line.decode() for line in lines]

    async def set_language(self, chat_id: int, language: Lang) -> None:
        await self.redis.set(redis_key("language", chat_id), language)

    async def language(self, chat_id: int) -> Lang | None:
        value = await self.redis.get(redis_key("language", chat_id))
        return value.decode() if value else None  # type: ignore[return-value]

    async def choose_language(self, chat_id: int, language: Lang) -> None:
        """The language the citizen asked for: it stays until they choose again."""
        await self.redis.set(redis_key("chosen_language", chat_id), language)

    async def chosen_language(self, chat_id: int) -> Lang | None:
        value = await self.redis.get(redis_key("chosen_language", chat_id))
        return value.decode() if value else None  # type: ignore[return-value]

    async def last_turn(self, chat_id: int) -> Turn | None:
        value = await self.redis.get(redis_key("turn", chat_id))
        return Turn(**json.loads(value)) if value else None

    async def set_turn(self, chat_id: int, turn: Turn, *, missed: bool) -> int:
        """Remember the turn; returns how many turns in a row were not understood."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(redis_key("turn", chat_id), json.dumps(turn.__dict__))
            if missed:
                pipe.incr(redis_key("misses", chat_id))
            else:
                pipe.delete(redis_key("misses", chat_id))
            _, misses = await pipe.execute()
        return int(misses) if missed else 0

    async def needs_resume(self, chat_id: int) -> bool:
        return bool(await self.redis.sismember(redis_key("resume"), chat_id))

    async def resumed(self, chat_id: int) -> None:
        await self.redis.srem(redis_key("resume"), chat_id)

    # Operators

    async def name_operator(self, operator_id: int, first_name: str) -> None:
        await self.redis.hset(redis_key("operators"), operator_id, first_name)

    async def operator_names(self) -> dict[int, str]:
        names = await self.redis.hgetall(redis_key("operators"))
        return {int(key): value.decode() for key, value in names.items()}
