"""The report's charts, as inline PNG images: the page loads nothing from elsewhere.

matplotlib with DejaVu Sans, which has every Kazakh letter (ә ғ қ ң ө ұ ү һ і); the labels
are the page's words (content/report.yml), in both languages.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from tools.editors.report.gather import Rates, TopicCount
from tools.editors.report.markup import percent
from tools.editors.report.words import Words

GREEN, ORANGE, BLUE = "#2e7d32", "#e65100", "#1565c0"
# Section 1's columns: the rates of each language, then of all, named in content/report.yml.
LANGUAGE_ROWS = {"kk": "kazakh", "ru": "russian", "all": "all"}


def _pyplot() -> Any:
    # Imported here: matplotlib takes a second to load, and choosing its backend (Agg, no
    # screen) is work that belongs to drawing, not to importing this module.
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


def rates_chart(rates: dict[str, Rates], words: Words) -> str:
    """Understood, not understood and handed off, by language (section 1)."""
    plt = _pyplot()
    columns = [(key, words.joined(f"languages.{row}", "\n")) for key, row in LANGUAGE_ROWS.items()]
    series = [
        ("understood", words.joined("rates.understood"), GREEN),
        ("fallback", words.joined("rates.not_understood"), ORANGE),
        ("handoff", words.joined("rates.handed_off"), BLUE),
    ]
    figure, axes = plt.subplots(figsize=(9, 3.8))
    width = 0.26
    for offset, (name, legend, colour) in enumerate(series):
        xs = [i + (offset - 1) * width for i in range(len(columns))]
        values = [(rates[key].share(getattr(rates[key], name)) or 0) * 100 for key, _ in columns]
        bars = axes.bar(xs, values, width, label=legend, color=colour)
        axes.bar_label(bars, labels=[percent(v / 100) for v in values], padding=2, fontsize=9)
    axes.set_xticks(range(len(columns)), [label for _, label in columns])
    axes.set_ylim(0, 115)
    axes.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    axes.set_ylabel(words.joined("rates.chart_axis", "\n"))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, frameon=False)
    return _png(figure)


def ratings_chart(ratings: dict[int, int], words: Words) -> str:
    """How many citizens gave each rating (section 2)."""
    plt = _pyplot()
    colours = ["#c62828", "#ef6c00", "#f9a825", "#7cb342", "#2e7d32"]
    figure, axes = plt.subplots(figsize=(6.5, 3.2))
    bars = axes.bar([str(r) for r in ratings], list(ratings.values()), color=colours, width=0.6)
    axes.bar_label(bars, padding=2)
    axes.set_xlabel(words.joined("ratings.chart_axis", "\n"))
    axes.set_ylabel(words.joined("ratings.count"))
    axes.set_ylim(0, max([*ratings.values(), 1]) * 1.2)
    axes.yaxis.get_major_locator().set_params(integer=True)
    return _png(figure)


def _short(text: str, length: int = 48) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def topics_chart(topics: list[TopicCount], names: list[str], words: Words) -> str:
    """The most frequent topics of one language, each named by `names` (section 3)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(9, 0.42 * len(topics) + 0.8))
    bars = axes.barh(range(len(topics)), [t.count for t in topics], color=BLUE, height=0.6)
    axes.bar_label(bars, padding=3)
    axes.set_yticks(range(len(topics)), [_short(name) for name in names])
    axes.invert_yaxis()
    axes.set_xlim(0, max(t.count for t in topics) * 1.15)
    axes.set_xlabel(words.joined("topics.chart_axis"))
    axes.xaxis.get_major_locator().set_params(integer=True)
    return _png(figure)
