"""When missed windows reach the unit head, and missed days the BKD: once a period.

Each missed window of an employee counts once (a second event for the same window
counts nothing). The day's and the ISO week's counts are compared with the tenant's
thresholds; a head hears exactly when a count *reaches* its threshold — not before, and
not again for the same period (its key, ``day:2025-11-24`` or ``week:2025-W48``, makes
the notification unique). A threshold of 0 is off.

The BKD hears of an employee whose **missed days** in a calendar month — distinct days with
at least one missed window, not counting days an absence excuses — reach the tenant's
``escalate_bkd_days``: once for that month (``month:2025-11``), recorded apart so that a day
excused later and another missed afterwards do not tell it twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

from services.contracts.rules.absence import Span, excused_on

Period = Literal["day", "week", "month"]


def escalates(count: int, threshold: int) -> bool:
    """Whether the count has just reached the (non-zero) threshold."""
    return bool(threshold) and count == threshold


def reaches(count: int, threshold: int) -> bool:
    """Whether the count is at or past the (non-zero) threshold (a once-a-period mark decides once)."""
    return bool(threshold) and count >= threshold


def period_key(period: Period, day: date) -> str:
    """The key of the day, ISO week or month of ``day``: ``day:YYYY-MM-DD``, ``week:YYYY-Www``,
    ``month:YYYY-MM``."""
    if period == "day":
        return f"day:{day.isoformat()}"
    if period == "month":
        return f"month:{day:%Y-%m}"
    year, week, _ = day.isocalendar()
    return f"week:{year}-W{week:02d}"


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    """First and last day of the calendar month holding ``day``."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def missed_days(days: Iterable[date], excused: Iterable[Span]) -> int:
    """How many of the distinct ``days`` with a missed window no absence excuses."""
    spans = list(excused)
    return sum(1 for day in set(days) if not excused_on(spans, day))
