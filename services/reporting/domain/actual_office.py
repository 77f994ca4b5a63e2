"""Actual versus quota: who was really in the office, side by side with the plan (pure).

Per unit and day:

- the plan (:class:`.daily.InOffice`, from rosters and exemptions): headcount of active
  employees, the sector's quota, people required in the office, planned WFO;
- ``actual_in_office``: distinct employees with a qualifying check-in (on time or late)
  judged inside the geofence of an allowed place of kind ``office`` that day — a
  check-in at home, outside the geofence, or of a place whose kind is unknown (verdicts
  from before policy sent it) does not count, and two check-ins of one person count once
  (gathered by :func:`services.reporting.queries.at_office`);
- ``excused``: distinct employees whose rows that day have the status ``excused`` (an
  approved absence); they are not available, so ``available = headcount − excused``;
- ``actual_ratio = actual_in_office / available`` and the quota is met when
  ``actual_in_office >= required_in_office(available, quota)`` — the one rule of
  :mod:`services.contracts.rules.quota` (None when nobody is available).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from pydantic import BaseModel, Field

from services.contracts.rules.quota import required_in_office
from services.reporting.domain.daily import InOffice


class Actual(NamedTuple):
    available: int
    required: int
    ratio: float | None
    meets: bool | None


def actual(headcount: int, excused: int, quota: int | None, at_office: int) -> Actual:
    """The actual figures of one unit (``quota`` None: the unit has no quota that day)."""
    available = max(headcount - excused, 0)
    required = required_in_office(available, quota) if quota is not None else 0
    if not available:
        return Actual(0, required, None, None)
    return Actual(available, required, round(at_office / available, 4), at_office >= required)


def meets_plan(headcount: int, wfo: int, quota: int | None) -> bool | None:
    """The plan meets the quota: ``wfo >= required_in_office(headcount, quota)``."""
    if not headcount or quota is None:
        return None
    return wfo >= required_in_office(headcount, quota)


class UnitQuota(BaseModel):
    unit_id: str
    name: str
    sector: str
    headcount: int
    quota_pct: int | None
    planned_required: int
    planned_wfo: int
    planned_ratio: float | None
    meets_quota_planned: bool | None
    excused: int
    available: int
    actual_required: int
    actual_in_office: int
    actual_ratio: float | None
    meets_quota_actual: bool | None


class QuotaDay(BaseModel):
    """Every unit's plan and actual, and the sums (a unit meets its own quota; the sums are counts)."""

    units: list[UnitQuota] = Field(default_factory=list)
    headcount: int = 0
    planned_wfo: int = 0
    excused: int = 0
    actual_in_office: int = 0
    actual_ratio: float | None = None
    units_meeting_quota_planned: int = 0
    units_meeting_quota_actual: int = 0


class UnitPlan(NamedTuple):
    unit_id: str
    name: str
    sector: str
    plan: InOffice


def build(plans: Iterable[UnitPlan], at_office: Mapping[str, int], excused: Mapping[str, int]) -> QuotaDay:
    """The day's actual-versus-quota table from the units' plans and the counts gathered."""
    day = QuotaDay()
    for unit_id, name, sector, plan in sorted(plans, key=lambda p: p.unit_id):
        present, away = at_office.get(unit_id, 0), excused.get(unit_id, 0)
        figures = actual(plan.headcount, away, plan.quota_pct, present)
        row = UnitQuota(
            unit_id=unit_id, name=name, sector=sector, headcount=plan.headcount, quota_pct=plan.quota_pct,
            planned_required=plan.required, planned_wfo=plan.wfo, planned_ratio=plan.ratio,
            meets_quota_planned=plan.meets_quota, excused=away, available=figures.available,
            actual_required=figures.required, actual_in_office=present, actual_ratio=figures.ratio,
            meets_quota_actual=figures.meets)
        day.units.append(row)
        day.headcount += row.headcount
        day.planned_wfo += row.planned_wfo
        day.excused += row.excused
        day.actual_in_office += row.actual_in_office
        day.units_meeting_quota_planned += bool(row.meets_quota_planned)
        day.units_meeting_quota_actual += bool(row.meets_quota_actual)
    available = day.headcount - day.excused
    day.actual_ratio = round(day.actual_in_office / available, 4) if available > 0 else None
    return day
