"""The per-citizen rate limit: a sliding window in a real Redis."""

from __future__ import annotations

import asyncio
import uuid

from redis.asyncio import Redis

from komekshi.channel.ratelimit import RateLimiter


def _chat() -> int:
    return uuid.uuid4().int % 10**9


async def test_over_the_limit_a_citizen_is_told_once_then_dropped(redis_url: str) -> None:
    limiter = RateLimiter(Redis.from_url(redis_url), messages=3, seconds=1.0)
    chat, other = _chat(), _chat()
    verdicts = [await limiter.check(chat) for _ in range(6)]
    assert [v.admitted for v in verdicts] == [True, True, True, False, False, False]
    assert verdicts[3].tell_seconds == 1
    assert [v.tell_seconds for v in verdicts[4:]] == [None, None]
    # Another citizen has a window of their own.
    assert (await limiter.check(other)).admitted

    # Dropped messages do not count: once the window slides on, the citizen is heard again,
    # and told again when over the limit once more.
    await asyncio.sleep(1.1)
    verdicts = [await limiter.check(chat) for _ in range(4)]
    assert [v.admitted for v in verdicts] == [True, True, True, False]
    assert verdicts[3].tell_seconds == 1


async def test_the_window_slides_rather_than_resets(redis_url: str) -> None:
    limiter = RateLimiter(Redis.from_url(redis_url), messages=2, seconds=1.0)
    chat = _chat()
    assert (await limiter.check(chat)).admitted
    await asyncio.sleep(0.6)
    assert (await limiter.check(chat)).admitted
    assert not (await limiter.check(chat)).admitted
    # The first message left the window; the second is still in it.
    await asyncio.sleep(0.5)
    assert (await limiter.check(chat)).admitted
    assert not (await limiter.check(chat)).admitted


async def test_zero_messages_turns_the_limit_off(redis_url: str) -> None:
    limiter = RateLimiter(Redis.from_url(redis_url), messages=0, seconds=60)
    chat = _chat()
    assert all([(await limiter.check(chat)).admitted for _ in range(50)])
    assert not await Redis.from_url(redis_url).exists(f"komekshi:rate:{chat}")
