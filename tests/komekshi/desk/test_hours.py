"""Working hours and holidays: when operators answer, and when they are back."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from komekshi.desk.hours import Schedule, ScheduleError, ScheduleFile, parse
from tests.conftest import ROOT

ALMATY = ZoneInfo("Asia/Almaty")
WEEK = {
    "monday": ["09:00-13:00", "14:00-18:00"],
    "tuesday": ["09:00-18:00"],
    "wednesday": ["09:00-18:00"],
    "thursday": ["09:00-18:00"],
    "friday": ["09:00-18:00"],
    "saturday": ["10:00-14:00"],
    "sunday": [],
}
# Friday 8 May 2026 is a working day between the holidays of 7 and 9 May.
SCHEDULE = parse(
    {"timezone": "Asia/Almaty", "hours": WEEK, "holidays": [dt.date(2026, 5, 7)]}, "test"
)


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (_at(2026, 5, 4, 9, 0), True),  # Monday opening minute
        (_at(2026, 5, 4, 13, 30), False),  # lunch
        (_at(2026, 5, 4, 18, 0), False),  # closing minute
        (_at(2026, 5, 7, 11, 0), False),  # a holiday on a Thursday
        (_at(2026, 5, 9, 11, 0), True),  # Saturday
        (_at(2026, 5, 10, 11, 0), False),  # Sunday
        (dt.datetime(2026, 5, 4, 4, 30, tzinfo=dt.UTC), True),  # 09:30 in Almaty
    ],
)
def test_is_open(moment: dt.datetime, is_open: bool) -> None:
    assert SCHEDULE.is_open(moment) is is_open


@pytest.mark.parametrize(
    ("moment", "opening"),
    [
        (_at(2026, 5, 4, 10, 0), _at(2026, 5, 4, 10, 0)),  # open: now
        (_at(2026, 5, 4, 13, 5), _at(2026, 5, 4, 14, 0)),  # after lunch
        (_at(2026, 5, 4, 7, 0), _at(2026, 5, 4, 9, 0)),  # before opening
        (_at(2026, 5, 6, 19, 0), _at(2026, 5, 8, 9, 0)),  # the holiday is skipped
        (_at(2026, 5, 9, 15, 0), _at(2026, 5, 11, 9, 0)),  # Saturday evening to Monday
    ],
)
def test_next_opening(moment: dt.datetime, opening: dt.datetime) -> None:
    assert SCHEDULE.next_opening(moment) == opening


@given(st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31)))
def test_the_next_opening_is_open_and_nothing_before_it_is(naive: dt.datetime) -> None:
    moment = naive.replace(tzinfo=ALMATY)
    opening = SCHEDULE.next_opening(moment)
    assert opening >= moment and SCHEDULE.is_open(opening)
    if opening > moment:
        step = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        while step < opening:
            assert not SCHEDULE.is_open(step)
            step += dt.timedelta(minutes=29)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": {**WEEK, "monday": ["9-18"]}}, "hours.monday: '9-18' is not HH:MM-HH:MM"),
        ({"hours": {**WEEK, "monday": ["18:00-09:00"]}}, "not a range within one day"),
        ({"hours": {**WEEK, "mondya": []}}, "hours: expected weekdays"),
        ({"hours": {day: [] for day in WEEK}}, "no working hours on any day"),
        ({"holidays": ["first of May"]}, "holidays: expected a list of YYYY-MM-DD dates"),
        ({"timezone": "Asia/Nowhere"}, "timezone: unknown time zone"),
    ],
)
def test_a_malformed_file_is_named_with_its_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse({"timezone": "Asia/Almaty", "hours": WEEK, **change}, "operators.yml")


def test_the_shipped_operators_yml_is_valid() -> None:
    schedule = ScheduleFile(ROOT / "operators.yml").current()
    assert isinstance(schedule, Schedule)
    assert dt.date(2026, 3, 23) in schedule.holidays
    assert not schedule.is_open(_at(2026, 3, 23, 10, 0))  # Nauryz, a Monday
    assert schedule.is_open(_at(2026, 3, 24, 10, 0))


def test_the_file_is_reread_when_it_changes_and_a_bad_edit_keeps_the_last_good(
    tmp_path: Path,
) -> None:
    path = tmp_path / "operators.yml"
    path.write_text(yaml.safe_dump({"hours": WEEK}), encoding="utf-8")
    hours = ScheduleFile(path)
    assert hours.current().week[6] == ()
    path.write_text(yaml.safe_dump({"hours": {**WEEK, "sunday": ["10:00-12:00"]}}))
    os.utime(path, ns=(1, 1))  # a new modification time, even within the same tick
    assert hours.current().week[6] == ((600, 720),)
    path.write_text("hours: [broken")
    assert hours.current().week[6] == ((600, 720),)
