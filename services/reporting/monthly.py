"""The month-end evaluation: per-employee counts and discipline scores.

The seeds: each department head evaluates on the 31st, the personnel agency uses
the location reports as the basis of a discipline assessment. So on the last day
of each month (tenant local time), once that day's windows have closed, the
scheduler freezes the month: one ``monthly_scores`` row per employee with an
expected check-in that month, scored with the tenant's weights of that moment
(:mod:`.scoring`), under a ``monthly_closures`` row that makes it happen once. A
month that ended while no instance ran is evaluated at the first scan after.

Until then, and for any month asked, the report is computed live from the ledger
of closed windows (``final: false``). Scores are computed set-based in SQL, so a
tenant of 100,000 employees evaluates in one grouped query.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting import scoring
from services.reporting.store import Employee, Expectation, MonthlyClosure, MonthlyScore, ScoreWeights
from services.runtime import sql


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


@dataclass(frozen=True, slots=True)
class ScoreRow:
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
    credit: float
    score: float | None
    predicate: str | None


async def weights_for(session: AsyncSession, tenant: str) -> scoring.Weights:
    own = await session.get(ScoreWeights, tenant)
    return scoring.Weights.model_validate(own.weights) if own is not None else scoring.default_weights()


async def live_scores(session: AsyncSession, tenant: str, month: date, weights: scoring.Weights,
                      unit_id: str | None = None) -> list[ScoreRow]:
    """Scores computed from the ledger of the month's closed windows."""
    x = Expectation.__table__.c
    e = Employee.__table__.c
    n = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    credit = scoring.credit_sql(x.status, x.late_minutes, x.outside_geofence, x.suspicious, weights)
    query = (
        select(x.nip, func.max(e.name), func.coalesce(func.max(e.unit_id), func.max(x.unit_id)), func.count(),
               n(x.status == "on_time"), n(x.status == "late"), n(x.status == "missing"), n(x.outside_geofence),
               n(x.suspicious), func.sum(x.late_minutes), func.sum(credit))
        .select_from(Expectation.__table__.outerjoin(Employee.__table__, (e.tenant == x.tenant) & (e.nip == x.nip)))
        .where(x.tenant == tenant, x.day >= month, x.day <= month_end(month))
        .group_by(x.nip)
        .order_by(x.nip)
    )
    rows = []
    for r in await session.execute(query):
        if unit_id and r[2] != unit_id:
            continue
        value = scoring.score(float(r[10] or 0), int(r[3]))
        rows.append(ScoreRow(nip=r[0], name=r[1] or "", unit_id=r[2], expected=int(r[3]), on_time=int(r[4]),
                             late=int(r[5]), missing=int(r[6]), outside_geofence=int(r[7]), suspicious=int(r[8]),
                             late_minutes=int(r[9] or 0), credit=round(float(r[10] or 0), 4), score=value,
                             predicate=scoring.predicate(value)))
    return rows


async def frozen_scores(session: AsyncSession, tenant: str, month: date, unit_id: str | None = None) -> list[ScoreRow]:
    s = MonthlyScore.__table__.c
    e = Employee.__table__.c
    query = (
        select(s.nip, e.name, s.unit_id, s.expected, s.on_time, s.late, s.missing, s.outside_geofence, s.suspicious,
               s.late_minutes, s.credit, s.score, s.predicate)
        .select_from(MonthlyScore.__table__.outerjoin(Employee.__table__, (e.tenant == s.tenant) & (e.nip == s.nip)))
        .where(s.tenant == tenant, s.month == month)
        .order_by(s.nip)
    )
    if unit_id:
        query = query.where(s.unit_id == unit_id)
    return [ScoreRow(nip=r[0], name=r[1] or "", unit_id=r[2], expected=r[3], on_time=r[4], late=r[5], missing=r[6],
                     outside_geofence=r[7], suspicious=r[8], late_minutes=r[9], credit=r[10], score=r[11],
                     predicate=r[12]) for r in await session.execute(query)]


async def close_month(session: AsyncSession, tenant: str, month: date, now: datetime) -> int | None:
    """Freeze a month's scores once; None when there is nothing to do (no data, or done)."""
    x = Expectation.__table__.c
    has_data = await session.scalar(select(exists().where(
        x.tenant == tenant, x.day >= month, x.day <= month_end(month))))
    if not has_data:
        return None
    weights = await weights_for(session, tenant)
    claimed = await sql.insert_ignore(session, MonthlyClosure, [
        {"tenant": tenant, "month": month, "closed_at": now.astimezone(UTC), "weights": weights.model_dump(),
         "employees": 0}], MonthlyClosure.tenant)
    if not claimed:
        return None
    rows = await live_scores(session, tenant, month, weights)
    await sql.insert_rows(session, MonthlyScore.__table__, [{
        "tenant": tenant, "month": month, "nip": r.nip, "unit_id": r.unit_id, "expected": r.expected,
        "on_time": r.on_time, "late": r.late, "missing": r.missing, "outside_geofence": r.outside_geofence,
        "suspicious": r.suspicious, "late_minutes": r.late_minutes, "credit": r.credit, "score": r.score,
        "predicate": r.predicate,
    } for r in rows], ignore_conflicts=True)
    await session.execute(update(MonthlyClosure).where(MonthlyClosure.tenant == tenant, MonthlyClosure.month == month)
                          .values(employees=len(rows)))
    return len(rows)
