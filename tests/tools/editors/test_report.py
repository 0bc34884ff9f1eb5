"""`make report`: what an editor sees on the page, built from a real Redis with known turns."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
from numpy.typing import NDArray
from redis.asyncio import Redis

from komekshi.channel import analytics
from komekshi.core.keys import METRICS
from komekshi.desk.cases import HandoffStore, Resolution
from komekshi.knowledge.content import Content
from komekshi.knowledge.located_yaml import ContentError
from tools.editors.report.gather import collect
from tools.editors.report.page import render
from tools.editors.report.words import WORDS, Words
from tools.editors.review import REVIEWED

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
IIN = "900101300123"
PHONE = "+7 701 123 45 67"
# (text, language, intent, handed off): turns whose question stays unanswered.
UNANSWERED = [
    ("жүргізуші куәлігін қалай ауыстырамын", "kk", "nlu_fallback", False),
    (f"куәлікті ауыстыру керек, ЖСН {IIN}", "kk", "nlu_fallback", False),
    ("где поменять водительские права", "ru", "nlu_fallback", False),
    (f"как заменить права, мой телефон {PHONE}", "ru", "nlu_fallback", False),
    ("какая погода завтра", "ru", "nlu_fallback", False),
    ("погода в астане", "ru", "out_of_scope", True),
    ("где поменять водительские права", "ru", "out_of_scope", True),
]
# (language, intent, times, handed off): turns the bot understood.
UNDERSTOOD = [
    ("kk", "ask_service", 4, False),
    ("kk", "greet", 2, False),
    ("kk", "request_human", 1, True),
    ("kk", "ask_fee", 1, False),
    ("ru", "ask_fee", 5, False),
    ("ru", "faq", 3, False),
    ("ru", "ask_service", 1, False),
    ("ru", "ask_service", 1, True),
]
RATINGS = [5, 5, 4, 1]
FIRST_NAME = "Айгерим"


def encode(texts: list[str]) -> NDArray[np.float32]:
    """Stands in for the sentence model (tested in test_review.py): weather apart from licences."""
    return np.array([[0.0, 1.0] if "погод" in t else [1.0, 0.0] for t in texts], dtype=np.float32)


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    client = redis.Redis.from_url(redis_url)
    client.delete(analytics.UNANSWERED, analytics.COUNTERS, REVIEWED)
    client.hdel(METRICS, *(f"rating:le:{r}" for r in ("1", "2", "3", "4", "5", "+Inf")))
    client.hdel(METRICS, "rating:sum", "rating:count")
    return client


async def _fill(redis_url: str) -> list[int]:
    """Record the turns and ratings; returns the citizens' chat ids."""
    async_client = Redis.from_url(redis_url)
    for language, intent, times, handed_off in UNDERSTOOD:
        for _ in range(times):
            await analytics.record_turn(
                async_client, language=language, intent=intent, confidence=0.95,  # type: ignore[arg-type]
                text="…", handed_off=handed_off, unanswered=None,
            )  # fmt: skip
    for text, language, intent, handed_off in UNANSWERED:
        await analytics.record_turn(
            async_client, language=language, intent=intent, confidence=0.3,  # type: ignore[arg-type]
            text=text, handed_off=handed_off, unanswered=text,
        )  # fmt: skip
    store = HandoffStore(async_client)
    chats = []
    for rating in RATINGS:
        chat = uuid.uuid4().int % 10**9
        case, _ = await store.open_case(
            chat, language="kk", reason="citizen_request", first_name=FIRST_NAME
        )
        await store.claim(case.id, 1001)
        held = await store.case(case.id)
        assert held
        await store.close(held, Resolution.RESOLVED, 1001)
        assert await store.rate(case.id, chat, rating)
        chats.append(chat)
    await async_client.close()
    return chats


def _evaluation(path: Path) -> Path:
    result: dict[str, Any] = {
        "messages": 40,
        "right_first": 0.875,
        "date": "2026-11-20T10:00:00+00:00",
        "per_intent": {
            "ask_fee": {"precision": 1.0, "recall": 0.9, "f1": 0.95, "support": 20},
            "faq/hkko": {"precision": 0.5, "recall": 0.75, "f1": 0.6, "support": 12},
            "greet": {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 8},
        },
    }
    path.write_text(json.dumps(result), encoding="utf-8")
    return path


def _cell(page: str, key: str) -> str:
    match = re.search(rf'data-key="{re.escape(key)}"[^>]*>([^<]*)<', page)
    assert match, f"no {key} on the page"
    return match[1]


def _table(page: str, table: str) -> str:
    return page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]


def _rows(page: str, table: str) -> list[str]:
    return re.findall(r'<tr data-intent="([^"]+)"', _table(page, table))


async def test_the_report_shows_what_an_editor_acts_on(
    client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    chats = await _fill(redis_url)
    review = tmp_path / "review"
    review.mkdir()
    (review / "2026-11-20.yml").write_text(
        "groups:\n  - topic: ask_service/driving_licence_exchange\n    size: 3\n  - topic:\n"
        "    size: 2\n",
        encoding="utf-8",
    )
    content = Content.load()
    report = collect(
        client, content=content, encode=encode, evaluation=_evaluation(tmp_path / "e.json"),
        model=tmp_path / "no-model.tar.gz", review_dir=review, now=NOW,
    )  # fmt: skip
    page = render(report)
    text = re.sub(r'src="data:image/png;base64,[^"]+"', "", page)

    # Self-contained: charts inline, nothing fetched.
    assert page.count('src="data:image/png;base64,') == 4
    assert not re.search(r'(src|href)="(https?:)?//', page)

    # Understood, fallback and handoff: kk 8 of 10, ru 10 of 15 understood.
    assert _cell(text, "turns:kk") == "10" and _cell(text, "turns:ru") == "15"
    assert _cell(text, "understood:kk") == "80,0%"
    assert _cell(text, "understood:ru") == "66,7%"
    assert _cell(text, "understood:all") == "72,0%"
    assert _cell(text, "fallback:kk") == "20,0%" and _cell(text, "fallback:ru") == "33,3%"
    assert _cell(text, "handoff:kk") == "10,0%" and _cell(text, "handoff:ru") == "20,0%"
    assert _cell(text, "handoff:all") == "16,0%"

    # Ratings 5, 5, 4, 1.
    assert _cell(text, "rating:average") == "3,75"
    assert "Средняя оценка: 3,75 из 5, всего оценок: 4." in text
    assert [_cell(_table(text, "ratings"), f"rating:{r}") for r in (1, 2, 3, 4, 5)] == [
        "1", "0", "0", "1", "2",
    ]  # fmt: skip

    # Top topics by language, named by their labels; the fallback is not a topic.
    assert _rows(text, "topics-kk") == ["ask_service", "greet", "ask_fee", "request_human"]
    assert _rows(text, "topics-ru") == ["ask_fee", "faq", "ask_service", "out_of_scope"]
    ask_fee = content.topic("ask_fee")
    assert ask_fee and ask_fee.label
    assert "Мемлекеттік қызметтер туралы сұрақтар" in _table(text, "topics-kk")
    assert ask_fee.label["ru"] in _table(text, "topics-ru")
    assert "Частые вопросы (FAQ" in _table(text, "topics-ru")
    assert "nlu_fallback" not in _table(text, "topics-kk")

    # Unanswered questions, grouped as `make review` groups them, largest first.
    # (How many groups depends on the topics the grouping is centred on: test_review.py.)
    sizes = [int(s) for s in re.findall(r'data-key="group-size"[^>]*>(\d+)<', text)]
    assert f"Всего вопросов: 7, групп: {len(sizes)}." in text
    assert sum(sizes) == 7 and sizes == sorted(sizes, reverse=True) and 1 < len(sizes) < 7
    licences = _table(text, "unanswered").split('data-key="group"')[1]
    assert "где поменять водительские права" in licences and "×2" in licences
    assert "жүргізуші куәлігін қалай ауыстырамын" in _table(text, "unanswered")
    assert "content/review/2026-11-20.yml: групп — 2, из них без темы" in text
    assert client.get(REVIEWED) is None, "the report must not mark questions as reviewed"

    # Per-intent F1, worst first, with the date of the evaluation.
    assert _rows(text, "f1") == ["faq/hkko", "greet", "ask_fee"]
    assert _cell(_table(text, "f1"), "f1") == "0,60"
    assert "0,95" in _table(text, "f1") and "class=low" in _table(text, "f1")
    assert "Проверка сделана 20.11.2026" in text and "3 дня назад" in text

    # Nothing personal.
    assert IIN not in page and "[IIN]" in text
    assert "701 123" not in page and "[phone]" in text
    assert FIRST_NAME not in page
    assert not any(str(chat) in text for chat in chats)


async def test_without_an_evaluation_it_says_how_to_make_one(
    client: redis.Redis, tmp_path: Path
) -> None:
    report = collect(
        client, content=Content.load(), encode=encode, evaluation=tmp_path / "missing.json",
        review_dir=tmp_path, now=NOW,
    )  # fmt: skip
    page = render(report)
    assert "Проверки ещё не было" in page and "<code>make evaluate</code>" in page
    assert "Сообщений пока нет" in page and "Оценок пока нет." in page
    assert 'id="f1"' not in page


async def test_the_words_are_the_editors_to_change(client: redis.Redis, tmp_path: Path) -> None:
    """Every word of the page comes from content/report.yml; a mistake there names its line."""
    path = tmp_path / "content" / "report.yml"
    path.parent.mkdir()
    text = WORDS.read_text(encoding="utf-8")
    path.write_text(text.replace("Оценок пока нет.", "Оценок ещё нет.", 1), encoding="utf-8")
    report = collect(
        client, content=Content.load(), encode=encode, evaluation=tmp_path / "missing.json",
        review_dir=tmp_path, now=NOW,
    )  # fmt: skip
    page = render(report, Words.load(path, tmp_path))
    assert "Оценок ещё нет." in page and "Оценок пока нет." not in page

    path.write_text(text.replace("{questions}, групп", "{questons}, групп", 1), encoding="utf-8")
    with pytest.raises(ContentError, match=r"^content/report.yml:\d+: unanswered.total: only one"):
        Words.load(path, tmp_path)
