"""Expected versus received for one window: one ledger row per expected employee (pure).

A window's row for an employee says how the employee did, from the qualifying
(``on_time`` or ``late``) evaluations of that window:

- ``status``: ``on_time`` if any check-in was on time, else ``late`` if any was late,
  else ``missing`` once the window's deadline has passed (``None`` — pending — before);
- ``late_minutes``: the fewest minutes late among the late check-ins (0 otherwise);
- ``outside_geofence`` / ``suspicious``: any qualifying check-in was outside the
  geofence / flagged suspicious by the policy service;
- ``checkin_at``: the earliest qualifying capture time.

The scheduler writes these rows when a window closes (the ``expectations`` table);
before that the reports compute them on the fly with the same function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.reporting.expectations import Placed


@dataclass(frozen=True, slots=True)
class Fact:
    """The qualifying evaluations of one employee for one window, folded."""

    nip: str
    on_time: bool
    late: bool
    late_minutes: int
    outside_geofence: bool
    suspicious: bool
    checkin_at: datetime | None


@dataclass(frozen=True, slots=True)
class LedgerRow:
    window_id: str
    nip: str
    unit_id: str
    sector: str
    status: str | None  # on_time | late | missing | None (pending)
    late_minutes: int = 0
    outside_geofence: bool = False
    suspicious: bool = False
    checkin_at: datetime | None = None
    overdue: bool = False
    name: str = ""


def status_of(fact: Fact | None, closed: bool) -> str | None:
    if fact is not None and fact.on_time:
        return "on_time"
    if fact is not None and fact.late:
        return "late"
    return "missing" if closed else None


def build_rows(window_id: str, expected: Iterable[Placed], facts: Mapping[str, Fact], closed: bool) -> list[LedgerRow]:
    """One row per expected employee (see the module docstring)."""
    rows = []
    for placed in expected:
        p = placed.person
        fact = facts.get(p.nip)
        status = status_of(fact, closed)
        rows.append(LedgerRow(
            window_id=window_id, nip=p.nip, unit_id=p.unit_id, sector=placed.sector, status=status,
            late_minutes=fact.late_minutes if fact is not None and status == "late" else 0,
            outside_geofence=bool(fact and fact.outside_geofence),
            suspicious=bool(fact and fact.suspicious),
            checkin_at=fact.checkin_at if fact is not None else None,
            overdue=closed and status == "missing",
            name=p.name,
        ))
    return rows
