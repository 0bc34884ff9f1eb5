"""Handoff state in a real Redis: cases, the queue, the claim lock, closing and ratings."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from komekshi.core.keys import METRICS, key
from komekshi.desk.cases import HandoffStore, Resolution, Status, Turn


@pytest.fixture
def store(redis_url: str) -> HandoffStore:
    return HandoffStore(Redis.from_url(redis_url))


def _chat() -> int:
    return uuid.uuid4().int % 10**9


async def _metric(store: HandoffStore, field: str) -> float:
    return float(await store.redis.hget(METRICS, field) or 0)


async def test_a_case_opens_once_and_is_found_by_its_messages(store: HandoffStore) -> None:
    chat = _chat()
    assert await store.active_case(chat) is None
    case, created = await store.open_case(
        chat, language="kk", reason="citizen_request", first_name="Айгерім",
        intent="request_human", confidence=0.98,
    )  # fmt: skip
    assert created and case.status == Status.WAITING and case.queued_at
    again, created = await store.open_case(chat, language="kk", reason="complaint")
    assert (again.id, created) == (case.id, False)
    await store.link_message(case.id, 777_000 + case.id, card=True)
    await store.link_message(case.id, 888_000 + case.id)
    card = await store.case_for_message(777_000 + case.id)
    relayed = await store.case_for_message(888_000 + case.id)
    assert card is not None and relayed is not None
    assert card.card_message_id == relayed.card_message_id == 777_000 + case.id
    assert (card.first_name, card.intent, card.confidence) == ("Айгерім", "request_human", 0.98)
    await store.link_topic(case.id, 55_000 + case.id)
    topic = await store.case_for_topic(55_000 + case.id)
    assert topic is not None and topic.topic_id == 55_000 + case.id


async def test_places_in_the_queue_and_the_wait_estimate(store: HandoffStore) -> None:
    first, _ = await store.open_case(_chat(), language="ru", reason="citizen_request")
    second, _ = await store.open_case(_chat(), language="ru", reason="citizen_request")
    first_place, second_place = await store.place(first.id), await store.place(second.id)
    assert first_place is not None and second_place == first_place + 1
    await store.redis.delete(key("recent_claims"))
    assert await store.expected_wait_minutes(3, default_minutes=5) == 15
    await store.redis.rpush(key("recent_claims"), 30, 90)  # a minute on average
    assert await store.expected_wait_minutes(3, default_minutes=5) == 3
    for case in (first, second):
        await store.close(case, Resolution.NO_REPLY, 1)


async def test_only_one_of_many_operators_claiming_at_once_holds_the_case(
    store: HandoffStore,
) -> None:
    case, _ = await store.open_case(_chat(), language="kk", reason="citizen_request")
    claimed_before = await _metric(store, "claim_seconds:count")
    results = await asyncio.gather(*(store.claim(case.id, operator) for operator in range(1, 21)))
    winners = [operator for operator, (won, _) in zip(range(1, 21), results, strict=True) if won]
    assert len(winners) == 1
    assert {holder for _, holder in results} == {winners[0]}
    held = await store.case(case.id)
    assert held is not None and (held.status, held.operator_id) == (Status.CLAIMED, winners[0])
    assert await store.place(case.id) is None
    assert await _metric(store, "claim_seconds:count") == claimed_before + 1


async def test_release_keeps_the_place_and_only_the_holder_releases_or_transfers(
    store: HandoffStore,
) -> None:
    case, _ = await store.open_case(_chat(), language="ru", reason="citizen_request")
    later, _ = await store.open_case(_chat(), language="ru", reason="citizen_request")
    place = await store.place(case.id)
    await store.claim(case.id, 1001)
    assert not await store.release(case.id, 1002)
    assert not await store.transfer(case.id, 1002, 1003)
    assert await store.transfer(case.id, 1001, 1002)
    assert await store.release(case.id, 1002)
    assert await store.place(case.id) == place < (await store.place(later.id) or 0)
    claims_before = await _metric(store, "claim_seconds:count")
    assert (await store.claim(case.id, 1001))[0]
    # Time to claim counts the first claim only.
    assert await _metric(store, "claim_seconds:count") == claims_before
    await store.close(later, Resolution.NO_REPLY, 1)


async def test_closing_gives_the_citizen_back_once_and_is_rated_once(store: HandoffStore) -> None:
    chat = _chat()
    case, _ = await store.open_case(chat, language="ru", reason="citizen_request")
    await store.claim(case.id, 1001)
    held = await store.case(case.id)
    assert held is not None
    handled_before = await _metric(store, "handling_seconds:count")
    assert await store.close(held, Resolution.RESOLVED, 1001)
    assert not await store.close(held, Resolution.UNRESOLVED, 1002)
    assert await store.active_case(chat) is None and await store.needs_resume(chat)
    await store.resumed(chat)
    assert not await store.needs_resume(chat)
    assert await _metric(store, "handling_seconds:count") == handled_before + 1

    assert not await store.rate(case.id, chat + 1, 5)  # not their case
    assert not await store.rate(case.id, chat, 7)
    assert await store.rate(case.id, chat, 4)
    assert not await store.rate(case.id, chat, 5)  # once
    rated = await store.case(case.id)
    assert rated is not None and (rated.resolution, rated.rating) == ("resolved", 4)
    assert (await store.open_case(chat, language="ru", reason="citizen_request"))[0].id != case.id
    await store.close(await store.active_case(chat) or held, Resolution.CANCELLED, chat)


async def test_a_cancelled_case_cannot_be_rated(store: HandoffStore) -> None:
    chat = _chat()
    case, _ = await store.open_case(chat, language="kk", reason="citizen_request")
    assert await store.close(case, Resolution.CANCELLED, chat)
    assert not await store.rate(case.id, chat, 5)


async def test_a_case_opened_after_hours_keeps_messages_until_it_is_queued(
    store: HandoffStore,
) -> None:
    chat = _chat()
    case, _ = await store.open_case(chat, language="ru", reason="citizen_request", deferred=True)
    assert case.status == Status.DEFERRED and case.queued_at is None
    assert await store.place(case.id) is None
    assert case.id in [c.id for c in await store.deferred_cases()]
    assert await store.leave(case.id, {"text": "вопрос"})
    assert not await store.leave(case.id, {"message_id": 12})
    assert await store.queue(case.id)
    assert not await store.queue(case.id)
    assert case.id not in [c.id for c in await store.deferred_cases()]
    assert await store.place(case.id) is not None
    assert await store.take_left(case.id) == [{"text": "вопрос"}, {"message_id": 12}]
    assert await store.take_left(case.id) == []
    await store.close(case, Resolution.NO_REPLY, 1)


async def test_misses_in_a_row_are_counted_and_reset(store: HandoffStore) -> None:
    chat = _chat()
    miss = Turn("nlu_fallback", 0.4)
    assert await store.set_turn(chat, miss, missed=True) == 1
    assert await store.set_turn(chat, miss, missed=True) == 2
    assert await store.set_turn(chat, Turn("greet", 0.99), missed=False) == 0
    assert await store.set_turn(chat, miss, missed=True) == 1
    assert await store.last_turn(chat) == miss


async def test_transcript_is_masked_and_bounded(store: HandoffStore) -> None:
    chat = _chat()
    for index in range(15):
        await store.remember(chat, "citizen", f"сообщение {index}")
    await store.remember(chat, "citizen", "мой ИИН 900101300123")
    lines = await store.transcript(chat)
    assert len(lines) == 10
    assert lines[-1] == "citizen: мой ИИН [IIN]"


async def test_language_and_operator_names_are_remembered(store: HandoffStore) -> None:
    chat = _chat()
    assert await store.language(chat) is None
    await store.set_language(chat, "ru")
    assert await store.language(chat) == "ru"
    await store.name_operator(4242, "Асель")
    assert (await store.operator_names())[4242] == "Асель"
