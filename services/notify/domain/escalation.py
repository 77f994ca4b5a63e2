"""When missed windows reach the unit head: at the crossing of a threshold, once a period.

Each missed window of an employee counts once (a second event for the same window
counts nothing). The day's and the ISO week's counts are compared with the tenant's
thresholds; a head hears exactly when a count *reaches* its threshold — not before, and
not again for the same period (its key, ``day:2025-11-24`` or ``week:2025-W48``, makes
the notification unique). A threshold of 0 is off.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

Period = Literal["day", "week"]


def escalates(count: int, threshold: int) -> bool:
    """Whether the count has just reached the (non-zero) threshold."""
    return bool(threshold) and count == threshold


def period_key(period: Period, day: date) -> str:
    """The key of the day or ISO week of ``day``: ``day:YYYY-MM-DD`` or ``week:YYYY-Www``."""
    if period == "day":
        return f"day:{day.isoformat()}"
    year, week, _ = day.isocalendar()
    return f"week:{year}-W{week:02d}"


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)
