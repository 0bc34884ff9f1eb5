"""The bridge's own log masks personal numbers in tracebacks too, not only in messages."""

from __future__ import annotations

import logging

import pytest

from komekshi.core.privacy import configure_logging


def test_a_traceback_carrying_a_number_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO")
    try:
        raise KeyError("ИИН 950712400817, карта 5169 4931 2345 6781")
    except KeyError:
        logging.getLogger("komekshi.test").exception("Update failed for +7 707 555 12 34")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    logged = capsys.readouterr().err
    assert "Traceback" in logged and "KeyError" in logged
    assert "[phone]" in logged and "[IIN]" in logged and "[card]" in logged
    for digits in ("950712400817", "5169 4931", "555 12 34"):
        assert digits not in logged
