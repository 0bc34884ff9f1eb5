"""The conversation lock of several Rasa servers sharing one Redis (rasa_server/lock_store.py)."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from urllib.parse import urlparse

import redis
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from komekshi.rasa_server.lock_store import AtomicRedisLockStore

MESSAGES = 20


def _store(redis_url: str) -> AtomicRedisLockStore:
    url = urlparse(redis_url)
    config = EndpointConfig(
        url=url.hostname,
        type="komekshi.rasa_server.lock_store.AtomicRedisLockStore",
        port=url.port,
        db=(url.path or "/0").lstrip("/") or "0",
        key_prefix="test",
    )
    return AtomicRedisLockStore(endpoint_config=config)


def _server(redis_url: str, conversation: str, name: str) -> None:
    """One 'Rasa server': MESSAGES messages of one conversation at once, each recording in
    Redis when it holds the lock and whether someone else held it at the same time."""
    store = _store(redis_url)
    client = redis.Redis.from_url(redis_url)

    async def message(number: int) -> None:
        try:
            async with store.lock(conversation):
                inside = client.incr(f"{conversation}:inside")
                client.rpush(f"{conversation}:served", f"{name}-{number}:{inside}")
                await asyncio.sleep(0.002)
                client.decr(f"{conversation}:inside")
        except LockError:
            client.rpush(f"{conversation}:served", f"{name}-{number}:error")

    async def burst() -> None:
        await asyncio.gather(*(message(n) for n in range(MESSAGES)))

    asyncio.run(burst())


def test_two_servers_serve_one_conversation_one_message_at_a_time(redis_url: str) -> None:
    conversation = f"conv-{uuid.uuid4().hex}"
    context = multiprocessing.get_context("spawn")
    servers = [
        context.Process(target=_server, args=(redis_url, conversation, name)) for name in ("a", "b")
    ]
    for server in servers:
        server.start()
    for server in servers:
        server.join(120)
        assert server.exitcode == 0
    served = [
        entry.decode()
        for entry in redis.Redis.from_url(redis_url).lrange(f"{conversation}:served", 0, -1)
    ]
    assert len(served) == 2 * MESSAGES
    assert len({entry.split(":")[0] for entry in served}) == 2 * MESSAGES
    # Every message got the lock, and nobody else held it meanwhile.
    assert all(entry.endswith(":1") for entry in served), served


async def test_messages_are_served_in_the_order_they_took_tickets(redis_url: str) -> None:
    store = _store(redis_url)
    conversation = f"conv-{uuid.uuid4().hex}"
    order: list[int] = []

    async def message(number: int) -> None:
        async with store.lock(conversation):
            order.append(number)
            await asyncio.sleep(0.001)

    tasks = []
    for number in range(10):
        # Each task takes its ticket as soon as it starts, in this order.
        tasks.append(asyncio.create_task(message(number)))
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert order == list(range(10))
    assert store.get_lock(conversation) is None


def test_an_expired_ticket_leaves_the_queue(redis_url: str) -> None:
    store = _store(redis_url)
    conversation = f"conv-{uuid.uuid4().hex}"
    stale = store.issue_ticket(conversation, lock_lifetime=0.05)
    fresh = store.issue_ticket(conversation)
    time.sleep(0.1)
    store.update_lock(conversation)
    lock = store.get_lock(conversation)
    assert lock is not None
    assert lock.now_serving == fresh != stale
    store.cleanup(conversation, fresh)
    assert store.get_lock(conversation) is None


def test_rasa_creates_it_from_the_endpoint_configuration(redis_url: str) -> None:
    url = urlparse(redis_url)
    config = EndpointConfig.from_dict(
        {
            "type": "komekshi.rasa_server.lock_store.AtomicRedisLockStore",
            "url": url.hostname,
            "port": url.port,
            "db": 0,
            "key_prefix": "komekshi",
        }
    )
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    assert store.key_prefix == "komekshi:lock:"
