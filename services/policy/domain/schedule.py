"""Check-in windows in tenant local time.

A policy's daily schedule (attendance 07:00-07:30, three location shares, a video
conference, the activity report) is written in the tenant's local time
(``Asia/Jakarta`` WIB, ``Asia/Makassar`` WITA, ``Asia/Jayapura`` WIT). Instants are
compared in UTC, so the offset a device reports never matters, only the instant.
A window's start, end and deadline on a day are the shared rule
:func:`services.contracts.rules.windows.window_bounds`, which reporting uses too.

Classification of a check-in captured at instant ``t`` on local day ``D``
(windows are those of day ``D`` only; a window never spans midnight):

- The *candidates* are the windows that accept the check-in's kind and whose start
  (on ``D``) is at or before ``t``. None → ``outside_window`` (too early, or no
  window for that kind at all).
- If some candidates still contain ``t`` (``start <= t <= end``, both inclusive),
  the status is ``on_time`` for the one that closes first (earliest end): the
  others stay open and can still be filled.
- Otherwise the status is ``late`` for the candidate that closed last (latest
  end), i.e. the one the check-in is least late for, with
  ``late_minutes = ceil((t - end) / 1 minute)``, so at least 1. For windows that
  do not overlap, such as the three location shares, this is simply the most
  recent window whose start has passed.

Grace does **not** change the status: a check-in after ``end`` is late whether it
falls within the grace period or after it, as long as it is the same local day and
no other window for that kind is open or closed more recently. Grace only sets the *deadline*
(``end + grace``), after which the reporting service calls the window overdue; a
late check-in after the deadline still counts as done, late, with its minutes
(so a discipline assessment can weigh 5 minutes and 3 hours differently). The
status ``outside_window`` is kept for check-ins that belong to no window: before
the first window of the kind that day, or of a kind the schedule does not ask for.

Consequences worth knowing: with location windows 08:00-09:00 and 11:30-12:30, a
location share at 10:00 is ``late`` by 60 minutes for the first; at 11:45 it is
``on_time`` for the second. A check-in after midnight is never matched to the
previous day's window, even if that window's grace reaches past midnight.

Remaining ties go to the later start, then to the smaller window id, so the
result never depends on the order of the list. Indonesian zones have no daylight
saving time; in zones that do, a local time that falls in a gap or an overlap is
taken with ``fold=0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.contracts import policy as contract
from services.contracts.policy import CheckinKind, Window
from services.contracts.rules.windows import WindowBounds, window_bounds

WindowStatus = Literal["on_time", "late", "outside_window"]

_MINUTE = timedelta(minutes=1)


class WindowMatch(NamedTuple):
    """The window a check-in belongs to (if any), its status and minutes late."""

    window: Window | None
    status: WindowStatus
    late_minutes: int = 0


def zone(tz: str) -> ZoneInfo:
    """The IANA zone named ``tz``, or a bilingual ``ValueError``."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"Zona waktu tidak dikenal / unknown time zone: {tz!r}") from exc


def _require_aware(instant: datetime, what: str) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"{what} harus berzona waktu / must be timezone-aware: {instant.isoformat()}"
        )


def local_day(instant_utc: datetime, tz: str) -> date:
    """The calendar day of an aware instant in the tenant's zone.

    Same as the contract's :func:`~services.contracts.policy.local_date`, with
    naive instants and unknown zones rejected.
    """
    _require_aware(instant_utc, "Waktu / instant")
    zone(tz)
    return contract.local_date(instant_utc, tz)


def minutes_late(instant: datetime, end: datetime) -> int:
    """Whole minutes after ``end``, rounded up; 0 when not after it."""
    after = instant - end
    if after <= timedelta(0):
        return 0
    return -(-after // _MINUTE)  # ceiling division, exact to the microsecond


def classify(
    captured_at: datetime,
    kind: CheckinKind,
    windows: Sequence[Window],
    tz: str,
) -> WindowMatch:
    """Which window a check-in of ``kind`` captured at ``captured_at`` fills, and how.

    The rules are in the module docstring.
    """
    _require_aware(captured_at, "Waktu pengambilan / captured_at")
    t = captured_at.astimezone(UTC)
    day = local_day(t, tz)
    started: list[tuple[WindowBounds, Window]] = []
    for window in windows:
        if kind not in window.kinds:
            continue
        bounds = window_bounds(window, day, tz)
        if bounds.start <= t:
            started.append((bounds, window))
    if not started:
        return WindowMatch(None, "outside_window", 0)

    containing = [item for item in started if t <= item[0].end]
    if containing:
        _, window = min(containing, key=_closes_first)
        return WindowMatch(window, "on_time", 0)
    bounds, window = min(started, key=_closed_last)
    return WindowMatch(window, "late", minutes_late(t, bounds.end))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _us(instant: datetime) -> int:
    return (instant - _EPOCH) // _MICROSECOND


def _closes_first(item: tuple[WindowBounds, Window]) -> tuple[int, int, str]:
    """Sort key among open windows: earliest end, then latest start, then id."""
    bounds, window = item
    return (_us(bounds.end), -_us(bounds.start), window.id)


def _closed_last(item: tuple[WindowBounds, Window]) -> tuple[int, int, str]:
    """Sort key among closed windows: latest end, then latest start, then id."""
    bounds, window = item
    return (-_us(bounds.end), -_us(bounds.start), window.id)
