"""Citizens played against a running stack, through either path, with the clock on each turn.

- Through the REST channel (`POST /webhooks/rest/webhook`, what the bridge calls).
- Through the Telegram bridge, via the emulator's client API: a citizen sends a message and
  the clock runs until the bot's reply reaches the chat.

In a closed loop each conversation sends its next message as soon as the bot's reply came
(through the bridge, after SETTLE more for a second reply). In the open loop of a paced run
every message is sent when it is due, at a Poisson moment, whether or not earlier replies
came, and its latency runs from that moment. A conversation the bridge hands to a person
stops there, counted apart.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from typing import Any

import httpx

from bench.runs import Run, Turn
from bench.usage import CpuWatch
from komekshi.core.settings import DEV_TOKEN
from komekshi.knowledge import responses
from tools.dev.emulator import AsyncEmulatorClient, User
from tools.dev.stack import Stack

# A turn with no reply within this long counts as an error.
TIMEOUT = 60.0
# After the first reply through the bridge: how long a citizen waits for a second one.
SETTLE = 0.05
# Idle connections are dropped before the servers' (Sanic: 5 s) drop them, so that no request
# is written onto a connection the server is closing (an error of the client, not the stack).
KEEPALIVE_SECONDS = 2.0
# Telegram user ids of the benchmark's citizens (private chats: chat id = user id).
FIRST_USER = 7_000_000


async def _rest_conversation(
    client: httpx.AsyncClient, url: str, sender: str, texts: list[str], run: Run
) -> None:
    for text in texts:
        await _rest_turn(client, url, sender, text, run, time.perf_counter())


async def _rest_turn(
    client: httpx.AsyncClient, url: str, sender: str, text: str, run: Run, started: float
) -> None:
    """One message and its reply; the latency runs from `started` (perf_counter)."""
    try:
        response = await client.post(url, json={"sender": sender, "message": text})
        response.raise_for_status()
        replies: list[dict[str, Any]] = response.json()
    except (httpx.HTTPError, ValueError) as error:
        run.turns.append(Turn(time.perf_counter() - started, False, type(error).__name__))
        return
    latency = time.perf_counter() - started
    custom = (replies[-1].get("custom") or {}) if replies else {}
    intent = str((custom.get("intent") or {}).get("name") or "")
    problem = "" if replies else f"no reply to {text!r}"
    run.turns.append(Turn(latency, bool(replies), problem, intent, len(replies)))


def schedule(conversations: int, rate: float, seconds: float, seed: int) -> list[tuple[float, int]]:
    """Poisson arrivals: `rate × seconds` moments, uniform over the window (what a Poisson
    process is, given its count), each for a conversation drawn at random; sorted."""
    draw = random.Random(seed)
    count = round(rate * seconds)
    return sorted((draw.uniform(0, seconds), draw.randrange(conversations)) for _ in range(count))


async def _rest_paced(
    client: httpx.AsyncClient, url: str, run: Run, texts: list[str], offset: int
) -> None:
    """The open loop: every message sent when it is due, replies or not."""
    assert run.rate is not None
    due = schedule(run.conversations, run.rate, run.window, seed=offset)
    start = time.perf_counter()
    turns = []
    for (at, conversation), text in zip(due, texts, strict=False):
        await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
        sender = f"bench-{offset + conversation}"
        turns.append(asyncio.create_task(_rest_turn(client, url, sender, text, run, start + at)))
    await asyncio.gather(*turns)


async def _rest(run: Run, conversations: list[list[str]], stack: Stack, offset: int) -> None:
    url = f"{stack.config.rasa_url}/webhooks/rest/webhook"
    limits = httpx.Limits(max_connections=run.conversations + 5, keepalive_expiry=KEEPALIVE_SECONDS)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as http:
        if run.rate:
            await _rest_paced(http, url, run, conversations[0], offset)
        else:
            await asyncio.gather(
                *(
                    _rest_conversation(http, url, f"bench-{offset + i}", texts, run)
                    for i, texts in enumerate(conversations)
                )
            )


async def _bridge_conversation(
    client: AsyncEmulatorClient,
    user_id: int,
    texts: list[str],
    run: Run,
    handoff_starts: tuple[str, ...],
    failure_texts: frozenset[str],
) -> None:
    citizen = User(user_id, f"Bench{user_id}")
    for text in texts:
        started = time.perf_counter()
        try:
            await client.send_message(user_id, citizen, text)
            try:
                received = [m.text for m in await client.wait_bot_messages(user_id, 1, TIMEOUT)]
            except TimeoutError:
                received = []
            latency = time.perf_counter() - started
            # A second reply of the same turn comes right after the first.
            while more := await client.bot_messages(user_id, SETTLE):
                received += [m.text for m in more]
        except (httpx.HTTPError, ValueError, RuntimeError) as error:
            run.turns.append(Turn(time.perf_counter() - started, False, type(error).__name__))
            continue
        if not received:
            run.turns.append(Turn(latency, False, "no reply"))
            continue
        if received[0] in failure_texts:
            run.turns.append(Turn(latency, False, "bridge: Rasa unavailable", replies=1))
            continue
        run.turns.append(Turn(latency, True, replies=len(received)))
        if any(reply.startswith(handoff_starts) for reply in received):
            run.handed_off += 1
            return


def _bridge_texts() -> tuple[tuple[str, ...], frozenset[str]]:
    """Beginnings of the bridge's handoff messages, and its 'Rasa unavailable' apology."""
    loaded = responses.load()
    starts = tuple(
        variation["text"].split("{")[0][:40]
        for name, variations in loaded.items()
        if name.startswith("utter_handoff")
        for variation in variations
        if variation.get("text")
    )
    failures = frozenset(v["text"] for v in loaded["utter_channel_unavailable"])
    return tuple(s for s in starts if s), failures


async def _bridge(run: Run, conversations: list[list[str]], stack: Stack, offset: int) -> None:
    handoff_starts, failures = _bridge_texts()
    connections = 2 * len(conversations) + 5
    limits = httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=KEEPALIVE_SECONDS,
    )
    url = stack.config.bot_api_url
    async with AsyncEmulatorClient(url, DEV_TOKEN, limits=limits, timeout=TIMEOUT + 10) as client:
        await asyncio.gather(
            *(
                _bridge_conversation(
                    client, FIRST_USER + offset + i, texts, run, handoff_starts, failures
                )
                for i, texts in enumerate(conversations)
            )
        )


async def play(run: Run, conversations: list[list[str]], stack: Stack, offset: int) -> None:
    """Every conversation at once on the run's path (a paced run: `conversations[0]` holds
    all its messages), the CPU each process spent meanwhile recorded in the run."""
    started = time.monotonic()
    with CpuWatch(stack.pids()) as cpu:
        run.load_average = os.getloadavg()[0]
        if run.path == "REST":
            await _rest(run, conversations, stack, offset)
        else:
            await _bridge(run, conversations, stack, offset)
    run.seconds = time.monotonic() - started
    run.foreign_cpu_cores = cpu.foreign_cores
    run.cpu_seconds.update(cpu.seconds)


def sequential(run: Run, conversations: list[list[str]], stack: Stack, offset: int) -> None:
    """One message at a time: the conversations one after the other."""
    total = Run(run.path, 1, run.messages_each)
    for number, texts in enumerate(conversations):
        asyncio.run(play(total, [texts], stack, offset + number))
        run.turns += total.turns
        run.seconds += total.seconds
        run.handed_off += total.handed_off
        run.cpu_seconds.update(total.cpu_seconds)
        total.cpu_seconds.clear()
        run.foreign_cpu_cores += total.foreign_cpu_cores * total.seconds
        run.load_average = run.load_average or total.load_average
        total.turns, total.handed_off = [], 0
    run.foreign_cpu_cores = run.foreign_cpu_cores / run.seconds if run.seconds else 0.0
