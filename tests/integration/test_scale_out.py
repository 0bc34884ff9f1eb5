"""Two Rasa servers and two action servers sharing one Redis, behind one entry point.

The trained model runs in two Rasa servers whose tracker store and lock store are the same
Redis (endpoints.yml), each calling the action servers through a round-robin balancer;
another balancer is the entry point (bench/balancer.py). Citizens' messages come in bursts:
every message of a conversation is sent while the earlier ones still wait their turn,
through the entry point and straight to either server. Every message must be handled
exactly once, one at a time, in the order it entered the conversation's queue, whichever
server took it; and both servers must see the same conversation.

A message is sent once the messages before it hold their ticket in the conversation's lock
(watched in Redis): from then on its place in the queue is fixed, so "the order sent" is
well defined even across servers, while the burst still waits on the lock.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from bench.balancer import BackgroundBalancer
from bench.messages import HANDOFF_KINDS, Messages, questions
from tests.conftest import MODEL
from tools.dev.stack import Stack, free_port

CONVERSATIONS = 8
MESSAGES = 6
LOCK_KEY = "komekshi:lock:{}"  # endpoints.yml: key_prefix komekshi, Rasa adds lock:
QUEUE_TIMEOUT = 120.0


@dataclass
class ScaledOut:
    entry: BackgroundBalancer
    actions: BackgroundBalancer
    rasa: list[Stack]
    token: str
    redis_url: str

    @property
    def rasa_urls(self) -> list[str]:
        return [stack.config.rasa_url for stack in self.rasa]


@pytest.fixture(scope="module")
def scaled(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaledOut]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test does it first)")
    token = secrets.token_urlsafe(24)
    # Two servers of one worker each: the servers, not Rasa's workers, are what is tested.
    base = {**os.environ, "REDIS_URL": redis_url, "RASA_TOKEN": token, "SANIC_WORKERS": "1"}
    action_urls = [f"http://localhost:{free_port()}/webhook" for _ in range(2)]
    actions = [
        Stack(
            {**base, "ACTION_SERVER_URL": url},
            MODEL,
            Path(tmp_path_factory.mktemp(f"actions{n}")),
            parts=("actions",),
        )
        for n, url in enumerate(action_urls)
    ]
    with BackgroundBalancer([url.removesuffix("/webhook") for url in action_urls]) as pool:
        rasa = [
            Stack(
                {
                    **base,
                    "RASA_URL": f"http://localhost:{free_port()}",
                    "ACTION_SERVER_URL": f"{pool.url}/webhook",
                },
                MODEL,
                Path(tmp_path_factory.mktemp(f"rasa{n}")),
                parts=("rasa",),
            )
            for n in range(2)
        ]
        stacks = [*actions, *rasa]
        try:
            # Loading two models takes a while: all four processes start at once.
            with ThreadPoolExecutor(len(stacks)) as starting:
                list(starting.map(Stack.start, stacks))
            with BackgroundBalancer([s.config.rasa_url for s in rasa]) as entry:
                yield ScaledOut(entry, pool, rasa, token, redis_url)
        finally:
            for stack in stacks:
                stack.stop()


@dataclass
class Conversation:
    sender: str
    texts: list[str]
    replies: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    backends: dict[int, str] = field(default_factory=dict)
    deepest_queue: int = 0


async def _send(
    client: httpx.AsyncClient, url: str, conversation: Conversation, number: int
) -> None:
    text = conversation.texts[number]
    response = await client.post(
        f"{url}/webhooks/rest/webhook", json={"sender": conversation.sender, "message": text}
    )
    response.raise_for_status()
    conversation.replies[number] = response.json()
    conversation.backends[number] = f"{url} ({response.headers.get('X-Backend', 'direct')})"


async def _queued(redis: Redis, conversation: Conversation, in_flight: set[Any]) -> None:
    """Until every message sent and not yet answered holds a ticket in the lock."""
    deadline = time.monotonic() + QUEUE_TIMEOUT
    while True:
        raw = await redis.get(LOCK_KEY.format(conversation.sender))
        tickets = len(json.loads(raw)["tickets"]) if raw else 0
        conversation.deepest_queue = max(conversation.deepest_queue, tickets)
        if tickets >= len(in_flight):
            return
        assert time.monotonic() < deadline, f"{conversation.sender}: a message never queued"
        await asyncio.sleep(0.005)


async def _converse(
    client: httpx.AsyncClient, redis: Redis, targets: list[str], conversation: Conversation
) -> None:
    in_flight: set[asyncio.Task[None]] = set()
    sent = []
    for number in range(len(conversation.texts)):
        task = asyncio.create_task(
            _send(client, targets[number % len(targets)], conversation, number)
        )
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        sent.append(task)
        await _queued(redis, conversation, in_flight)
    await asyncio.gather(*sent)


async def _bursts(scaled: ScaledOut, conversations: list[Conversation]) -> None:
    redis = Redis.from_url(scaled.redis_url)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=0)
    try:
        async with httpx.AsyncClient(timeout=120, limits=limits) as client:
            await asyncio.gather(
                *(
                    # Each conversation starts at another of the three doors.
                    _converse(client, redis, _rotate(targets(scaled), n), conversation)
                    for n, conversation in enumerate(conversations)
                )
            )
    finally:
        await redis.close()


def targets(scaled: ScaledOut) -> list[str]:
    """The entry point and each server directly."""
    return [scaled.entry.url, *scaled.rasa_urls]


def _rotate(items: list[str], by: int) -> list[str]:
    return items[by % len(items) :] + items[: by % len(items)]


def _tracker(url: str, sender: str, token: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{url}/conversations/{sender}/tracker", params={"token": token}, timeout=60
    )
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()["events"]
    return [e for e in events if e["event"] in ("user", "bot")]


def _turns(events: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(user text, the bot's texts after it) for each user message, in tracker order."""
    turns: list[tuple[str, list[str]]] = []
    for event in events:
        if event["event"] == "user":
            turns.append((event["text"], []))
        elif turns:
            turns[-1][1].append(event.get("text") or "")
    return turns


def test_bursts_through_both_servers_are_handled_once_and_in_order(scaled: ScaledOut) -> None:
    pool = [q for q in questions() if q.kind not in HANDOFF_KINDS]
    messages = Messages(pool, seed=42)
    run = secrets.token_hex(3)
    conversations = [
        Conversation(f"scale-{run}-{n}", messages.take(MESSAGES)) for n in range(CONVERSATIONS)
    ]
    started = time.monotonic()
    asyncio.run(_bursts(scaled, conversations))
    took = time.monotonic() - started

    for conversation in conversations:
        trackers = [_tracker(url, conversation.sender, scaled.token) for url in scaled.rasa_urls]
        # Both servers read the same conversation from Redis.
        assert trackers[0] == trackers[1], conversation.sender
        turns = _turns(trackers[0])
        # Every message exactly once, none lost, in the order it was queued.
        assert [text for text, _ in turns] == conversation.texts, conversation.backends
        # One message at a time: each turn's events are that message's own answer, as its
        # sender received it, with nothing of another turn in between.
        for number, (_, bot_texts) in enumerate(turns):
            received = [r["text"] for r in conversation.replies[number] if r.get("text")]
            assert bot_texts == received, (conversation.sender, number)

    # The bursts really queued, and really spread over both servers and both action servers.
    assert max(c.deepest_queue for c in conversations) >= 3
    assert all(n > 0 for n in scaled.entry.served), scaled.entry.served
    assert all(n > 0 for n in scaled.actions.served), scaled.actions.served
    sent = CONVERSATIONS * MESSAGES
    print(
        f"\n{sent} messages in {took:.1f} s; entry point: {scaled.entry.served}, "
        f"action servers: {scaled.actions.served}, deepest queue: "
        f"{max(c.deepest_queue for c in conversations)}"
    )


async def _at_once(scaled: ScaledOut, conversations: list[Conversation]) -> list[int]:
    """Every message of every conversation sent at the same moment, alternately to each
    server (directly and through the entry point); returns the HTTP statuses."""
    doors = targets(scaled)
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    statuses: list[int] = []

    async def send(url: str, conversation: Conversation, number: int) -> None:
        try:
            await _send(client, url, conversation, number)
            statuses.append(200)
        except httpx.HTTPStatusError as error:
            statuses.append(error.response.status_code)

    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        await asyncio.gather(
            *(
                send(doors[(n + number) % len(doors)], conversation, number)
                for n, conversation in enumerate(conversations)
                for number in range(len(conversation.texts))
            )
        )
    return statuses


def test_messages_arriving_together_at_both_servers_are_each_handled_once(
    scaled: ScaledOut,
) -> None:
    """No order is defined among messages sent at the same instant; each must still be
    handled exactly once and on its own (the race Rasa's stock RedisLockStore loses)."""
    pool = [q for q in questions() if q.kind not in HANDOFF_KINDS]
    messages = Messages(pool, seed=7)
    run = secrets.token_hex(3)
    conversations = [Conversation(f"together-{run}-{n}", messages.take(4)) for n in range(10)]
    statuses = asyncio.run(_at_once(scaled, conversations))
    assert statuses == [200] * len(statuses)
    for conversation in conversations:
        trackers = [_tracker(url, conversation.sender, scaled.token) for url in scaled.rasa_urls]
        assert trackers[0] == trackers[1], conversation.sender
        turns = _turns(trackers[0])
        assert sorted(text for text, _ in turns) == sorted(conversation.texts)
        by_text = {text: number for number, text in enumerate(conversation.texts)}
        for text, bot_texts in turns:
            received = conversation.replies[by_text[text]]
            assert bot_texts == [r["text"] for r in received if r.get("text")], conversation.sender
