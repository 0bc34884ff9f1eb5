"""Sentences the bot says, in Rasa's response format, from the editors' content.

Rasa renders most replies itself; the Telegram bridge (when Rasa is down, for stickers, for
operator relays) and the actions (for pieces of a register answer) need the same sentences,
so they read them from the same content (komekshi/knowledge/content.py) instead of keeping a
second copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from komekshi.core.language import Lang
from komekshi.knowledge.content import CONTENT, Content

Responses = Mapping[str, list[dict[str, Any]]]


def load(content_path: Path = CONTENT) -> Responses:
    """Every response of the content, as Rasa's domain has them."""
    return Content.load(content_path).responses()


def variation(responses: Responses, name: str, language: Lang) -> dict[str, Any]:
    """The variation of a response whose `language` slot condition matches."""
    for candidate in responses[name]:
        for condition in candidate.get("condition", []):
            if condition.get("name") == "language" and condition.get("value") == language:
                return candidate
    raise KeyError(f"response {name} has no {language} variation")


def text(responses: Responses, name: str, language: Lang, /, **values: Any) -> str:
    """The text of a response in one language, with its {placeholders} filled in."""
    template: str = variation(responses, name, language)["text"]
    return template.format(**values) if values else template
