"""The classes the linear classifier reports, as Rasa's ResponseSelector would."""

from __future__ import annotations

from komekshi.actions.confidence import ranking
from komekshi.rasa_server.components.intent_classifier import retrieval_selection

LABELS = [
    "ask_service/id_card_replacement",
    "ask_service/passport_issuance",
    "faq/egov_password",
    "faq/hkko",
    "greet",
]


def test_each_retrieval_intent_ranks_its_classes_by_their_share() -> None:
    selection = retrieval_selection(LABELS, [0.2, 0.1, 0.1, 0.5, 0.1])
    assert selection is not None
    assert selection["all_retrieval_intents"] == ["ask_service", "faq"]
    chosen = selection["faq"]["response"]
    assert chosen["intent_response_key"] == "faq/hkko"
    assert chosen["utter_action"] == "utter_faq/hkko"
    assert abs(chosen["confidence"] - 5 / 6) < 1e-9
    services = selection["ask_service"]["ranking"]
    assert [s["intent_response_key"] for s in services] == [
        "ask_service/id_card_replacement",
        "ask_service/passport_issuance",
    ]
    assert abs(sum(s["confidence"] for s in services) - 1.0) < 1e-9


def test_did_you_mean_ranks_classes_by_their_share_of_their_intent() -> None:
    parse = {
        "intent_ranking": [
            {"name": "faq", "confidence": 0.6},
            {"name": "ask_service", "confidence": 0.3},
            {"name": "greet", "confidence": 0.1},
        ],
        "response_selector": retrieval_selection(LABELS, [0.2, 0.1, 0.1, 0.5, 0.1]),
    }
    names = [name for name, _ in ranking(parse)]
    assert names[:3] == ["faq/hkko", "ask_service/id_card_replacement", "faq/egov_password"]


def test_no_retrieval_classes_no_selection() -> None:
    assert retrieval_selection(["greet", "goodbye"], [0.5, 0.5]) is None
