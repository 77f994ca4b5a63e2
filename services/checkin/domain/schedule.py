"""An employee's day as the check-in page shows it (pure): the windows of the letter in force,
each with its bounds in the tenant's local time and where it stands at ``now``.

Guarantee: the bounds are :func:`services.contracts.rules.windows.window_bounds` and whether a
window is asked is :func:`services.contracts.rules.requirement.requirement` — the rules policy
judges by and reporting expects by; nothing here restates them. A window's state at ``now``:

- ``not_required`` — not asked today (``reason``: non-working day, inactive, absent, WFO day);
- ``done`` — a check-in of the employee fills it: one policy judged in it (``window_id``), or one
  still waiting for its verdict, of a kind the window accepts, captured between its start and
  deadline;
- ``open`` — ``start <= now < deadline`` and not done (``late`` once ``now >= end``);
- ``missed`` — its deadline has passed and it is not done;
- ``upcoming`` — it has not started.

``due`` is the open window that closes first (the page's one main action); ``next`` the upcoming
window that starts first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from services.contracts.events import WorkMode
from services.contracts.policy import PolicyContent, Window
from services.contracts.rules.calendar import Holiday, TenantCalendar, holiday
from services.contracts.rules.requirement import NotRequiredReason, requirement
from services.contracts.rules.windows import WindowBounds, window_bounds

WindowState = Literal["not_required", "done", "open", "missed", "upcoming"]


@dataclass(frozen=True)
class Filled:
    """What the schedule needs of one of the employee's check-ins of the day."""

    id: str
    kind: str
    captured_at: datetime  # aware UTC
    status: str  # a verdict's status, or "pending"
    window_id: str | None


@dataclass(frozen=True)
class DayWindow:
    window: Window
    bounds: WindowBounds
    state: WindowState
    late: bool = False  # open past its end (in its grace period)
    reason: NotRequiredReason | None = None
    checkin: Filled | None = None


@dataclass(frozen=True)
class Day:
    day: date
    holiday: Holiday | None
    windows: list[DayWindow]
    due: str | None  # the open window that closes first
    next: str | None  # the upcoming window that starts first


def _fills(c: Filled, w: Window, bounds: WindowBounds) -> bool:
    if c.window_id is not None:
        return c.window_id == w.id
    return (c.status == "pending" and c.kind in {k.value for k in w.kinds}
            and bounds.start <= c.captured_at < bounds.deadline)


def _state(bounds: WindowBounds, now: datetime) -> tuple[WindowState, bool]:
    if now < bounds.start:
        return "upcoming", False
    if now < bounds.deadline:
        return "open", now >= bounds.end
    return "missed", False


def day_schedule(content: PolicyContent, day: date, now: datetime, tz: str, *, calendar: TenantCalendar | None,
                 active: bool, checkins: Iterable[Filled], absent: bool = False,
                 mode: WorkMode | None = None) -> Day:
    """The employee's windows on local ``day`` at ``now`` (aware) under ``content``, in start order."""
    filled: Sequence[Filled] = sorted(checkins, key=lambda c: c.captured_at)
    out: list[DayWindow] = []
    for w in sorted(content.windows, key=lambda w: (w.start, w.end, w.id)):
        bounds = window_bounds(w, day, tz)
        asked = requirement(w.kinds, day, content=content, calendar=calendar, active=active, mode=mode,
                            absent=absent)
        done = next((c for c in filled if _fills(c, w, bounds)), None)
        if done is not None:
            out.append(DayWindow(w, bounds, "done", checkin=done, reason=asked.reason))
        elif not asked.required:
            out.append(DayWindow(w, bounds, "not_required", reason=asked.reason))
        else:
            state, late = _state(bounds, now)
            out.append(DayWindow(w, bounds, state, late=late))
    due = min((d for d in out if d.state == "open"), key=lambda d: d.bounds.deadline, default=None)
    upcoming = min((d for d in out if d.state == "upcoming"), key=lambda d: d.bounds.start, default=None)
    return Day(day, holiday(day, calendar, content), out, due.window.id if due else None,
               upcoming.window.id if upcoming else None)


@dataclass(frozen=True)
class DayTally:
    """One day of the employee's month: how many windows were asked, filled (late among them,
    outside the geofence among them) and missed; ``open`` counts those not yet settled."""

    day: date
    holiday: str | None
    asked: int
    filled: int
    late: int
    outside: int
    missed: int
    open: int


def tally(d: Day, verdicts: dict[str, tuple[str, str | None]]) -> DayTally:
    """The day's counts; ``verdicts``: check-in id → (status, geofence)."""
    asked = [w for w in d.windows if w.reason is None]
    filled = [w for w in asked if w.state == "done" and w.checkin is not None]
    seen = [verdicts.get(w.checkin.id, ("pending", None)) for w in filled if w.checkin is not None]
    return DayTally(d.day, d.holiday.name if d.holiday else None, len(asked), len(filled),
                    sum(1 for status, _ in seen if status == "late"),
                    sum(1 for _, geofence in seen if geofence == "outside"),
                    sum(1 for w in asked if w.state == "missed"),
                    sum(1 for w in asked if w.state in ("open", "upcoming")))
