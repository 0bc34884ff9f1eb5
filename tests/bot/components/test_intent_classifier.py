"""The FAQ topic the linear classifier reports, as Rasa's ResponseSelector would."""

from __future__ import annotations

from bot.components.intent_classifier import topic_selection
from bot.confidence import ranking


def test_the_likeliest_topic_is_answered_with_its_response() -> None:
    labels = ["ask_service", "faq/egov_password", "faq/hkko", "greet"]
    selection = topic_selection(labels, [0.2, 0.1, 0.6, 0.1])
    assert selection is not None
    chosen = selection["default"]["response"]
    assert chosen["intent_response_key"] == "faq/hkko"
    assert chosen["utter_action"] == "utter_faq/hkko"
    assert selection["all_retrieval_intents"] == ["faq"]
    shares = [t["confidence"] for t in selection["default"]["ranking"]]
    assert [t["intent_response_key"] for t in selection["default"]["ranking"]] == [
        "faq/hkko",
        "faq/egov_password",
    ]
    assert abs(sum(shares) - 1.0) < 1e-9 and abs(chosen["confidence"] - 6 / 7) < 1e-9


def test_did_you_mean_ranks_topics_by_their_share_of_the_faq() -> None:
    labels = ["ask_service", "faq/egov_password", "faq/hkko"]
    parse = {
        "intent_ranking": [
            {"name": "faq", "confidence": 0.5},
            {"name": "ask_service", "confidence": 0.4},
        ],
        "response_selector": topic_selection(labels, [0.4, 0.2, 0.5]),
    }
    names = [name for name, _ in ranking(parse)]
    assert names == ["ask_service", "faq/hkko", "faq/egov_password"]


def test_no_topics_no_selection() -> None:
    assert topic_selection(["greet", "goodbye"], [0.5, 0.5]) is None
