"""The day-before reminder of an office (WFO) day on a published roster, and which days get one.

"Besok Anda bekerja di kantor": due at the tenant's reminder time (local) the day
before, expiring at the start of the office day (a reminder not sent by then is dead,
never late). Only future office days get one; a home day, today or a past day none.

A day gets no reminder (:func:`expected_at_work`) when an absence excuses it
(:func:`services.contracts.rules.absence.excused_on`) or the tenant does not work on it
(:func:`services.contracts.rules.calendar.is_working_day` under the letter for that day; with no
letter known, at least no holiday of the tenant's calendar).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from services.contracts.policy import PolicyContent
from services.contracts.rules.absence import Span, excused_on
from services.contracts.rules.calendar import TenantCalendar, holiday, is_working_day


class Reminder(NamedTuple):
    not_before: datetime  # UTC
    expires_at: datetime  # UTC


def office_day_reminder(day: date, mode: str, today: date, at: time, tz: str) -> Reminder | None:
    """When the reminder of ``day`` (worked in ``mode``) is due and expires; None when none is."""
    if mode != "wfo" or day <= today:
        return None
    zone = ZoneInfo(tz)
    day_start = datetime.combine(day, datetime.min.time(), zone)
    remind_at = datetime.combine(day - timedelta(days=1), at, zone)
    return Reminder(remind_at.astimezone(UTC), day_start.astimezone(UTC))


def expected_at_work(day: date, letter: PolicyContent | None, calendar: TenantCalendar | None,
                     excused: Iterable[Span]) -> bool:
    """Whether an employee is expected to work on ``day`` at all (module docstring)."""
    if excused_on(excused, day):
        return False
    if letter is None:
        return holiday(day, calendar) is None
    return is_working_day(day, letter, calendar)
