"""The report's five sections, each a heading, its numbers, what they mean and what to do.

1. understood, fallback and handoff by language; 2. the operators' ratings; 3. the most asked
topics; 4. the questions the bot could not answer, grouped; 5. the last evaluation's F1 per
topic. The numbers come from tools/editors/report/gather.py, every word from
content/report.yml (through `Words`).
"""

from __future__ import annotations

import html
from typing import Any

from komekshi.core.language import LANGUAGES, Lang
from komekshi.core.vocabulary import RETRIEVAL_INTENTS
from komekshi.knowledge.content import Content
from tools.editors.report.charts import LANGUAGE_ROWS, rates_chart, ratings_chart, topics_chart
from tools.editors.report.gather import Report, when
from tools.editors.report.markup import (
    both,
    cell,
    decimal,
    explain,
    heading,
    moment,
    number,
    percent,
    th,
)
from tools.editors.report.words import Pair, Words

TOP_GROUPS = 10
# A topic the evaluation scores below this F1 is marked for the editors' attention.
LOW_F1 = 0.8


def _columns(section: Words, *keys: str) -> str:
    """A table's column headings, in both languages."""
    return "".join(th(section.pair(key)) for key in keys)


def _closing(words: Words, section: Words, **values: object) -> list[str]:
    """What a section's numbers mean, and what editors do about them."""
    todo = words.pair("page.todo", todo=section.pair("todo"))
    return [explain(section.explained(**values)), both(todo, css="todo")]


def topic_name(
    content: Content, words: Words, intent: str
) -> tuple[dict[Lang, str], dict[Lang, str] | None]:
    """A topic's name per language (its label) and, without a label, an example question."""
    if intent in RETRIEVAL_INTENTS:
        kk, ru = words.pair(f"topics_together.{intent}")
        return {"kk": kk, "ru": ru}, None
    topic = content.topic(intent)
    if topic and topic.label:
        return {language: str(topic.label[language]) for language in LANGUAGES}, None
    example = (
        {language: str(topic.questions[language][0]) for language in LANGUAGES}
        if topic and all(topic.questions[language] for language in LANGUAGES)
        else None
    )
    return {language: intent for language in LANGUAGES}, example


def rates(report: Report, words: Words) -> str:
    section = words.part("rates")
    counts = report.rates
    parts = [heading(section.pair("heading"))]
    if not counts["all"].turns:
        parts.append(both(section.pair("nothing_yet")))
        return "".join(parts)
    rows = []
    for key, row in LANGUAGE_ROWS.items():
        kk, ru = words.pair(f"languages.{row}")
        rate = counts[key]
        css = ' class="total"' if key == "all" else ""
        rows.append(
            f"<tr{css}><th>{html.escape(kk)}<br><span class=ru>{html.escape(ru)}</span></th>"
            + cell(number(rate.turns), f"turns:{key}", "num")
            + cell(percent(rate.share(rate.understood)), f"understood:{key}", "num")
            + cell(percent(rate.share(rate.fallback)), f"fallback:{key}", "num")
            + cell(percent(rate.share(rate.handoff)), f"handoff:{key}", "num")
            + "</tr>"
        )
    parts += [
        "<table><thead><tr>",
        _columns(section, "language", "messages", "understood", "not_understood", "handed_off"),
        "</tr></thead><tbody>",
        *rows,
        "</tbody></table>",
        rates_chart(counts, words),
        *_closing(words, section),
    ]
    return "".join(parts)


def ratings(report: Report, words: Words) -> str:
    section = words.part("ratings")
    parts = [heading(section.pair("heading")), both(section.pair("intro"))]
    average = report.rating_average
    if average is None:
        parts.append(both(section.pair("nothing_yet")))
        return "".join(parts)
    count = report.rating_count
    parts.append(
        f'<p class="big"><span data-key="rating:average">{decimal(average)}</span> / 5</p>'
    )
    parts.append(both(section.pair("average", average=decimal(average), count=number(count))))
    rows = "".join(
        f"<tr><th>{rating}</th>"
        + cell(number(given), f"rating:{rating}", "num")
        + cell(percent(given / count), "", "num")
        + "</tr>"
        for rating, given in sorted(report.ratings.items())
    )
    parts += [
        '<div class="side"><table id="ratings"><thead><tr>',
        _columns(section, "rating", "count", "share"),
        f"</tr></thead><tbody>{rows}</tbody></table>",
        ratings_chart(report.ratings, words),
        "</div>",
        *_closing(words, section),
    ]
    return "".join(parts)


def topics(report: Report, words: Words) -> str:
    section = words.part("topics")
    parts = [heading(section.pair("heading")), both(section.pair("intro"))]
    for language in LANGUAGES:
        parts.append(heading(section.pair(LANGUAGE_ROWS[language]), level=3))
        counted = report.topics[language]
        if not counted:
            parts.append(both(section.pair("nothing_yet")))
            continue
        other: Lang = "ru" if language == "kk" else "kk"
        rows, labels = [], []
        for rank, topic in enumerate(counted, start=1):
            names, example = topic_name(report.content, words, topic.intent)
            if example:
                shown = html.escape(example[language])
                name = (
                    f"<code>{html.escape(topic.intent)}</code>"
                    f'<div class="small">{_for_example(words)}«{shown}»</div>'
                )
                labels.append(f"{topic.intent} («{example[language]}»)")
            else:
                name = (
                    f"{html.escape(names[language])}"
                    f'<div class="small">{html.escape(names[other])} · '
                    f"<code>{html.escape(topic.intent)}</code></div>"
                )
                labels.append(names[language])
            rows.append(
                f'<tr data-intent="{html.escape(topic.intent)}"><td class="num">{rank}</td>'
                f"<td>{name}</td>"
                + cell(number(topic.count), "count", "num")
                + cell(percent(topic.share), "share", "num")
                + "</tr>"
            )
        parts += [
            f'<table id="topics-{language}"><thead><tr><th>#</th>',
            _columns(section, "topic", "messages", "share"),
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>",
            topics_chart(counted, labels, words),
        ]
    parts += _closing(words, section)
    return "".join(parts)


def _for_example(words: Words) -> str:
    """«for example», before a question of a topic without a label."""
    return html.escape(words.joined("page.for_example")) + ": "


def _reasons(words: Words, reasons: dict[str, int]) -> str:
    """Why a group's questions went unanswered, most frequent first."""
    lines = []
    for reason, count in sorted(reasons.items(), key=lambda r: -r[1]):
        key = f"unanswered.reasons.{reason}"
        named = words.joined(key) if words.has(key) else f"{reason} / {reason}"
        lines.append(f"{html.escape(named)}: {count}")
    return "<br>".join(lines)


def unanswered(report: Report, words: Words) -> str:
    section = words.part("unanswered")
    parts = [heading(section.pair("heading"))]
    if report.last_reviewed_at:
        since = section.pair("since_review", when=moment(report.last_reviewed_at))
    else:
        since = section.pair("since_ever")
    parts.append(both(section.pair("intro", since=since)))
    if not report.unanswered:
        parts.append(both(section.pair("nothing_new")))
    else:
        total = section.pair(
            "total", questions=number(report.unanswered), groups=number(len(report.groups))
        )
        parts.append(both(total, css="strong"))
        if report.grouped < report.unanswered:
            parts.append(both(section.pair("newest_only", grouped=number(report.grouped))))
        rows = []
        for rank, item in enumerate(report.groups[:TOP_GROUPS], start=1):
            examples = "".join(
                f'<li><span class="lang">{language.upper()}</span> {html.escape(text)}'
                + (f' <span class="times">×{times}</span>' if times > 1 else "")
                + "</li>"
                for language, text, times in item.examples
            )
            rows.append(
                f'<tr data-key="group"><td class="num">{rank}</td>'
                + cell(number(item.size), "group-size", "num")
                + f'<td class="small">{_reasons(words, item.reasons)}</td>'
                f'<td><ul class="examples">{examples}</ul></td></tr>'
            )
        parts += [
            '<table id="unanswered"><thead><tr><th>#</th>',
            _columns(section, "questions", "why", "examples"),
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>",
        ]
        if len(report.groups) > TOP_GROUPS:
            rest = number(len(report.groups) - TOP_GROUPS)
            parts.append(both(section.pair("more_groups", rest=rest)))
    if report.review_file:
        review = report.review_file
        parts.append(
            both(
                section.pair(
                    "review_file",
                    path=review.path,
                    groups=review.groups,
                    without_topic=review.without_topic,
                )
            )
        )
    parts += _closing(words, section)
    return "".join(parts)


def _ago(section: Words, days: int) -> Pair:
    """«3 days ago» in both languages; Russian has a form for 1, for 2–4 and for the rest."""
    if days == 0:
        return section.pair("today")
    last, tens = days % 10, days % 100
    if last == 1 and tens != 11:
        form = "one"
    elif last in (2, 3, 4) and tens not in (12, 13, 14):
        form = "few"
    else:
        form = "many"
    return section.pair(f"days_ago_{form}", days=days)


def _topic_cell(report: Report, words: Words, intent: str) -> str:
    """A topic named by its label (both languages), or its intent and example questions."""
    names, example = topic_name(report.content, words, intent)
    code = f"<code>{html.escape(intent)}</code>"
    if example:
        said = " / ".join(f"«{html.escape(example[language])}»" for language in LANGUAGES)
        return f'{code}<div class="small">{_for_example(words)}{said}</div>'
    if names["kk"] == intent:
        return code
    return f'{html.escape(names["kk"])}<div class="small">{html.escape(names["ru"])} · {code}</div>'


def evaluation(report: Report, words: Words) -> str:
    section = words.part("evaluation")
    parts = [heading(section.pair("heading"))]
    result = report.evaluation
    if result is None:
        parts.append(both(section.pair("nothing_yet")))
        return "".join(parts)
    made = when(result.get("date"))
    if made:
        days = max((report.made_at - made).days, 0)
        parts.append(
            both(section.pair("made", date=moment(made), ago=_ago(section, days)), css="strong")
        )
    else:
        parts.append(both(section.pair("no_date")))
    if report.retrained_since_evaluation:
        parts.append(both(section.pair("retrained"), css="warn"))
    messages = int(result.get("messages") or 0)
    accuracy = result.get("right_first")
    if isinstance(accuracy, int | float):
        right = section.pair("right_first", messages=number(messages), share=percent(accuracy))
        parts.append(both(right))
    per_intent: dict[str, dict[str, Any]] = result.get("per_intent") or {}
    rows = []
    for intent, numbers in sorted(per_intent.items(), key=lambda item: (item[1]["f1"], item[0])):
        f1 = float(numbers["f1"])
        low = f1 < LOW_F1
        bar = f'<div class="bar{" low" if low else ""}" style="width:{f1 * 100:.0f}%"></div>'
        rows.append(
            f'<tr data-intent="{html.escape(intent)}"{" class=low" if low else ""}>'
            f"<td>{_topic_cell(report, words, intent)}</td>"
            + cell(decimal(f1), "f1", "num")
            + f'<td class="barcell">{bar}</td>'
            + cell(number(int(numbers.get("support", 0))), "support", "num")
            + "</tr>"
        )
    parts += [
        '<table id="f1"><thead><tr>',
        _columns(section, "topic"),
        "<th>F1</th><th></th>",
        _columns(section, "questions"),
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>",
        *_closing(words, section, low=decimal(LOW_F1)),
    ]
    return "".join(parts)
