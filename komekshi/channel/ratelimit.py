"""A per-citizen rate limit, a sliding window in Redis shared by every bridge.

A citizen may send at most RATE_LIMIT_MESSAGES messages (20) in any RATE_LIMIT_SECONDS (60).
Past that, the first message gets one polite answer saying how long to wait, and the rest are
dropped without reaching Rasa or an operator, until the oldest message of the window leaves it
and a place frees up. Dropped messages do not count, so a citizen who waits is answered again.
Operators are not limited. RATE_LIMIT_MESSAGES=0 turns the limit off.

Redis keys: `komekshi:rate:<chat id>` (sorted set of the admitted messages, by time in
milliseconds, expiring with the window) and `komekshi:rate:<chat id>:told` (set while the
citizen has been told, until a place frees up). One Lua script decides, with Redis's clock,
so that bridges on several machines count alike and never race.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis

from komekshi.core.keys import RATE

# Returns -1: admitted; 0: over the limit, already told; n > 0: over the limit, tell the
# citizen now that a place frees up in n milliseconds.
_SLIDING_WINDOW = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return -1
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
local wait = math.max(1, oldest + window - now)
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', wait) then
  return wait
end
return 0
"""


@dataclass(frozen=True)
class Verdict:
    """What to do with a citizen's message."""

    admitted: bool
    # Over the limit for the first time in this window: tell the citizen to wait this long.
    tell_seconds: int | None = None


ADMITTED = Verdict(admitted=True)


class RateLimiter:
    """Counts each citizen's messages in a sliding window."""

    def __init__(self, redis: Redis, messages: int, seconds: float) -> None:
        self.redis = redis
        self.messages = messages
        self.window_ms = max(1, int(seconds * 1000))
        self._script = redis.register_script(_SLIDING_WINDOW)

    @property
    def enabled(self) -> bool:
        return self.messages > 0

    async def check(self, chat_id: int) -> Verdict:
        """Admit a citizen's message (and count it), or say how to turn it down."""
        if not self.enabled:
            return ADMITTED
        key = f"{RATE}:{chat_id}"
        result = int(
            await self._script(
                keys=[key, f"{key}:told"],
                args=[self.window_ms, self.messages, uuid.uuid4().hex],
            )
        )
        if result < 0:
            return ADMITTED
        if result == 0:
            return Verdict(admitted=False)
        return Verdict(admitted=False, tell_seconds=math.ceil(result / 1000))
