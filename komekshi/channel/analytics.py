"""How the bot does with citizens' questions, kept in Redis for `make report` and `make review`.

Per turn the bridge records what was understood, in which language, and whether it ended in a
fallback or with a person; the questions the bot could not answer are kept, masked, for
editors to review (tools/editors/review.py). Only counts and masked texts are stored: no chat
ids, no names, no IIN, phone or card numbers.

Keys: `komekshi:analytics` (hash of counters: `turns:<lang>`, `understood:<lang>`,
`fallback:<lang>`, `handoff:<lang>`, `intent:<lang>:<intent>`) and `komekshi:unanswered`
(a capped stream of `text`, `language`, `intent`, `confidence`, `reason`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import redis
from redis.asyncio import Redis

from komekshi.core.keys import ANALYTICS, UNANSWERED
from komekshi.core.language import Lang
from komekshi.core.privacy import mask
from komekshi.core.vocabulary import FALLBACK, OUT_OF_SCOPE

COUNTERS = ANALYTICS
# Enough for months of review; older questions make way for new ones.
UNANSWERED_MAX = 50_000


@dataclass(frozen=True)
class Unanswered:
    """A citizen's question the bot could not answer, masked."""

    id: str
    text: str
    language: Lang
    intent: str
    confidence: float
    reason: str
    at: dt.datetime


async def record_turn(
    client: Redis,
    *,
    language: Lang,
    intent: str,
    confidence: float,
    text: str,
    handed_off: bool,
    unanswered: str | None,
) -> None:
    """Count one turn; keep `unanswered`, the question it left open (masked), if any.

    A turn is understood unless it fell back or was out of scope.
    """
    missed = intent in (FALLBACK, OUT_OF_SCOPE)
    async with client.pipeline(transaction=False) as pipe:
        pipe.hincrby(COUNTERS, f"turns:{language}", 1)
        pipe.hincrby(COUNTERS, f"{'fallback' if missed else 'understood'}:{language}", 1)
        pipe.hincrby(COUNTERS, f"intent:{language}:{intent or FALLBACK}", 1)
        if handed_off:
            pipe.hincrby(COUNTERS, f"handoff:{language}", 1)
        if unanswered:
            reason = "handoff" if handed_off and not missed else intent
            pipe.xadd(
                UNANSWERED,
                {
                    "text": mask(unanswered)[:1000],
                    "language": language,
                    "intent": intent,
                    "confidence": f"{confidence:.4f}",
                    "reason": reason,
                },
                maxlen=UNANSWERED_MAX,
                approximate=True,
            )
        await pipe.execute()


def counters(client: redis.Redis) -> dict[str, int]:
    """Every counter, for the report."""
    raw: dict[bytes, bytes] = client.hgetall(COUNTERS)  # type: ignore[assignment]
    return {key.decode(): int(value) for key, value in raw.items()}


def unanswered(client: redis.Redis, after: str = "-") -> list[Unanswered]:
    """The kept questions, oldest first, after the stream id `after` (exclusive)."""
    start = "-" if after == "-" else f"({after}"
    entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(UNANSWERED, start, "+")  # type: ignore[assignment]
    return [_unanswered(entry_id.decode(), fields) for entry_id, fields in entries]


def _unanswered(entry_id: str, fields: dict[bytes, bytes]) -> Unanswered:
    text: dict[str, Any] = {key.decode(): value.decode() for key, value in fields.items()}
    millis = int(entry_id.split("-")[0])
    return Unanswered(
        id=entry_id,
        text=text["text"],
        language=text["language"],
        intent=text["intent"],
        confidence=float(text["confidence"]),
        reason=text["reason"],
        at=dt.datetime.fromtimestamp(millis / 1000, dt.UTC),
    )
