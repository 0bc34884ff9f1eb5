"""Whether a turn goes to a person and why: Rasa's reason as it says it, the bridge's own rule."""

from __future__ import annotations

from typing import Any

import pytest

from komekshi.channel.handoff_policy import MISSES_FOR_HANDOFF, Handoff, decide, missed
from komekshi.core.vocabulary import Reason
from komekshi.desk.cases import Turn

ASKED = Turn("request_human", 0.97)
AGREED = Turn("affirm", 0.91)


def _replies(handoff: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Rasa's replies to a turn, its payload on each (as the REST channel adds it)."""
    custom = {"language": "ru", "intent": {"name": "affirm", "confidence": 0.91}}
    return [{"text": "Соединяю с оператором.", "custom": {**custom, "handoff": handoff}}]


def test_a_citizen_who_asks_goes_to_a_person_for_this_turn() -> None:
    handoff = decide(_replies({"reason": "citizen_request"}), Turn("greet", 0.9), ASKED, 0)
    assert handoff == Handoff(Reason.CITIZEN_REQUEST, ASKED, by_rasa=True)


@pytest.mark.parametrize(
    ("before", "reason"),
    [
        (Turn("complaint", 0.88), Reason.COMPLAINT),
        (Turn("out_of_scope", 0.8), Reason.OUT_OF_SCOPE),
        (Turn("nlu_fallback", 0.2), Reason.NOT_UNDERSTOOD),
    ],
)
def test_an_accepted_offer_goes_to_a_person_after_the_turn_that_made_it(
    before: Turn, reason: Reason
) -> None:
    """Rasa's reason stands; the card shows the turn after which a person was offered."""
    assert decide(_replies({"reason": str(reason)}), before, AGREED, 0) == Handoff(
        reason, before, by_rasa=True
    )


def test_the_reason_is_rasas_even_when_the_bridge_remembers_another_turn() -> None:
    handoff = decide(_replies({"reason": "citizen_request"}), Turn("complaint", 0.9), ASKED, 0)
    assert handoff and handoff.reason == Reason.CITIZEN_REQUEST


def test_turns_not_understood_in_a_row_go_to_a_person_without_rasa() -> None:
    fallback = Turn("nlu_fallback", 0.1)
    assert missed(fallback) and not missed(ASKED)
    assert decide(_replies(None), fallback, fallback, MISSES_FOR_HANDOFF - 1) is None
    assert decide(_replies(None), fallback, fallback, MISSES_FOR_HANDOFF) == Handoff(
        Reason.NOT_UNDERSTOOD, fallback, by_rasa=False
    )


def test_a_reason_outside_the_vocabulary_is_taken_as_a_request() -> None:
    handoff = decide(_replies({"reason": "after_affirm"}), None, AGREED, 0)
    assert handoff == Handoff(Reason.CITIZEN_REQUEST, AGREED, by_rasa=True)


def test_no_handoff_without_rasas_or_the_misses() -> None:
    assert decide(_replies(None), None, Turn("greet", 0.99), 0) is None
