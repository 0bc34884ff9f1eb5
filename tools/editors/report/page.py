"""The report as one self-contained HTML page: its style, its title, and the five sections.

Self-contained so that editors can keep it, mail it or open it without a network: the style
is inline and the charts are PNG images inside the page.
"""

from __future__ import annotations

import html

from tools.editors.report import sections
from tools.editors.report.gather import Report
from tools.editors.report.markup import both, heading, moment
from tools.editors.report.words import Words

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


def render(report: Report, words: Words | None = None) -> str:
    """The report as one self-contained HTML page, in the words of content/report.yml
    (`words`, read from there when not given)."""
    words = words or Words.load()
    page = words.part("page")
    parts = [
        sections.rates(report, words),
        sections.ratings(report, words),
        sections.topics(report, words),
        sections.unanswered(report, words),
        sections.evaluation(report, words),
    ]
    made = moment(report.made_at)
    return (
        '<!DOCTYPE html>\n<html lang="kk"><head><meta charset="utf-8">'
        f"<title>{html.escape(page.joined('title'), quote=False)}</title>"
        f"<style>{STYLE}</style></head><body>"
        + heading(page.pair("heading"), 1)
        + both(page.pair("made", made=made), css="note")
        + both(page.pair("private"), css="note")
        + "".join(parts)
        + "</body></html>\n"
    )
