"""Confidence bands: answer, ask "did you mean …?", or offer a person.

Rasa's FallbackClassifier (config.yml) turns a message into `nlu_fallback` when the model is
not confident enough (`threshold`) or two intents are too close (`ambiguity_threshold`).
For such a message the bot does not guess: the services and topics still in the running,
those at `suggest_min` confidence or more (quality.yml), become "did you mean …?" buttons
with their names in the citizen's language; when none is, the bot says it did not understand
and offers a person. A second miss in a row goes to a person (the Telegram bridge). The
numbers were chosen by `make tune` (docs/nlu.md) on out-of-fold predictions for the
training questions.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from komekshi.core.vocabulary import FALLBACK, RETRIEVAL_INTENTS


def ranking(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """The classes of a parse, best first, each retrieval intent resolved to its classes
    (`faq/hkko`, `ask_service/<id>`).

    A retrieval intent's confidence is shared among its classes by the selector's ranking
    (komekshi/rasa_server/components/intent_classifier.py), so `faq` at 0.6 with `faq/hkko`
    at 0.9 of it ranks `faq/hkko` at 0.54.
    """
    ranked: list[tuple[str, float]] = []
    selectors = parse.get("response_selector") or {}
    for item in parse.get("intent_ranking") or []:
        name, confidence = item.get("name"), float(item.get("confidence") or 0.0)
        if not name or name == FALLBACK:
            continue
        selector = selectors.get(name) if name in RETRIEVAL_INTENTS else None
        if selector:
            for member in selector.get("ranking") or []:
                ranked.append((member["intent_response_key"], confidence * member["confidence"]))
        else:
            ranked.append((name, confidence))
    return sorted(ranked, key=lambda pair: -pair[1])


def suggestions(
    parse: dict[str, Any], labelled: Collection[str], suggest_min: float, limit: int = 3
) -> list[str]:
    """The classes to offer as "did you mean …?" buttons, best first (may be none)."""
    return [
        intent
        for intent, confidence in ranking(parse)
        if intent in labelled and confidence >= suggest_min
    ][:limit]
