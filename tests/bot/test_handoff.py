"""Handoff state in a real Redis."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from bot.handoff import HandoffStore


@pytest.fixture
def store(redis_url: str) -> HandoffStore:
    return HandoffStore(Redis.from_url(redis_url))


def _chat() -> int:
    return uuid.uuid4().int % 10**9


async def test_a_case_opens_once_and_is_found_by_its_card(store: HandoffStore) -> None:
    chat = _chat()
    assert await store.active_case(chat) is None
    case = await store.open_case(chat, "kk", "citizen_request")
    assert (await store.open_case(chat, "kk", "citizen_request")).id == case.id
    await store.attach_card(case.id, 777_000 + case.id)
    found = await store.case_for_card(777_000 + case.id)
    assert found is not None
    assert (found.id, found.chat_id, found.language, found.status) == (
        case.id, chat, "kk", "waiting",
    )  # fmt: skip


async def test_closing_gives_the_citizen_back_to_the_bot(store: HandoffStore) -> None:
    chat = _chat()
    case = await store.open_case(chat, "ru", "citizen_request")
    await store.close(case, operator_id=1001)
    assert await store.active_case(chat) is None
    closed = await store.case(case.id)
    assert closed is not None and closed.status == "closed"
    assert (await store.open_case(chat, "ru", "citizen_request")).id != case.id


async def test_transcript_is_masked_and_bounded(store: HandoffStore) -> None:
    chat = _chat()
    for index in range(15):
        await store.remember(chat, "citizen", f"сообщение {index}")
    await store.remember(chat, "citizen", "мой ИИН 900101300123")
    lines = await store.transcript(chat)
    assert len(lines) == 10
    assert lines[-1] == "citizen: мой ИИН [IIN]"


async def test_language_is_remembered(store: HandoffStore) -> None:
    chat = _chat()
    assert await store.language(chat) is None
    await store.set_language(chat, "ru")
    assert await store.language(chat) == "ru"
