"""How the report writes numbers and bilingual HTML: every text in Kazakh, then in Russian.

Numbers as editors in Kazakhstan write them (87,5%; 1 234), and the few HTML shapes every
section repeats (a sentence, a heading, a column, an explanation, what to do), each taking its
words as a (kk, ru) pair from content/report.yml.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence

from tools.editors.report.words import Pair

_CODE = re.compile(r"`([^`]+)`")


def percent(share: float | None) -> str:
    """A share as editors in Kazakhstan write it: 87,5%."""
    return "—" if share is None else f"{share * 100:.1f}%".replace(".", ",")


def decimal(value: float, places: int = 2) -> str:
    return f"{value:.{places}f}".replace(".", ",")


def number(value: int) -> str:
    return f"{value:,}".replace(",", "\u00a0")


def moment(when: dt.datetime) -> str:
    return when.astimezone().strftime("%d.%m.%Y %H:%M")


def inline(text: str) -> str:
    """Escaped text, with `make …` and other code in backticks shown as code."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text, quote=False))


def both(words: Pair, tag: str = "p", css: str = "") -> str:
    """A sentence in Kazakh, then in Russian."""
    kk, ru = words
    attributes = f' class="{css}"' if css else ""
    return (
        f'<{tag}{attributes}><span lang="kk">{inline(kk)}</span>'
        f'<br><span lang="ru" class="ru">{inline(ru)}</span></{tag}>'
    )


def heading(words: Pair, level: int = 2) -> str:
    kk, ru = words
    return f'<h{level}>{inline(kk)}<span lang="ru" class="ru">{inline(ru)}</span></h{level}>'


def explain(items: Sequence[tuple[Pair, Pair]]) -> str:
    """What each number means: (its name, one line about it)."""
    rows = "".join(
        f"<dt>{inline(term_kk)}"
        + (f' / <span lang="ru">{inline(term_ru)}</span>' if term_ru != term_kk else "")
        + f'</dt><dd><span lang="kk">{inline(kk)}</span><br>'
        f'<span lang="ru" class="ru">{inline(ru)}</span></dd>'
        for (term_kk, term_ru), (kk, ru) in items
    )
    return f'<dl class="explain">{rows}</dl>'


def cell(text: str, key: str = "", css: str = "") -> str:
    attributes = (f' data-key="{key}"' if key else "") + (f' class="{css}"' if css else "")
    return f"<td{attributes}>{text}</td>"


def th(words: Pair) -> str:
    kk, ru = words
    return f'<th>{inline(kk)}<br><span lang="ru" class="ru">{inline(ru)}</span></th>'
