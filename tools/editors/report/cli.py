"""`make report`'s command line: read the words and the numbers, write reports/report.html.

The words are read first, so that a mistake in content/report.yml stops the report before it
reaches for the bot's Redis.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from komekshi.core import settings
from komekshi.core.settings import ROOT
from komekshi.knowledge.content import CONTENT, Content
from komekshi.knowledge.located_yaml import ContentError
from tools.editors.bot_redis import stored
from tools.editors.report.gather import EVALUATION, collect
from tools.editors.report.page import render
from tools.editors.report.words import Words

REPORT = ROOT / "reports" / "report.html"


def main() -> None:
    parser = argparse.ArgumentParser(
        description="`make report`: how the bot is doing, on one HTML page for the content editors."
    )
    parser.add_argument("--out", type=Path, default=REPORT)
    parser.add_argument("--evaluation", type=Path, default=EVALUATION)
    args = parser.parse_args()
    config = settings.load({**settings.read_dotenv(ROOT / ".env"), **os.environ})
    try:
        words = Words.load()
        content = Content.load(CONTENT)
    except ContentError as error:
        raise SystemExit(f"{error}\nFix the content first (`make validate`).") from error
    nothing_yet = "No data yet: start the bot with `make run` first."
    with stored(config, nothing_yet) as client:
        report = collect(client, content=content, evaluation=args.evaluation)
    try:
        page = render(report, words)
    except ContentError as error:
        raise SystemExit(
            f"{error}\nFix content/report.yml, then run `make report` again."
        ) from error
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"Wrote {shown}: open it in a browser.")
