"""The bot's Redis for the editors' tools (`make review`, `make report`), running or stopped.

The runtime never starts a Redis of its own; only these tools do, when the bot is stopped and
its data is on disk, so this lives beside them rather than in komekshi/channel/analytics.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import redis

from komekshi.core import settings
from tools.dev.stack import redis_server

# Where `make run`'s embedded Redis keeps its data (tools/dev/stack.py).
DATA_DIR = settings.ROOT / ".run" / "redis"


@contextlib.contextmanager
def stored(config: settings.Settings, nothing_yet: str) -> Iterator[redis.Redis]:
    """The bot's Redis: REDIS_URL, the embedded one `make run` runs, or, when the bot is
    stopped, its saved data (.run/redis) served by a Redis of our own for as long as the tool
    needs it.

    Without any of them the tool stops with `nothing_yet`.
    """
    client = redis.Redis.from_url(config.resolved_redis_url)
    try:
        client.ping()
        yield client
        return
    except redis.ConnectionError:
        if config.redis_url:
            raise
    finally:
        client.close()
    if not DATA_DIR.exists():
        raise SystemExit(nothing_yet)
    with redis_server(DATA_DIR, "--appendonly", "yes") as port:
        client = redis.Redis(port=port)
        try:
            yield client
        finally:
            client.close()
