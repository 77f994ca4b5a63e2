"""A check-in window's bounds on one local day, in UTC.

A window is written in the tenant's local time (WIB, WITA, WIT) and never spans
midnight. On local ``day`` its *start* and *end* are those wall-clock times in
the tenant's zone; its *deadline* is ``end + grace_minutes``, after which reporting
calls it overdue. Policy judges on time / late against the same start and end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo


class WindowLike(Protocol):
    @property
    def start(self) -> time: ...
    @property
    def end(self) -> time: ...
    @property
    def grace_minutes(self) -> int: ...


class WindowBounds(NamedTuple):
    """A window's instants on one local day, in UTC."""

    start: datetime
    end: datetime
    deadline: datetime  # end + grace


def window_bounds(window: WindowLike, day: date, tz: str) -> WindowBounds:
    """Start, end and deadline (end + grace) of ``window`` on local ``day`` in zone ``tz``, in UTC."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, window.start, zone).astimezone(UTC)
    end = datetime.combine(day, window.end, zone).astimezone(UTC)
    return WindowBounds(start, end, end + timedelta(minutes=window.grace_minutes))
