"""The case card: every reason a case can have reads on it in the operators' language."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from komekshi.core.vocabulary import Reason
from komekshi.desk.cards import Button, Cards
from komekshi.desk.cases import Case, Status
from komekshi.knowledge import responses

CARDS = Cards(responses.load(), "ru")


def _case(reason: str) -> Case:
    return Case(
        id=7, chat_id=42, language="kk", reason=reason, status=Status.WAITING,
        first_name="Айгерім", intent="complaint", confidence=0.88, opened_at=1_700_000_000.0,
        queued_at=1_700_000_000.0, first_claimed_at=None, operator_id=None,
        card_message_id=None, topic_id=None, card_transcript="citizen: жалоба",
        resolution="", rating=None,
    )  # fmt: skip


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_reads_on_the_card(reason: Reason) -> None:
    text, buttons = CARDS.card(_case(reason), {}, ZoneInfo("Asia/Almaty"))
    assert f"Причина: {CARDS.text(f'utter_operator_reason_{reason}')}" in text
    assert "Распознанное намерение: complaint (0.88)" in text
    assert [data for row in buttons for _, data in row] == ["claim:7"]


def test_buttons_parse_back() -> None:
    assert Button.parse("transfer:7:1001") == Button("transfer", 7, "1001")
    assert Button.parse("rate:7:5") == Button("rate", 7, "5")
    assert Button.parse("/request_human") is None
