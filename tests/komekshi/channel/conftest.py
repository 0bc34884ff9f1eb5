"""Time the channel's tests move by hand: the one clock (komekshi/core/clock.py), replaced."""

from __future__ import annotations

import datetime as dt

import pytest

from komekshi.core import clock as the_clock


class Clock:
    """Time as the bridge sees it, in seconds since the epoch, moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now, dt.UTC)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(2_000_000.0)
    monkeypatch.setattr(the_clock, "now", clock)
    return clock
