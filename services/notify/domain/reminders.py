"""The day-before reminder of an office (WFO) day on a published roster.

"Besok Anda bekerja di kantor": due at the tenant's reminder time (local) the day
before, expiring at the start of the office day (a reminder not sent by then is dead,
never late). Only future office days get one; a home day, today or a past day none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo


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
