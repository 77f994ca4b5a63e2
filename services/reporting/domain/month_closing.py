"""A unit head's month-end closing: the one-screen summary of the unit's month (pure).

The seeds: "setiap tanggal 31 ada evaluasi oleh kepala OPD". Once a month has ended in the
tenant's zone (:func:`month_over`), the head of a unit (or the BKD) closes it for the unit
once, with a comment on the unit and on any of its employees. The summary shows each
employee's discipline score and predicate as the month-end evaluation computes them
(:mod:`services.reporting.monthly`, the same rows ``GET /monthly`` shows), their counts of
on time, late, missing and excused check-ins, and the unit's totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from pydantic import BaseModel, Field

from services.reporting.domain.monthly import ScoreRow, month_end


def month_over(month: date, today: date) -> bool:
    """The month has ended on the tenant's local ``today``."""
    return today > month_end(month)


class ClosingOut(BaseModel):
    unit_id: str
    name: str
    month: str
    closed: bool
    closed_by: str | None = None
    closed_at: datetime | None = None
    comment: str | None = None
    employees_commented: int = 0


class ClosingOverview(BaseModel):
    month: str
    total: int
    closed: int
    units: list[ClosingOut]


class EmployeeMonth(BaseModel):
    nip: str
    name: str
    score: float | None
    predicate: str | None
    expected: int
    on_time: int
    late: int
    missing: int
    excused: int
    comment: str | None = None


class MonthTotals(BaseModel):
    employees: int = 0
    expected: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    excused: int = 0
    average_score: float | None = None


class UnitMonthSummary(BaseModel):
    tenant: str
    month: str
    unit_id: str
    unit_name: str
    final: bool = Field(description="the tenant's month-end scores are frozen")
    closing: ClosingOut
    employees: list[EmployeeMonth]
    totals: MonthTotals


def summary(tenant: str, month: date, unit_id: str, unit_name: str, rows: Sequence[ScoreRow], *, final: bool,
            average: float | None, excused: Mapping[str, int], comments: Mapping[str, str],
            closing: ClosingOut) -> UnitMonthSummary:
    """The unit's month: ``rows`` are the month-end evaluation's (``average`` its unit average)."""
    employees = [EmployeeMonth(nip=r.nip, name=r.name, score=r.score, predicate=r.predicate, expected=r.expected,
                               on_time=r.on_time, late=r.late, missing=r.missing, excused=excused.get(r.nip, 0),
                               comment=comments.get(r.nip)) for r in rows]
    totals = MonthTotals(employees=len(employees), average_score=average)
    for e in employees:
        totals.expected += e.expected
        totals.on_time += e.on_time
        totals.late += e.late
        totals.missing += e.missing
        totals.excused += e.excused
    return UnitMonthSummary(tenant=tenant, month=month.strftime("%Y-%m"), unit_id=unit_id, unit_name=unit_name,
                            final=final, closing=closing, employees=employees, totals=totals)
