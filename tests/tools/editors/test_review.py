"""Unanswered questions: kept masked, grouped by meaning for editors, learnt once assigned."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import redis
import yaml
from redis.asyncio import Redis

from komekshi.channel import analytics
from komekshi.knowledge.content import Content
from komekshi.knowledge.located_yaml import ContentError
from tools.editors.review import REVIEWED, assigned_examples, run

QUESTIONS = [
    ("где можно поменять водительские права", "ru"),
    ("как поменять водительское удостоверение", "ru"),
    ("куда обращаться чтобы заменить водительские права", "ru"),
    ("жүргізуші куәлігін қалай ауыстырамын", "kk"),
    ("жүргізуші куәлігін ауыстыру керек", "kk"),
    ("зейнетақыны қалай рәсімдеймін", "kk"),
    ("какая погода будет в астане завтра", "ru"),
    ("ИИН 900101300123 мой, где мой ответ", "ru"),
]


@pytest.fixture
def client(redis_url: str) -> redis.Redis:
    client = redis.Redis.from_url(redis_url)
    client.delete(analytics.UNANSWERED, analytics.COUNTERS, REVIEWED)
    return client


async def _record(redis_url: str) -> None:
    async_client = Redis.from_url(redis_url)
    for text, language in QUESTIONS:
        await analytics.record_turn(
            async_client, language=language, intent="nlu_fallback", confidence=0.3,  # type: ignore[arg-type]
            text=text, handed_off=False, unanswered=text,
        )  # fmt: skip
    await analytics.record_turn(
        async_client, language="kk", intent="greet", confidence=0.99, text="сәлем",
        handed_off=False, unanswered=None,
    )  # fmt: skip
    await async_client.close()


async def test_turns_are_counted_and_unanswered_questions_kept_masked(
    client: redis.Redis, redis_url: str
) -> None:
    await _record(redis_url)
    counters = analytics.counters(client)
    assert counters["turns:ru"] == 5 and counters["turns:kk"] == 4
    assert counters["fallback:ru"] == 5 and counters["understood:kk"] == 1
    assert counters["intent:kk:greet"] == 1
    kept = analytics.unanswered(client)
    assert [q.text for q in kept][-1] == "ИИН [IIN] мой, где мой ответ"
    assert len(kept) == len(QUESTIONS)


async def test_a_review_groups_paraphrases_and_starts_after_the_last_one(
    client: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    await _record(redis_url)
    path = run(client, tmp_path, dt.date(2026, 11, 23))
    assert path == tmp_path / "2026-11-23.yml"
    review = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups = review["groups"]
    licences = groups[0]
    assert licences["size"] == 3 and licences["topic"] is None
    assert licences["reasons"] == {"nlu_fallback": 3}
    assert len(licences["questions"]["ru"]) == 3
    # Paraphrases in one language share a group; other questions stand apart.
    assert groups[1]["questions"] == {
        "kk": ["жүргізуші куәлігін қалай ауыстырамын", "жүргізуші куәлігін ауыстыру керек"]
    }
    assert [g["size"] for g in groups[2:]] == [1, 1, 1]
    assert "900101300123" not in path.read_text(encoding="utf-8")
    assert run(client, tmp_path, dt.date(2026, 11, 23)) is None


def test_assigned_groups_become_examples_and_an_unknown_topic_is_named(tmp_path: Path) -> None:
    content = Content.load()
    review = tmp_path / "content" / "review"
    review.mkdir(parents=True)
    (review / "2026-11-23.yml").write_text(
        "groups:\n"
        "  - topic: ask_service/driving_licence_exchange\n    questions:\n      ru:\n"
        "        - как поменять права\n"
        "      kk:\n        - жүргізуші куәлігін ауыстыру\n"
        "  - topic:\n    questions:\n      ru:\n        - пропущенная группа\n",
        encoding="utf-8",
    )
    assert assigned_examples(content, review) == {
        "ask_service/driving_licence_exchange": [
            "жүргізуші куәлігін ауыстыру",
            "как поменять права",
        ]
    }
    (review / "2026-11-24.yml").write_text(
        "groups:\n  - topic: faq/nothing\n    questions:\n      ru:\n        - вопрос\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match=r"content/review/2026-11-24.yml:2: topic 'faq/nothing'"):
        assigned_examples(content, review)
