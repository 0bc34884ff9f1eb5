"""The report's numbers, read from the bot's Redis and the tools' files; nothing is changed.

Counters and masked questions come from komekshi/channel/analytics.py, ratings from the
desk's `rating` histogram, the unanswered questions are grouped as `make review` groups them
(tools/editors/review.py), and the scores come from the last `make evaluate`. Words are the
page's business (tools/editors/report/sections.py): here there are only numbers and texts
citizens wrote.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
import yaml

from komekshi.channel import analytics
from komekshi.core.embedding import Embedder
from komekshi.core.keys import METRICS
from komekshi.core.language import LANGUAGES, Lang
from komekshi.core.privacy import mask
from komekshi.core.settings import ROOT
from komekshi.core.vocabulary import FALLBACK
from komekshi.desk.cases import RATINGS
from komekshi.knowledge.content import Content
from tools.editors.review import REVIEW_DIR, REVIEWED, Encode, group

EVALUATION = ROOT / "reports" / "evaluation.json"
MODEL = ROOT / "models" / "komekshi.tar.gz"
TOP_TOPICS = 10
EXAMPLES = 3
# Grouping costs the square of the questions: beyond this only the newest are grouped.
MAX_QUESTIONS = 3000


@dataclass(frozen=True)
class Rates:
    """One language's turns (or all of them) and how they ended."""

    turns: int
    understood: int
    fallback: int
    handoff: int

    def share(self, count: int) -> float | None:
        return count / self.turns if self.turns else None


@dataclass(frozen=True)
class TopicCount:
    intent: str
    count: int
    share: float | None


@dataclass(frozen=True)
class Group:
    size: int
    reasons: dict[str, int]
    # (language, masked text, times asked): the most asked, both languages if it has both.
    examples: list[tuple[str, str, int]]


@dataclass(frozen=True)
class ReviewFile:
    path: str
    groups: int
    without_topic: int


@dataclass(frozen=True)
class Report:
    made_at: dt.datetime
    rates: dict[str, Rates]  # kk, ru and all
    ratings: dict[int, int]
    rating_sum: float
    topics: dict[Lang, list[TopicCount]]
    unanswered: int  # kept since the last review
    grouped: int  # of which grouped (the newest MAX_QUESTIONS)
    groups: list[Group]
    last_reviewed_at: dt.datetime | None
    review_file: ReviewFile | None
    evaluation: dict[str, Any] | None
    retrained_since_evaluation: bool
    # The topics' labels and questions, which name the topics on the page.
    content: Content = field(repr=False)

    @property
    def rating_count(self) -> int:
        return sum(self.ratings.values())

    @property
    def rating_average(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None


def _rates(counters: dict[str, int]) -> dict[str, Rates]:
    rates: dict[str, Rates] = {
        language: Rates(
            counters.get(f"turns:{language}", 0),
            counters.get(f"understood:{language}", 0),
            counters.get(f"fallback:{language}", 0),
            counters.get(f"handoff:{language}", 0),
        )
        for language in LANGUAGES
    }
    rates["all"] = Rates(
        *(sum(getattr(r, name) for r in rates.values()) for name in Rates.__dataclass_fields__)
    )
    return rates


def _topics(counters: dict[str, int], rates: dict[str, Rates]) -> dict[Lang, list[TopicCount]]:
    """The most frequent intents per language; the fallback is not a topic (see section 1)."""
    topics: dict[Lang, list[TopicCount]] = {}
    for language in LANGUAGES:
        prefix = f"intent:{language}:"
        counts = sorted(
            (
                (-count, key.removeprefix(prefix))
                for key, count in counters.items()
                if key.startswith(prefix) and key != f"{prefix}{FALLBACK}"
            ),
        )[:TOP_TOPICS]
        topics[language] = [
            TopicCount(intent, -negative, rates[language].share(-negative))
            for negative, intent in counts
        ]
    return topics


def _ratings(client: redis.Redis) -> tuple[dict[int, int], float]:
    """Ratings 1–5 and their sum: the `rating` histogram (one bucket per rating)."""
    raw: dict[bytes, bytes] = client.hgetall(METRICS)  # type: ignore[assignment]
    values = {key.decode(): float(value) for key, value in raw.items()}
    counts = {rating: int(values.get(f"rating:le:{rating}", 0)) for rating in RATINGS}
    return counts, values.get("rating:sum", 0.0)


def _groups(questions: list[analytics.Unanswered], encode: Encode) -> list[Group]:
    if not questions:
        return []
    groups = []
    for members in group([q.text for q in questions], encode):
        reasons: dict[str, int] = {}
        for index in members:
            reasons[questions[index].reason] = reasons.get(questions[index].reason, 0) + 1
        asked: Counter[tuple[str, str]] = Counter(
            (questions[i].language, mask(questions[i].text)) for i in members
        )
        ranked: list[tuple[str, str]] = [example for example, _ in asked.most_common()]
        # The most asked question of each language, then the most asked of the others.
        chosen = [next(e for e in ranked if e[0] == lang) for lang in LANGUAGES
                  if any(e[0] == lang for e in ranked)]  # fmt: skip
        chosen = sorted(
            (chosen + [e for e in ranked if e not in chosen])[:EXAMPLES], key=lambda e: -asked[e]
        )
        examples = [(language, text, asked[language, text]) for language, text in chosen]
        groups.append(Group(len(members), reasons, examples))
    return groups


def _review_file(directory: Path) -> ReviewFile | None:
    """The latest review file: its groups, and how many editors have not assigned yet."""

    def order(path: Path) -> tuple[str, int]:
        # 2026-11-23.yml, then 2026-11-23-2.yml: a second review of the same day.
        number = path.stem[11:]
        return path.stem[:10], int(number) if number.isdigit() else 1

    files = sorted(directory.glob("*.yml"), key=order)
    if not files:
        return None
    try:
        data = yaml.safe_load(files[-1].read_text(encoding="utf-8"))
    except yaml.YAMLError:
        data = None
    groups = data.get("groups") if isinstance(data, dict) else None
    if not isinstance(groups, list):
        groups = []
    without = sum(1 for g in groups if not (isinstance(g, dict) and g.get("topic")))
    try:
        shown = str(files[-1].relative_to(ROOT))
    except ValueError:
        shown = f"content/review/{files[-1].name}"
    return ReviewFile(shown, len(groups), without)


def _evaluation(path: Path, model: Path) -> tuple[dict[str, Any] | None, bool]:
    """The last evaluation, and whether the model was trained again after it."""
    try:
        result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, False
    made = when(result.get("date"))
    retrained = bool(
        made and model.exists() and dt.datetime.fromtimestamp(model.stat().st_mtime, dt.UTC) > made
    )
    return result, retrained


def when(value: object) -> dt.datetime | None:
    """A date the tools wrote (ISO 8601), in UTC when it names no zone; None if it is not one."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def collect(
    client: redis.Redis,
    *,
    content: Content,
    encode: Encode | None = None,
    evaluation: Path = EVALUATION,
    model: Path = MODEL,
    review_dir: Path = REVIEW_DIR,
    now: dt.datetime | None = None,
) -> Report:
    """Every number of the report, read from Redis and the files (nothing is changed)."""
    counters = analytics.counters(client)
    rates = _rates(counters)
    last = client.get(REVIEWED)
    marker = last.decode() if last else "-"
    questions = analytics.unanswered(client, marker)
    newest = questions[-MAX_QUESTIONS:]
    if encode is None and newest:
        encode = Embedder().encode
    ratings, rating_sum = _ratings(client)
    result, retrained = _evaluation(evaluation, model)
    return Report(
        made_at=now or dt.datetime.now(dt.UTC),
        rates=rates,
        ratings=ratings,
        rating_sum=rating_sum,
        topics=_topics(counters, rates),
        unanswered=len(questions),
        grouped=len(newest),
        groups=_groups(newest, encode) if encode else [],
        last_reviewed_at=(
            dt.datetime.fromtimestamp(int(marker.split("-")[0]) / 1000, dt.UTC)
            if marker != "-"
            else None
        ),
        review_file=_review_file(review_dir),
        evaluation=result,
        retrained_since_evaluation=retrained,
        content=content,
    )
