"""How an expected employee did in one window: the one rule of a ledger row (pure).

Every place that decides it calls this module, and nothing else decides it: the
closure writing the ledger (:mod:`services.reporting.scheduler`), the daily report and
its exports for windows not closed yet, and a verdict that arrives after the closure
(:mod:`services.reporting.handlers` folds it into the stored row). The database only
gathers the facts (plain rows of verdicts, or the stored row); the status is decided here.

From the qualifying (``on_time`` or ``late``) verdicts of one employee in one window,
folded by :func:`merge` (in any order; a stored row folded with one more verdict gives
what folding every verdict gives):

- ``status`` (:func:`status_of`): ``on_time`` if any verdict was on time, else ``late``
  if any was late, else ``missing`` once the window's deadline has passed (``None`` —
  pending — before);
- ``late_minutes``: the fewest minutes late among the late verdicts, 0 unless ``late``;
- ``outside_geofence`` / ``suspicious``: any qualifying verdict was outside the
  geofence / flagged suspicious by the policy service;
- ``checkin_at``: the earliest qualifying capture time.

Who has a row at all is :mod:`.expectations`: a window not asked of someone (policy
judges their check-in ``not_required``) gives them no row — except an approved absence:
whoever it excuses has a row of status ``excused`` in each window they would have been
asked. The decisions of heads and the BKD (absences, verdict corrections) are applied on
top of the row the check-ins give by :func:`.decisions.decided`, here and only here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.contracts.rules.versions import aware
from services.reporting.domain.decisions import NONE, Decisions, decided
from services.reporting.domain.expectations import Placed

QUALIFYING = ("on_time", "late")
"""The verdicts that fill a window."""

Status = Literal["on_time", "late", "missing", "excused"]


@dataclass(frozen=True, slots=True)
class Fact:
    """The qualifying verdicts of one employee for one window, folded."""

    on_time: bool = False
    late: bool = False
    late_minutes: int = 0  # the fewest among the late verdicts (0 when none was late)
    outside_geofence: bool = False
    suspicious: bool = False
    checkin_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a ledger row says of how the employee did."""

    status: Status | None  # None: pending (the deadline has not passed)
    late_minutes: int = 0
    outside_geofence: bool = False
    suspicious: bool = False
    checkin_at: datetime | None = None
    absence_kind: str | None = None  # excused by an approved absence of this kind
    original_status: Status | None = None  # what the check-ins gave, when a correction changed it
    original_late_minutes: int | None = None
    original_outside_geofence: bool | None = None
    corrected_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LedgerRow:
    window_id: str
    nip: str
    unit_id: str
    sector: str
    status: Status | None  # None: pending
    late_minutes: int = 0
    outside_geofence: bool = False
    suspicious: bool = False
    checkin_at: datetime | None = None
    overdue: bool = False
    name: str = ""
    absence_kind: str | None = None
    original_status: Status | None = None
    original_late_minutes: int | None = None
    original_outside_geofence: bool | None = None
    corrected_at: datetime | None = None


def verdict(status: str, late_minutes: int, outside_geofence: bool, suspicious: bool,
            captured_at: datetime | None) -> Fact | None:
    """One verdict of the policy service as a fact; None when it does not fill a window.

    A stored ledger row reads the same way (its status, minutes, flags and check-in
    time): it is the fold of the verdicts it was built from (``missing``: none)."""
    if status not in QUALIFYING:
        return None
    late = status == "late"
    return Fact(on_time=not late, late=late, late_minutes=late_minutes if late else 0,
                outside_geofence=outside_geofence, suspicious=suspicious, checkin_at=captured_at)


def merge(a: Fact | None, b: Fact | None) -> Fact | None:
    """Two folds of verdicts of the same employee and window, folded together."""
    if a is None or b is None:
        return a if b is None else b
    if a.late and b.late:
        minutes = min(a.late_minutes, b.late_minutes)
    else:
        minutes = a.late_minutes if a.late else b.late_minutes
    times = [aware(t) for t in (a.checkin_at, b.checkin_at) if t is not None]
    return Fact(on_time=a.on_time or b.on_time, late=a.late or b.late, late_minutes=minutes,
                outside_geofence=a.outside_geofence or b.outside_geofence, suspicious=a.suspicious or b.suspicious,
                checkin_at=min(times) if times else None)


def fold(facts: Iterable[Fact | None]) -> Fact | None:
    folded: Fact | None = None
    for fact in facts:
        folded = merge(folded, fact)
    return folded


def status_of(fact: Fact | None, closed: bool) -> Status | None:
    if fact is not None and fact.on_time:
        return "on_time"
    if fact is not None and fact.late:
        return "late"
    return "missing" if closed else None


def outcome(fact: Fact | None, closed: bool, decisions: Decisions = NONE) -> Outcome:
    """The row's verdict from the folded facts (module docstring), after the ``decisions``."""
    status = status_of(fact, closed)
    if fact is None:
        base = Outcome(status)
    else:
        base = Outcome(status, late_minutes=fact.late_minutes if status == "late" else 0,
                       outside_geofence=fact.outside_geofence, suspicious=fact.suspicious, checkin_at=fact.checkin_at)
    return decided(base, decisions)


def build_rows(window_id: str, asked: Iterable[Placed], facts: Mapping[str, Fact], closed: bool,
               decisions: Mapping[str, Decisions] | None = None) -> list[LedgerRow]:
    """One row per employee ``asked`` the window (absences aside: an excused one gets an ``excused``
    row); ``overdue`` (a notice goes out) when closed and missing."""
    rows = []
    for placed in asked:
        p = placed.person
        o = outcome(facts.get(p.nip), closed, (decisions or {}).get(p.nip, NONE))
        rows.append(LedgerRow(
            window_id=window_id, nip=p.nip, unit_id=p.unit_id, sector=placed.sector, status=o.status,
            late_minutes=o.late_minutes, outside_geofence=o.outside_geofence, suspicious=o.suspicious,
            checkin_at=o.checkin_at, overdue=closed and o.status == "missing", name=p.name,
            absence_kind=o.absence_kind, original_status=o.original_status,
            original_late_minutes=o.original_late_minutes, original_outside_geofence=o.original_outside_geofence,
            corrected_at=o.corrected_at,
        ))
    return rows
