"""The one clock of the bridge and the desk, so that a test moves time for all of them at once.

Everything that stamps or schedules (kept messages, retried deliveries, cases, the desk's
caches and working hours) asks this module, at call time, rather than `datetime` itself:
tests replace `now` here and every reader follows.
"""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """This moment, in UTC (an aware datetime)."""
    return dt.datetime.now(dt.UTC)


def timestamp() -> float:
    """This moment as seconds since the epoch (what Redis scores and case fields hold)."""
    return now().timestamp()
