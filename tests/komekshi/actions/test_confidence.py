"""Confidence bands: which intents a "did you mean …?" question offers."""

from __future__ import annotations

from komekshi.actions.confidence import ranking, suggestions

PARSE = {
    "intent": {"name": "nlu_fallback", "confidence": 0.5},
    "intent_ranking": [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "faq", "confidence": 0.45},
        {"name": "ask_service", "confidence": 0.40},
        {"name": "greet", "confidence": 0.10},
        {"name": "thanks", "confidence": 0.05},
    ],
    "response_selector": {
        "faq": {
            "ranking": [
                {"intent_response_key": "faq/hkko", "confidence": 0.9},
                {"intent_response_key": "faq/call_center", "confidence": 0.1},
            ]
        }
    },
}
LABELLED = {"faq/hkko", "faq/call_center", "ask_service", "ask_fee"}


def test_the_faq_is_ranked_by_its_topics_and_the_fallback_is_left_out() -> None:
    ranked = ranking(PARSE)
    assert [name for name, _ in ranked] == [
        "faq/hkko", "ask_service", "greet", "thanks", "faq/call_center",
    ]  # fmt: skip
    assert abs(ranked[0][1] - 0.405) < 1e-9


def test_only_labelled_intents_above_the_floor_are_offered() -> None:
    assert suggestions(PARSE, LABELLED, suggest_min=0.2) == ["faq/hkko", "ask_service"]
    assert suggestions(PARSE, LABELLED, suggest_min=0.41) == []
    assert suggestions(PARSE, LABELLED, suggest_min=0.0, limit=1) == ["faq/hkko"]
