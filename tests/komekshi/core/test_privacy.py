"""Personal numbers never reach logs or case cards."""

from __future__ import annotations

import logging

import pytest

from komekshi.core.privacy import MaskingFilter, mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("мой ИИН 900101300123", "мой ИИН [IIN]"),
        ("звоните +7 701 123 45 67", "звоните [phone]"),
        ("тел 87011234567!", "тел [phone]!"),
        ("карта 4400 4301 2345 6789", "карта [card]"),
        ("karta 4400430123456789", "karta [card]"),
    ],
)
def test_personal_numbers_are_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize("text", ["call 1414", "за 2 месяца", "0,2 МРП", "code 12345678"])
def test_ordinary_numbers_stay(text: str) -> None:
    assert mask(text) == text


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("komekshi.test")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="komekshi.test"):
        logger.info("citizen wrote %s", "ИИН 900101300123, +77011234567")
    assert "900101300123" not in caplog.text
    assert "7011234567" not in caplog.text
    assert "[IIN]" in caplog.text and "[phone]" in caplog.text
