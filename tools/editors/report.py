"""`make report`: how the bot is doing, on one HTML page for the content editors.

`reports/report.html` is self-contained (charts are inline PNG images, no links to load) and
bilingual: every heading and explanation in Kazakh, then in Russian, since the editors are
civil servants who read both and no English. It shows, from the bot's Redis (REDIS_URL, the
embedded Redis of `make run`, or its saved data in .run/redis):

1. the share of messages understood, and the fallback and handoff rates, by language
   (komekshi/channel/analytics.py counters);
2. citizens' ratings of the operators (the `rating` histogram of the `komekshi:metrics` hash);
3. the most frequent topics by language, named by their label in content/topics;
4. the questions the bot could not answer since the last `make review`, grouped by meaning
   the way `make review` groups them (tools/editors/review.py), largest first. Grouped afresh rather
   than read from the latest content/review/*.yml: that file is a snapshot editors edit
   (they assign topics and delete questions), and it holds nothing asked since. The report
   only reads: the next `make review` writes these same questions into a file;
5. the per-intent F1 of the last `make evaluate` (reports/evaluation.json), with its date.

Nothing personal: only counters, ratings and the unanswered questions, which are stored
masked and are masked again here; no chat ids, names or case details are read.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import html
import io
import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
import yaml

from komekshi.channel import analytics
from komekshi.core import settings
from komekshi.core.keys import METRICS
from komekshi.core.language import LANGUAGES, Lang
from komekshi.core.privacy import mask
from komekshi.core.vocabulary import FALLBACK, OUT_OF_SCOPE
from komekshi.desk.cases import RATINGS
from komekshi.knowledge.content import CONTENT, ROOT, Content, ContentError
from tools.editors.review import REVIEW_DIR, REVIEWED, Encode, group

REPORT = ROOT / "reports" / "report.html"
EVALUATION = ROOT / "reports" / "evaluation.json"
MODEL = ROOT / "models" / "komekshi.tar.gz"
TOP_TOPICS = 10
TOP_GROUPS = 10
EXAMPLES = 3
# Grouping costs the square of the questions: beyond this only the newest are grouped.
MAX_QUESTIONS = 3000
# A topic the evaluation scores below this F1 is marked for the editors' attention.
LOW_F1 = 0.8
# The FAQ's topics reach the counters as one intent: Rasa's retrieval intent `faq`.
FAQ_NAME: dict[Lang, str] = {
    "kk": "Жиі қойылатын сұрақтар (FAQ, бәрі бірге)",
    "ru": "Частые вопросы (FAQ, все темы вместе)",
}
# Intents whose classes are learnt one by one: named as a whole here.
GROUP_NAMES: dict[str, dict[Lang, str]] = {
    "faq": FAQ_NAME,
    "ask_service": {
        "kk": "Мемлекеттік қызметтер туралы сұрақтар (бәрі бірге)",
        "ru": "Вопросы о госуслугах (все услуги вместе)",
    },
    "ask_life_situation": {
        "kk": "Өмірлік жағдайлар (бәрі бірге)",
        "ru": "Жизненные ситуации (все вместе)",
    },
}
REASONS: dict[str, tuple[str, str]] = {
    FALLBACK: ("түсінбеді", "не понял"),
    OUT_OF_SCOPE: ("тақырыптан тыс", "не по теме"),
    "handoff": ("операторға берілді", "передан оператору"),
}


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
    # The topic's name in each language, and, for a topic without a label, an example.
    name: dict[Lang, str]
    example: dict[Lang, str] | None


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
    content: Content = field(repr=False)

    @property
    def rating_count(self) -> int:
        return sum(self.ratings.values())

    @property
    def rating_average(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None


# Gathering the numbers


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


def _topic_name(content: Content, intent: str) -> tuple[dict[Lang, str], dict[Lang, str] | None]:
    """A topic's name per language (its label) and, without a label, an example question."""
    if intent in GROUP_NAMES:
        return GROUP_NAMES[intent], None
    topic = content.topic(intent)
    if topic and topic.label:
        return {language: str(topic.label[language]) for language in LANGUAGES}, None
    example = (
        {language: str(topic.questions[language][0]) for language in LANGUAGES}
        if topic and all(topic.questions[language] for language in LANGUAGES)
        else None
    )
    return {language: intent for language in LANGUAGES}, example


def _topics(
    counters: dict[str, int], rates: dict[str, Rates], content: Content
) -> dict[Lang, list[TopicCount]]:
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
            TopicCount(intent, -negative, rates[language].share(-negative), *names)
            for negative, intent in counts
            for names in [_topic_name(content, intent)]
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
    made = _when(result.get("date"))
    retrained = bool(
        made and model.exists() and dt.datetime.fromtimestamp(model.stat().st_mtime, dt.UTC) > made
    )
    return result, retrained


def _when(value: object) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


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
        from komekshi.core.embedding import Embedder

        encode = Embedder().encode
    ratings, rating_sum = _ratings(client)
    result, retrained = _evaluation(evaluation, model)
    return Report(
        made_at=now or dt.datetime.now(dt.UTC),
        rates=rates,
        ratings=ratings,
        rating_sum=rating_sum,
        topics=_topics(counters, rates, content),
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


# Charts (matplotlib, DejaVu Sans: it has every Kazakh letter, ә ғ қ ң ө ұ ү һ і)

GREEN, ORANGE, BLUE, GREY = "#2e7d32", "#e65100", "#1565c0", "#9e9e9e"


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 12,
        }
    )
    return plt


def _png(figure: Any) -> str:
    plt = _pyplot()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode()
    return f'<img class="chart" alt="" src="data:image/png;base64,{data}">'


def _rates_chart(rates: dict[str, Rates]) -> str:
    plt = _pyplot()
    columns = [("kk", "Қазақша\nна казахском"), ("ru", "Орысша\nна русском"),
               ("all", "Барлығы\nвсего")]  # fmt: skip
    series = [
        ("understood", "Түсінді / Понял", GREEN),
        ("fallback", "Түсінбеді / Не понял", ORANGE),
        ("handoff", "Операторға берілді / Передано оператору", BLUE),
    ]
    figure, axes = plt.subplots(figsize=(9, 3.8))
    width = 0.26
    for offset, (name, legend, colour) in enumerate(series):
        xs = [i + (offset - 1) * width for i in range(len(columns))]
        values = [(rates[key].share(getattr(rates[key], name)) or 0) * 100 for key, _ in columns]
        bars = axes.bar(xs, values, width, label=legend, color=colour)
        axes.bar_label(bars, labels=[_pct(v / 100) for v in values], padding=2, fontsize=9)
    axes.set_xticks(range(len(columns)), [label for _, label in columns])
    axes.set_ylim(0, 115)
    axes.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    axes.set_ylabel("Хабарламалардың үлесі\nДоля сообщений")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, frameon=False)
    return _png(figure)


def _ratings_chart(ratings: dict[int, int]) -> str:
    plt = _pyplot()
    colours = ["#c62828", "#ef6c00", "#f9a825", "#7cb342", "#2e7d32"]
    figure, axes = plt.subplots(figsize=(6.5, 3.2))
    bars = axes.bar([str(r) for r in ratings], list(ratings.values()), color=colours, width=0.6)
    axes.bar_label(bars, padding=2)
    axes.set_xlabel("Баға: 1 — нашар, 5 — өте жақсы\nОценка: 1 — плохо, 5 — отлично")
    axes.set_ylabel("Саны / Количество")
    axes.set_ylim(0, max([*ratings.values(), 1]) * 1.2)
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def _short(text: str, length: int = 48) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _topics_chart(topics: list[TopicCount], language: Lang) -> str:
    plt = _pyplot()
    names = [
        _short(t.name[language] if not t.example else f"{t.intent} («{t.example[language]}»)")
        for t in topics
    ]
    figure, axes = plt.subplots(figsize=(9, 0.42 * len(topics) + 0.8))
    bars = axes.barh(range(len(topics)), [t.count for t in topics], color=BLUE, height=0.6)
    axes.bar_label(bars, padding=3)
    axes.set_yticks(range(len(topics)), names)
    axes.invert_yaxis()
    axes.set_xlim(0, max(t.count for t in topics) * 1.15)
    axes.set_xlabel("Хабарламалар саны / Количество сообщений")
    axes.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


# The page


def _pct(share: float | None) -> str:
    """A share as editors in Kazakhstan write it: 87,5%."""
    return "—" if share is None else f"{share * 100:.1f}%".replace(".", ",")


def _decimal(value: float, places: int = 2) -> str:
    return f"{value:.{places}f}".replace(".", ",")


def _int(value: int) -> str:
    return f"{value:,}".replace(",", "\u00a0")


def _date(when: dt.datetime) -> str:
    return when.astimezone().strftime("%d.%m.%Y %H:%M")


_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    """Escaped text, with `make …` and other code in backticks shown as code."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text, quote=False))


def _both(kk: str, ru: str, tag: str = "p", css: str = "") -> str:
    """A sentence in Kazakh, then in Russian."""
    attributes = f' class="{css}"' if css else ""
    return (
        f'<{tag}{attributes}><span lang="kk">{_inline(kk)}</span>'
        f'<br><span lang="ru" class="ru">{_inline(ru)}</span></{tag}>'
    )


def _heading(kk: str, ru: str, level: int = 2) -> str:
    return f'<h{level}>{_inline(kk)}<span lang="ru" class="ru">{_inline(ru)}</span></h{level}>'


def _explain(items: Sequence[tuple[str, str, str, str]]) -> str:
    """What each number means: (term kk, term ru, one line kk, one line ru)."""
    rows = "".join(
        f"<dt>{_inline(term_kk)}"
        + (f' / <span lang="ru">{_inline(term_ru)}</span>' if term_ru != term_kk else "")
        + f'</dt><dd><span lang="kk">{_inline(kk)}</span><br>'
        f'<span lang="ru" class="ru">{_inline(ru)}</span></dd>'
        for term_kk, term_ru, kk, ru in items
    )
    return f'<dl class="explain">{rows}</dl>'


def _todo(kk: str, ru: str) -> str:
    return _both(f"Не істеу керек: {kk}", f"Что делать: {ru}", css="todo")


def _cell(text: str, key: str = "", css: str = "") -> str:
    attributes = (f' data-key="{key}"' if key else "") + (f' class="{css}"' if css else "")
    return f"<td{attributes}>{text}</td>"


def _th(kk: str, ru: str) -> str:
    return f'<th>{_inline(kk)}<br><span lang="ru" class="ru">{_inline(ru)}</span></th>'


def _section_rates(report: Report) -> str:
    rates = report.rates
    parts = [_heading("1. Бот сұрақтарды қаншалықты түсінеді", "Насколько бот понимает вопросы")]
    if not rates["all"].turns:
        parts.append(
            _both(
                "Әзірге бірде-бір хабарлама жоқ: бот іске қосылып, азаматтар жаза бастаған соң "
                "сандар осында шығады.",
                "Сообщений пока нет: числа появятся здесь, когда бот заработает и граждане "
                "начнут писать.",
            )
        )
        return "".join(parts)
    names = {"kk": ("Қазақша", "на казахском"), "ru": ("Орысша", "на русском"),
             "all": ("Барлығы", "всего")}  # fmt: skip
    rows = []
    for key, (kk, ru) in names.items():
        rate = rates[key]
        css = ' class="total"' if key == "all" else ""
        rows.append(
            f"<tr{css}><th>{kk}<br><span class=ru>{ru}</span></th>"
            + _cell(_int(rate.turns), f"turns:{key}", "num")
            + _cell(_pct(rate.share(rate.understood)), f"understood:{key}", "num")
            + _cell(_pct(rate.share(rate.fallback)), f"fallback:{key}", "num")
            + _cell(_pct(rate.share(rate.handoff)), f"handoff:{key}", "num")
            + "</tr>"
        )
    parts += [
        "<table><thead><tr>",
        _th("Тіл", "Язык"),
        _th("Хабарлама", "Сообщений"),
        _th("Түсінді", "Понял"),
        _th("Түсінбеді", "Не понял"),
        _th("Операторға берілді", "Передано оператору"),
        "</tr></thead><tbody>",
        *rows,
        "</tbody></table>",
        _rates_chart(rates),
        _explain(
            [
                (
                    "Хабарлама",
                    "Сообщений",
                    "азаматтар осы тілде ботқа жазған хабарламалар саны.",
                    "сколько сообщений граждане написали боту на этом языке.",
                ),
                (
                    "Түсінді",
                    "Понял",
                    "бот тақырыбын анықтап, жауап берген хабарламалардың үлесі; жоғары болғаны "
                    "жақсы.",
                    "доля сообщений, тему которых бот определил и ответил; чем выше, тем лучше.",
                ),
                (
                    "Түсінбеді",
                    "Не понял",
                    "бот «түсінбедім» немесе «бұл менің тақырыбым емес» деген хабарламалардың "
                    "үлесі; төмен болғаны жақсы.",
                    "доля сообщений, на которые бот ответил «не понял» или «это не моя тема»; чем "
                    "ниже, тем лучше.",
                ),
                (
                    "Операторға берілді",
                    "Передано оператору",
                    "осы хабарламадан кейін сөйлесу операторға (тірі маманға) өткен үлес.",
                    "доля сообщений, после которых разговор перешёл к оператору (живому "
                    "сотруднику).",
                ),
            ]
        ),
        _todo(
            "«Түсінбеді» үлесі өссе, 4-бөлімдегі сұрақтарды қарап, `make review` іске қосыңыз. "
            "Бір тілде екіншісінен әлдеқайда нашар болса, сол тілдегі сұрақтарды көбейтіңіз.",
            "если доля «не понял» растёт, посмотрите вопросы в разделе 4 и запустите "
            "`make review`. Если на одном языке заметно хуже, чем на другом, добавьте темам "
            "вопросов на этом языке.",
        ),
    ]
    return "".join(parts)


def _section_ratings(report: Report) -> str:
    parts = [_heading("2. Азаматтар операторлар жұмысын қалай бағалайды",
                      "Как граждане оценивают работу операторов")]  # fmt: skip
    parts.append(
        _both(
            "Оператор өтінішті жапқан соң азамат көмекті 1-ден (нашар) 5-ке (өте жақсы) дейін "
            "бағалай алады.",
            "Когда оператор закрывает обращение, гражданин может оценить помощь от 1 (плохо) "
            "до 5 (отлично).",
        )
    )
    average = report.rating_average
    if average is None:
        parts.append(_both("Әзірге баға жоқ.", "Оценок пока нет."))
        return "".join(parts)
    count = report.rating_count
    parts.append(
        f'<p class="big"><span data-key="rating:average">{_decimal(average)}</span> / 5</p>'
    )
    parts.append(
        _both(
            f"Орташа баға: 5-тен {_decimal(average)}, барлығы {_int(count)} баға.",
            f"Средняя оценка: {_decimal(average)} из 5, всего оценок: {_int(count)}.",
        )
    )
    rows = "".join(
        f"<tr><th>{rating}</th>"
        + _cell(_int(number), f"rating:{rating}", "num")
        + _cell(_pct(number / count), "", "num")
        + "</tr>"
        for rating, number in sorted(report.ratings.items())
    )
    parts += [
        '<div class="side"><table id="ratings"><thead><tr>',
        _th("Баға", "Оценка"),
        _th("Саны", "Количество"),
        _th("Үлесі", "Доля"),
        f"</tr></thead><tbody>{rows}</tbody></table>",
        _ratings_chart(report.ratings),
        "</div>",
        _explain(
            [
                (
                    "Орташа баға",
                    "Средняя оценка",
                    "барлық бағалардың орташасы; 5 — ең жақсы.",
                    "среднее всех оценок; 5 — лучшая.",
                ),
                (
                    "Саны, үлесі",
                    "Количество, доля",
                    "әр бағаны неше азамат қойды және бұл барлық бағалардың қанша бөлігі.",
                    "сколько граждан поставили каждую оценку и какая это часть всех оценок.",
                ),
            ]
        ),
        _todo(
            "1–2 баға көбейсе, ондай өтініштерді аға оператормен бірге талдаңыз: жауап "
            "толық па, тізілімдегі дерек дұрыс па.",
            "если оценок 1–2 становится больше, разберите такие обращения со старшим "
            "оператором: полон ли ответ, верны ли данные реестра.",
        ),
    ]
    return "".join(parts)


def _section_topics(report: Report) -> str:
    parts = [_heading("3. Азаматтар ең жиі не сұрайды", "О чём чаще всего спрашивают")]
    parts.append(
        _both(
            "Бот түсінген хабарламалардың тақырыптары, әр тіл бойынша бөлек, ең жиілерінен "
            "бастап. Атауы content/topics файлындағы `label` өрісінен алынған; `label` жоқ "
            "тақырыптың `intent` атауы мен бір сұрақ мысалы көрсетілген.",
            "Темы сообщений, которые бот понял, отдельно по каждому языку, начиная с самых "
            "частых. Название взято из поля `label` файла темы в content/topics; у темы без "
            "`label` показаны её `intent` и пример вопроса.",
        )
    )
    headings = {"kk": ("Қазақша хабарламалар", "Сообщения на казахском"),
                "ru": ("Орысша хабарламалар", "Сообщения на русском")}  # fmt: skip
    for language in LANGUAGES:
        parts.append(_heading(*headings[language], level=3))
        topics = report.topics[language]
        if not topics:
            parts.append(
                _both("Бұл тілде әзірге хабарлама жоқ.", "На этом языке сообщений пока нет.")
            )
            continue
        other: Lang = "ru" if language == "kk" else "kk"
        rows = []
        for rank, topic in enumerate(topics, start=1):
            if topic.example:
                example = html.escape(topic.example[language])
                name = (
                    f"<code>{html.escape(topic.intent)}</code>"
                    f'<div class="small">мысалы / например: «{example}»</div>'
                )
            else:
                name = (
                    f"{html.escape(topic.name[language])}"
                    f'<div class="small">{html.escape(topic.name[other])} · '
                    f"<code>{html.escape(topic.intent)}</code></div>"
                )
            rows.append(
                f'<tr data-intent="{html.escape(topic.intent)}"><td class="num">{rank}</td>'
                f"<td>{name}</td>"
                + _cell(_int(topic.count), "count", "num")
                + _cell(_pct(topic.share), "share", "num")
                + "</tr>"
            )
        parts += [
            f'<table id="topics-{language}"><thead><tr><th>#</th>',
            _th("Тақырып", "Тема"),
            _th("Хабарлама", "Сообщений"),
            _th("Үлесі", "Доля"),
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>",
            _topics_chart(topics, language),
        ]
    parts += [
        _explain(
            [
                (
                    "Хабарлама",
                    "Сообщений",
                    "бот осы тақырыпқа жатқызған хабарламалар саны.",
                    "сколько сообщений бот отнёс к этой теме.",
                ),
                (
                    "Үлесі",
                    "Доля",
                    "бұл осы тілдегі барлық хабарламалардың қанша бөлігі.",
                    "какая это часть всех сообщений на этом языке.",
                ),
            ]
        ),
        _todo(
            "ең жиі сұралатын тақырыптардың жауабы мен тізілімдегі деректердің (құны, мерзімі, "
            "құжаттары) өзекті екенін бірінші кезекте тексеріңіз.",
            "в первую очередь проверяйте, актуальны ли ответы и данные реестра (стоимость, "
            "сроки, документы) по самым частым темам.",
        ),
    ]
    return "".join(parts)


def _section_unanswered(report: Report) -> str:
    parts = [_heading("4. Бот жауап бере алмаған сұрақтар",
                      "Вопросы, на которые бот не смог ответить")]  # fmt: skip
    if report.last_reviewed_at:
        when = _date(report.last_reviewed_at)
        since_kk = f"Соңғы `make review` ({when}) жасалғаннан бері сақталған сұрақтар"
        since_ru = f"Вопросы, сохранённые после последнего `make review` ({when})"
    else:
        since_kk = "`make review` әлі жасалмаған, сондықтан мұнда барлық сақталған сұрақтар"
        since_ru = "`make review` ещё не запускали, поэтому здесь все сохранённые вопросы"
    parts.append(
        _both(
            f"{since_kk}: бот түсінбеген, тақырыптан тыс деп санаған немесе азамат одан кейін "
            "операторды шақырған сұрақтар. Олар мағынасы бойынша топтастырылған, `make review` "
            "дәл осылай топтайды; бір топта қазақша да, орысша да сұрақ болуы мүмкін. Ең үлкен "
            "топтар жоғарыда.",
            f"{since_ru}: бот их не понял, счёл не своей темой, или после них гражданин позвал "
            "оператора. Они сгруппированы по смыслу — так же, как это сделает `make review`; "
            "в одной группе могут быть вопросы на обоих языках. Самые большие группы — сверху.",
        )
    )
    if not report.unanswered:
        parts.append(
            _both(
                "Соңғы талдаудан бері жаңа сұрақ жоқ.",
                "Новых вопросов после последнего разбора нет.",
            )
        )
    else:
        parts.append(
            _both(
                f"Барлығы {_int(report.unanswered)} сұрақ, {_int(len(report.groups))} топ.",
                f"Всего вопросов: {_int(report.unanswered)}, групп: {_int(len(report.groups))}.",
                css="strong",
            )
        )
        if report.grouped < report.unanswered:
            parts.append(
                _both(
                    f"Топтарға ең соңғы {_int(report.grouped)} сұрақ қана кірді.",
                    f"В группы вошли только последние {_int(report.grouped)} вопросов.",
                )
            )
        rows = []
        for number, item in enumerate(report.groups[:TOP_GROUPS], start=1):
            reasons = "<br>".join(
                f"{html.escape(' / '.join(REASONS.get(reason, (reason, reason))))}: {count}"
                for reason, count in sorted(item.reasons.items(), key=lambda r: -r[1])
            )
            examples = "".join(
                f'<li><span class="lang">{language.upper()}</span> {html.escape(text)}'
                + (f' <span class="times">×{times}</span>' if times > 1 else "")
                + "</li>"
                for language, text, times in item.examples
            )
            rows.append(
                f'<tr data-key="group"><td class="num">{number}</td>'
                + _cell(_int(item.size), "group-size", "num")
                + f'<td class="small">{reasons}</td><td><ul class="examples">{examples}</ul></td>'
                "</tr>"
            )
        parts += [
            '<table id="unanswered"><thead><tr><th>#</th>',
            _th("Сұрақ саны", "Вопросов"),
            _th("Неге жауапсыз қалды", "Почему без ответа"),
            _th("Мысалдар", "Примеры"),
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>",
        ]
        if len(report.groups) > TOP_GROUPS:
            rest = len(report.groups) - TOP_GROUPS
            parts.append(
                _both(
                    f"Тағы {_int(rest)} кішірек топ `make review` файлында болады.",
                    f"Ещё групп поменьше: {_int(rest)} — они будут в файле `make review`.",
                )
            )
    if report.review_file:
        review = report.review_file
        parts.append(
            _both(
                f"Соңғы талдау файлы {review.path}: {review.groups} топ, оның "
                f"{review.without_topic} тобына әлі тақырып (`topic:`) жазылмаған.",
                f"Последний файл разбора {review.path}: групп — {review.groups}, из них без "
                f"темы (`topic:`) — {review.without_topic}.",
            )
        )
    parts += [
        _explain(
            [
                (
                    "Сұрақ саны",
                    "Вопросов",
                    "мағынасы бір сұрақтардың саны: топ неғұрлым үлкен болса, соғұрлым көп азамат "
                    "жауапсыз қалды.",
                    "сколько вопросов одного смысла: чем больше группа, тем больше граждан "
                    "остались без ответа.",
                ),
                (
                    "Неге жауапсыз қалды",
                    "Почему без ответа",
                    "«түсінбеді» — бот сұрақты түсінбеді; «тақырыптан тыс» — бот оны өз тақырыбы "
                    "емес деп санады; «операторға берілді» — бот жауап берді, бірақ азамат "
                    "операторды шақырды.",
                    "«не понял» — бот не понял вопрос; «не по теме» — бот счёл его не своей темой; "
                    "«передан оператору» — бот ответил, но гражданин позвал оператора.",
                ),
                (
                    "Мысалдар",
                    "Примеры",
                    "топта ең жиі қойылған сұрақтар, азамат жазғандай (×5 — бес рет қойылған); "
                    "ЖСН, телефон мен карта нөмірлері [IIN], [phone], [card] болып жасырылған.",
                    "самые частые вопросы группы, как их написали граждане (×5 — задан пять раз); "
                    "ИИН, телефоны и номера карт скрыты как [IIN], [phone], [card].",
                ),
            ]
        ),
        _todo(
            "`make review` іске қосыңыз: ол осы топтарды content/review/ ішіне жазады. Әр топқа "
            "`topic:` жазыңыз (қажет болса, алдымен жаңа тақырып қосыңыз), содан кейін "
            "`make train`.",
            "запустите `make review`: он запишет эти группы в content/review/. Укажите каждой "
            "группе `topic:` (если подходящей темы нет, сначала добавьте новую), затем "
            "`make train`.",
        ),
    ]
    return "".join(parts)


def _ago_kk(days: int) -> str:
    return "бүгін" if days == 0 else f"{days} күн бұрын"


def _ago_ru(days: int) -> str:
    if days == 0:
        return "сегодня"
    last, tens = days % 10, days % 100
    if last == 1 and tens != 11:
        word = "день"
    elif last in (2, 3, 4) and tens not in (12, 13, 14):
        word = "дня"
    else:
        word = "дней"
    return f"{days} {word} назад"


def _topic_cell(content: Content, intent: str) -> str:
    """A topic named by its label (both languages), or its intent and example questions."""
    names, example = _topic_name(content, intent)
    code = f"<code>{html.escape(intent)}</code>"
    if example:
        said = " / ".join(f"«{html.escape(example[language])}»" for language in LANGUAGES)
        return f'{code}<div class="small">мысалы / например: {said}</div>'
    if names["kk"] == intent:
        return code
    return f'{html.escape(names["kk"])}<div class="small">{html.escape(names["ru"])} · {code}</div>'


def _section_evaluation(report: Report) -> str:
    parts = [_heading("5. Бот тақырыптарды қаншалықты дұрыс таниды (соңғы тексеру)",
                      "Насколько верно бот узнаёт темы (последняя проверка)")]  # fmt: skip
    result = report.evaluation
    if result is None:
        parts.append(
            _both(
                "Тексеру әлі жасалмаған (reports/evaluation.json жоқ). `make evaluate` іске "
                "қосыңыз (қажет болса, ол алдымен модельді оқытады), содан кейін `make report` "
                "қайталаңыз.",
                "Проверки ещё не было (нет reports/evaluation.json). Запустите `make evaluate` "
                "(если нужно, он сначала обучит модель), затем снова `make report`.",
            )
        )
        return "".join(parts)
    made = _when(result.get("date"))
    if made:
        days = max((report.made_at - made).days, 0)
        parts.append(
            _both(
                f"Тексеру {_date(made)} жасалды ({_ago_kk(days)}).",
                f"Проверка сделана {_date(made)} ({_ago_ru(days)}).",
                css="strong",
            )
        )
    else:
        parts.append(_both("Тексеру күні белгісіз.", "Дата проверки неизвестна."))
    if report.retrained_since_evaluation:
        parts.append(
            _both(
                "Модель осы тексеруден кейін қайта оқытылған: жаңа сандар үшін `make evaluate` "
                "іске қосыңыз.",
                "Модель переобучена после этой проверки: для свежих чисел запустите "
                "`make evaluate`.",
                css="warn",
            )
        )
    messages = int(result.get("messages") or 0)
    accuracy = result.get("right_first")
    if isinstance(accuracy, int | float):
        parts.append(
            _both(
                f"Оқытуға кірмеген {_int(messages)} сынақ хабарламасының {_pct(accuracy)} "
                "бірінші жауабы дұрыс болды.",
                f"Из {_int(messages)} контрольных сообщений, которых нет в обучении, первый "
                f"ответ бота был верным у {_pct(accuracy)}.",
            )
        )
    per_intent: dict[str, dict[str, Any]] = result.get("per_intent") or {}
    rows = []
    for intent, numbers in sorted(per_intent.items(), key=lambda item: (item[1]["f1"], item[0])):
        f1 = float(numbers["f1"])
        low = f1 < LOW_F1
        bar = f'<div class="bar{" low" if low else ""}" style="width:{f1 * 100:.0f}%"></div>'
        rows.append(
            f'<tr data-intent="{html.escape(intent)}"{" class=low" if low else ""}>'
            f"<td>{_topic_cell(report.content, intent)}</td>"
            + _cell(_decimal(f1), "f1", "num")
            + f'<td class="barcell">{bar}</td>'
            + _cell(_int(int(numbers.get("support", 0))), "support", "num")
            + "</tr>"
        )
    parts += [
        '<table id="f1"><thead><tr>',
        _th("Тақырып", "Тема"),
        "<th>F1</th>",
        "<th></th>",
        _th("Сынақ сұрақтары", "Контрольных вопросов"),
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>",
        _explain(
            [
                (
                    "F1",
                    "F1",
                    "0-ден 1-ге дейін: бот осы тақырыптың сұрақтарын қаншалықты табатынын және "
                    "оған бөгде сұрақтарды қаншалықты қате жатқызбайтынын бірге көрсетеді; "
                    f"1 — қатесіз, {_decimal(LOW_F1)}-ден төмені қызылмен белгіленген.",
                    f"от 0 до 1: насколько бот находит вопросы этой темы и не относит к ней чужие; "
                    f"1 — без ошибок, ниже {_decimal(LOW_F1)} выделено красным.",
                ),
                (
                    "Сынақ сұрақтары",
                    "Контрольных вопросов",
                    "осы тақырыпқа жататын сынақ сұрақтарының саны (evaluation/heldout/): "
                    "аз болса, F1 сенімсіздеу.",
                    "сколько контрольных вопросов этой темы (evaluation/heldout/): чем их "
                    "меньше, тем менее надёжен F1.",
                ),
            ]
        ),
        _todo(
            "F1 төмен тақырыпқа азаматтар шынымен жазатындай жаңа сұрақтар қосыңыз, көрші "
            "тақырыптың сұрақтарына ұқсайтындарын алып тастаңыз, содан кейін `make train` және "
            "`make evaluate`.",
            "добавьте теме с низким F1 вопросов — так, как их правда пишут граждане, уберите "
            "вопросы, похожие на вопросы соседних тем, затем `make train` и `make evaluate`.",
        ),
    ]
    return "".join(parts)


STYLE = """
body { font-family: "Segoe UI", "DejaVu Sans", Arial, sans-serif; font-size: 16px;
  line-height: 1.45; color: #1a1a1a; max-width: 1000px; margin: 24px auto; padding: 0 20px; }
h1 { font-size: 28px; margin-bottom: 4px; }
h2 { font-size: 22px; margin-top: 44px; padding-top: 16px; border-top: 3px solid #1565c0; }
h3 { font-size: 18px; margin-top: 28px; }
h1 .ru, h2 .ru, h3 .ru { display: block; font-weight: normal; }
.ru { color: #37474f; }
table { border-collapse: collapse; margin: 12px 0 16px; }
th, td { border: 1px solid #cfd8dc; padding: 6px 10px; text-align: left; vertical-align: top; }
thead th { background: #eceff1; font-size: 14px; }
tbody th { font-weight: normal; }
tr.total td, tr.total th { font-weight: bold; }
td.num { text-align: right; white-space: nowrap; }
.small { font-size: 13px; color: #546e7a; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 90%;
  background: #eceff1; padding: 0 3px; border-radius: 3px; }
img.chart { display: block; max-width: 100%; margin: 8px 0 12px; }
dl.explain { margin: 8px 0; font-size: 15px; }
dl.explain dt { font-weight: bold; margin-top: 8px; }
dl.explain dd { margin-left: 18px; }
p.todo { background: #e3f2fd; border-left: 4px solid #1565c0; padding: 8px 12px; }
p.warn { background: #fff3e0; border-left: 4px solid #e65100; padding: 8px 12px; }
p.strong { font-weight: bold; }
p.big { font-size: 32px; font-weight: bold; margin: 8px 0 0; }
p.note { font-size: 14px; color: #546e7a; }
.side { display: flex; gap: 28px; align-items: flex-start; flex-wrap: wrap; }
ul.examples { margin: 0; padding-left: 18px; }
span.times { font-size: 13px; color: #546e7a; white-space: nowrap; }
span.lang { font-size: 11px; color: #fff; background: #78909c; border-radius: 3px;
  padding: 0 4px; margin-right: 4px; }
td.barcell { width: 220px; }
div.bar { height: 14px; background: #2e7d32; margin-top: 4px; }
div.bar.low { background: #c62828; }
tr.low td { background: #ffebee; }
"""


def render(report: Report) -> str:
    """The report as one self-contained HTML page."""
    sections = [
        _section_rates(report),
        _section_ratings(report),
        _section_topics(report),
        _section_unanswered(report),
        _section_evaluation(report),
    ]
    made = _date(report.made_at)
    return (
        '<!DOCTYPE html>\n<html lang="kk"><head><meta charset="utf-8">'
        "<title>Көмекші: есеп / отчёт</title>"
        f"<style>{STYLE}</style></head><body>"
        + _heading("Көмекші — редакторларға арналған есеп", "Көмекші — отчёт для редакторов", 1)
        + _both(
            f"Есеп {made} жасалды. Сандар бот санай бастаған күннен бері жинақталады (олар "
            "нөлденбейді).",
            f"Отчёт составлен {made}. Числа накоплены с начала подсчёта (счётчики не обнуляются).",
            css="note",
        )
        + _both(
            "Есепте жеке дерек жоқ: аты-жөні де, чат нөмірлері де жоқ; сұрақтардағы ЖСН, телефон "
            "және карта нөмірлері жасырылған.",
            "В отчёте нет личных данных: ни имён, ни номеров чатов; ИИН, телефоны и номера "
            "карт в вопросах скрыты.",
            css="note",
        )
        + "".join(sections)
        + "</body></html>\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPORT)
    parser.add_argument("--evaluation", type=Path, default=EVALUATION)
    args = parser.parse_args()
    config = settings.load({**settings.read_dotenv(ROOT / ".env"), **os.environ})
    try:
        content = Content.load(CONTENT)
    except ContentError as error:
        raise SystemExit(f"{error}\nFix the content first (`make validate`).") from error
    nothing_yet = "No data yet: start the bot with `make run` first."
    with analytics.stored(config, nothing_yet) as client:
        report = collect(client, content=content, evaluation=args.evaluation)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(report), encoding="utf-8")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"Wrote {shown}: open it in a browser.")


if __name__ == "__main__":
    main()
