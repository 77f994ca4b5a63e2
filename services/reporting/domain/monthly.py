"""The month-end evaluation's calendar and its report: per employee, per unit, in total (pure).

On the last day of each month (tenant local time), once that day's windows have
closed, the month is frozen (:mod:`services.reporting.monthly`); :func:`months_due`
says which months are due. :func:`build` turns the employees' score rows — frozen,
or computed live from the ledger — into the report: per-unit averages and totals.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field

from services.reporting.domain.daily import Counts
from services.reporting.domain.scoring import Weights


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def months_due(today: date, today_closed: bool) -> list[date]:
    """Months whose evaluation is due: the previous month always (once it has data),
    this month on its last day once the day's windows have closed."""
    previous = month_start(month_start(today) - timedelta(days=1))
    due = [previous]
    if today == month_end(today) and today_closed:
        due.append(month_start(today))
    return due


class ScoreOut(BaseModel):
    nip: str
    name: str
    unit_id: str
    expected: int
    on_time: int
    late: int
    missing: int
    outside_geofence: int
    suspicious: int
    late_minutes: int
    score: float | None
    predicate: str | None
    excused: int = Field(default=0, description="windows excused (approved absence or correction): not in expected")
    revised_at: datetime | None = Field(default=None, description="re-scored after the month was frozen")


class ScoreRow(ScoreOut):
    """An employee's month as computed or frozen, with the credit summed for the score."""

    credit: float


class UnitMonth(BaseModel):
    unit_id: str
    name: str
    employees: int
    average_score: float | None
    totals: Counts


class MonthlyReport(BaseModel):
    tenant: str
    month: str
    final: bool
    closed_at: datetime | None
    weights: Weights
    employees: list[ScoreOut]
    units: list[UnitMonth]
    totals: Counts
    average_score: float | None


def build(tenant: str, month: date, rows: Sequence[ScoreRow], weights: Weights, closed_at: datetime | None,
          unit_names: Mapping[str, str]) -> MonthlyReport:
    """The month's report (``final`` once frozen: ``closed_at`` is when)."""
    per_unit: dict[str, list[ScoreRow]] = {}
    for r in rows:
        per_unit.setdefault(r.unit_id, []).append(r)
    units = [UnitMonth(unit_id=uid, name=unit_names.get(uid, uid), employees=len(per_unit[uid]),
                       average_score=_average(per_unit[uid]), totals=_counts(per_unit[uid]))
             for uid in sorted(per_unit)]
    return MonthlyReport(
        tenant=tenant, month=month.strftime("%Y-%m"), final=closed_at is not None, closed_at=closed_at,
        weights=weights, employees=[ScoreOut(**{k: getattr(r, k) for k in ScoreOut.model_fields}) for r in rows],
        units=units, totals=_counts(rows), average_score=_average(rows))


def _average(rows: Sequence[ScoreRow]) -> float | None:
    scored = [r.score for r in rows if r.score is not None]
    return round(sum(scored) / len(scored), 1) if scored else None


def _counts(rows: Sequence[ScoreRow]) -> Counts:
    c = Counts()
    for r in rows:
        c.expected += r.expected
        c.on_time += r.on_time
        c.late += r.late
        c.missing += r.missing
        c.excused += r.excused
        c.outside_geofence += r.outside_geofence
        c.suspicious += r.suspicious
    return c
