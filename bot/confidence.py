"""Confidence bands: answer, ask "did you mean …?", or offer a person.

Rasa's FallbackClassifier (config.yml) turns a message into `nlu_fallback` when the model is
not confident enough (`threshold`) or two intents are too close (`ambiguity_threshold`).
For such a message the bot does not guess: the intents still in the running, those at
`suggest_min` confidence or more (quality.yml) and with a label to show, become "did you
mean …?" buttons; when none is, the bot says it did not understand and offers a person. A
second miss in a row goes to a person (the Telegram bridge). The three numbers were chosen by
`make tune` (docs/nlu.md) on out-of-fold predictions for the training questions.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

FALLBACK = "nlu_fallback"
# Intents whose answer is one of their topics (faq/…), as the classifier picks it.
RETRIEVAL = ("faq",)


def ranking(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """The intents of a parse, best first, the FAQ resolved to its topics (`faq/hkko`).

    A retrieval intent's confidence is shared among its topics by the response selector's
    ranking (bot/components/intent_classifier.py), so `faq` at 0.6 with `faq/hkko` at 0.9
    of it ranks `faq/hkko` at 0.54.
    """
    ranked: list[tuple[str, float]] = []
    selectors = parse.get("response_selector") or {}
    for item in parse.get("intent_ranking") or []:
        name, confidence = item.get("name"), float(item.get("confidence") or 0.0)
        if not name or name == FALLBACK:
            continue
        selector = selectors.get(name) or (selectors.get("default") if name in RETRIEVAL else None)
        if name in RETRIEVAL and selector:
            for topic in selector.get("ranking") or []:
                ranked.append((topic["intent_response_key"], confidence * topic["confidence"]))
        else:
            ranked.append((name, confidence))
    return sorted(ranked, key=lambda pair: -pair[1])


def suggestions(
    parse: dict[str, Any], labelled: Collection[str], suggest_min: float, limit: int = 3
) -> list[str]:
    """The intents to offer as "did you mean …?" buttons, best first (may be none)."""
    return [
        intent
        for intent, confidence in ranking(parse)
        if intent in labelled and confidence >= suggest_min
    ][:limit]
