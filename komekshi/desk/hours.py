"""When operators work: weekly hours and holidays from `operators.yml`.

Outside these hours a citizen who asks for a person is told when operators are back and may
leave a message, which reaches the queue at opening. The file is content, kept by whoever
runs the desk: it is reread when it changes, so a new holiday needs no restart, and a broken
edit keeps the last good schedule (and says so in the log) instead of stopping the bot.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RANGE = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
# How far ahead an opening is looked for: a year of holidays at most.
_HORIZON_DAYS = 400


class ScheduleError(ValueError):
    """operators.yml is malformed; the message names the file and the field."""


@dataclass(frozen=True)
class Schedule:
    """Opening hours as minutes since midnight, per weekday (Monday first), local time."""

    timezone: ZoneInfo
    week: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[dt.date]
    default_wait_minutes: int

    def _ranges(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        return () if day in self.holidays else self.week[day.weekday()]

    def is_open(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.timezone)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < end for start, end in self._ranges(local.date()))

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself when open, else the local time operators start again."""
        local = moment.astimezone(self.timezone)
        if self.is_open(local):
            return local
        minute = local.hour * 60 + local.minute
        for offset in range(_HORIZON_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            for start, _ in self._ranges(day):
                if offset or start > minute:
                    midnight = dt.datetime.combine(day, dt.time(), self.timezone)
                    return midnight + dt.timedelta(minutes=start)
        raise ScheduleError(f"no working hours in the next {_HORIZON_DAYS} days")


def _minutes(text: str, where: str) -> tuple[int, int]:
    match = _RANGE.match(text.replace(" ", ""))
    if not match:
        raise ScheduleError(f"{where}: {text!r} is not HH:MM-HH:MM")
    hour1, minute1, hour2, minute2 = map(int, match.groups())
    start, end = hour1 * 60 + minute1, hour2 * 60 + minute2
    if minute1 > 59 or minute2 > 59 or not 0 <= start < end <= 24 * 60:
        raise ScheduleError(f"{where}: {text!r} is not a range within one day")
    return start, end


def parse(data: Any, source: str) -> Schedule:
    """A schedule from the YAML document of operators.yml (`source` names it in errors)."""
    if not isinstance(data, dict):
        raise ScheduleError(f"{source}: expected a mapping with timezone, hours and holidays")
    try:
        timezone = ZoneInfo(str(data.get("timezone", "Asia/Almaty")))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScheduleError(f"{source}: timezone: unknown time zone") from error
    hours = data.get("hours")
    if not isinstance(hours, dict) or set(hours) - set(WEEKDAYS):
        raise ScheduleError(f"{source}: hours: expected weekdays {', '.join(WEEKDAYS)}")
    week = []
    for name in WEEKDAYS:
        ranges = hours.get(name) or []
        if not isinstance(ranges, list):
            raise ScheduleError(f"{source}: hours.{name}: expected a list of HH:MM-HH:MM")
        week.append(tuple(sorted(_minutes(str(r), f"{source}: hours.{name}") for r in ranges)))
    if not any(week):
        raise ScheduleError(f"{source}: hours: no working hours on any day")
    holidays = data.get("holidays") or []
    if not isinstance(holidays, list) or not all(isinstance(d, dt.date) for d in holidays):
        raise ScheduleError(f"{source}: holidays: expected a list of YYYY-MM-DD dates")
    wait = data.get("default_wait_minutes", 5)
    if not isinstance(wait, int) or wait < 1:
        raise ScheduleError(f"{source}: default_wait_minutes: expected a positive integer")
    return Schedule(timezone, tuple(week), frozenset(holidays), wait)


class ScheduleFile:
    """operators.yml, read again whenever it changes on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._schedule = self._load()

    def _load(self) -> Schedule:
        stat = self.path.stat()
        self._stamp = (stat.st_mtime_ns, stat.st_size)
        with self.path.open(encoding="utf-8") as file:
            return parse(yaml.safe_load(file), str(self.path))

    def current(self) -> Schedule:
        """The schedule as the file says now; the last good one if the file became invalid."""
        try:
            stat = self.path.stat()
            if (stat.st_mtime_ns, stat.st_size) != self._stamp:
                self._schedule = self._load()
                log.info("Working hours reloaded from %s", self.path)
        except (OSError, yaml.YAMLError, ScheduleError) as error:
            log.error("Keeping the previous working hours: %s", error)
        return self._schedule
