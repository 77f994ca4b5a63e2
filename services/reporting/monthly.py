"""The month-end evaluation in the database: per-employee counts and discipline scores.

The seeds: each department head evaluates on the 31st, the personnel agency uses
the location reports as the basis of a discipline assessment. So on the last day
of each month (tenant local time), once that day's windows have closed, the
scheduler freezes the month: one ``monthly_scores`` row per employee with an
expected check-in that month, scored with the tenant's weights of that moment
(:mod:`.domain.scoring`), under a ``monthly_closures`` row that makes it happen once. A
month that ended while no instance ran is evaluated at the first scan after.

Until then, and for any month asked, the report is computed live from the ledger
of closed windows (``final: false``). A decision that changes a frozen month's ledger
rows afterwards (an absence approved late, a correction, a returned report:
:mod:`.decisions`) re-scores the employees concerned with the frozen weights
(:func:`rescore`; ``revised_at`` says when). Scores are computed set-based in SQL, so a
tenant of 100,000 employees evaluates in one grouped query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Float, case, cast, exists, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.reporting.domain import scoring
from services.reporting.domain.monthly import ScoreRow, month_end
from services.reporting.domain.scoring import Weights
from services.reporting.settings import ReportingSettings
from services.reporting.store import AuditEntry, Employee, Expectation, MonthlyClosure, MonthlyScore, ScoreWeights
from services.runtime import sql


def default_weights() -> Weights:
    """The weights of a tenant that has set none (``HADIR_REPORTING_SCORE_WEIGHTS``)."""
    return Weights.model_validate(ReportingSettings().reporting_score_weights or {})


def credit_sql(status: ColumnElement, late_minutes: ColumnElement, outside: ColumnElement,
               suspicious: ColumnElement, w: Weights) -> ColumnElement:
    """:func:`.domain.scoring.credit` as a SQL expression (PostgreSQL and SQLite), for set-based scoring."""
    minutes = case((late_minutes > w.late_decay_minutes, literal(w.late_decay_minutes)), else_=late_minutes)
    slope = (w.late_max - w.late_min) / w.late_decay_minutes
    base = case(
        (status == "on_time", literal(w.on_time)),
        (status == "late", literal(w.late_max) - cast(minutes, Float) * literal(slope)),
        (status == scoring.EXCUSED, literal(0.0)),
        else_=literal(w.missing),
    )
    penalised = (base
                 - case((outside, literal(w.outside_geofence_penalty)), else_=literal(0.0))
                 - case((suspicious, literal(w.suspicious_penalty)), else_=literal(0.0)))
    return case((penalised < 0, literal(0.0)), else_=penalised)


async def weights_for(session: AsyncSession, tenant: str) -> Weights:
    own = await session.get(ScoreWeights, tenant)
    return Weights.model_validate(own.weights) if own is not None else default_weights()


async def live_scores(session: AsyncSession, tenant: str, month: date, weights: Weights,
                      unit_id: str | None = None, nips: Sequence[str] | None = None) -> list[ScoreRow]:
    """Scores computed from the ledger of the month's closed windows (of ``nips`` only, if given);
    ``excused`` rows are counted apart and are not in N (``expected``)."""
    x = Expectation.__table__.c
    e = Employee.__table__.c
    n = lambda cond: func.sum(case((cond, 1), else_=0))  # noqa: E731
    credit = credit_sql(x.status, x.late_minutes, x.outside_geofence, x.suspicious, weights)
    query = (
        select(x.nip, func.max(e.name), func.coalesce(func.max(e.unit_id), func.max(x.unit_id)),
               n(x.status != scoring.EXCUSED), n(x.status == "on_time"), n(x.status == "late"),
               n(x.status == "missing"), n(x.outside_geofence), n(x.suspicious), func.sum(x.late_minutes),
               func.sum(credit), n(x.status == scoring.EXCUSED))
        .select_from(Expectation.__table__.outerjoin(Employee.__table__, (e.tenant == x.tenant) & (e.nip == x.nip)))
        .where(x.tenant == tenant, x.day >= month, x.day <= month_end(month))
        .group_by(x.nip)
        .order_by(x.nip)
    )
    if nips is not None:
        query = query.where(x.nip.in_(list(nips)))
    rows = []
    for r in await session.execute(query):
        if unit_id and r[2] != unit_id:
            continue
        value = scoring.score(float(r[10] or 0), int(r[3]))
        rows.append(ScoreRow(nip=r[0], name=r[1] or "", unit_id=r[2], expected=int(r[3]), on_time=int(r[4]),
                             late=int(r[5]), missing=int(r[6]), outside_geofence=int(r[7]), suspicious=int(r[8]),
                             late_minutes=int(r[9] or 0), credit=round(float(r[10] or 0), 4), score=value,
                             predicate=scoring.predicate(value), excused=int(r[11])))
    return rows


async def frozen_scores(session: AsyncSession, tenant: str, month: date, unit_id: str | None = None) -> list[ScoreRow]:
    s = MonthlyScore.__table__.c
    e = Employee.__table__.c
    query = (
        select(s.nip, e.name, s.unit_id, s.expected, s.on_time, s.late, s.missing, s.outside_geofence, s.suspicious,
               s.late_minutes, s.credit, s.score, s.predicate, s.excused, s.revised_at)
        .select_from(MonthlyScore.__table__.outerjoin(Employee.__table__, (e.tenant == s.tenant) & (e.nip == s.nip)))
        .where(s.tenant == tenant, s.month == month)
        .order_by(s.nip)
    )
    if unit_id:
        query = query.where(s.unit_id == unit_id)
    return [ScoreRow(nip=r[0], name=r[1] or "", unit_id=r[2], expected=r[3], on_time=r[4], late=r[5], missing=r[6],
                     outside_geofence=r[7], suspicious=r[8], late_minutes=r[9], credit=r[10], score=r[11],
                     predicate=r[12], excused=r[13], revised_at=r[14]) for r in await session.execute(query)]


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
    await sql.insert_rows(session, MonthlyScore.__table__, [_frozen(tenant, month, r) for r in rows],
                          ignore_conflicts=True)
    await session.execute(update(MonthlyClosure).where(MonthlyClosure.tenant == tenant, MonthlyClosure.month == month)
                          .values(employees=len(rows)))
    return len(rows)


async def rescore(session: AsyncSession, tenant: str, month: date, nips: Sequence[str], now: datetime) -> None:
    """Re-score ``nips`` in a month already frozen, with the weights it was frozen with, after a decision
    changed their ledger rows (:mod:`services.reporting.decisions`); a month not frozen is live anyway."""
    closure = await session.get(MonthlyClosure, (tenant, month))
    if closure is None:
        return
    rows = await live_scores(session, tenant, month, Weights.model_validate(closure.weights), nips=nips)
    await sql.upsert(session, MonthlyScore.__table__, [{**_frozen(tenant, month, r), "revised_at": now.astimezone(UTC)}
                                                      for r in rows], ("tenant", "month", "nip"))


def _frozen(tenant: str, month: date, r: ScoreRow) -> dict[str, Any]:
    return {"tenant": tenant, "month": month, "nip": r.nip, "unit_id": r.unit_id, "expected": r.expected,
            "on_time": r.on_time, "late": r.late, "missing": r.missing, "outside_geofence": r.outside_geofence,
            "suspicious": r.suspicious, "late_minutes": r.late_minutes, "credit": r.credit, "score": r.score,
            "predicate": r.predicate, "excused": r.excused}


async def month_scores(session: AsyncSession, tenant: str, month: date, unit_id: str | None = None,
                       ) -> tuple[MonthlyClosure | None, Weights, list[ScoreRow]]:
    """The month's closure (None while live), the weights it is scored with and the employees' rows."""
    closure = await session.get(MonthlyClosure, (tenant, month))
    if closure is not None:
        return closure, Weights.model_validate(closure.weights), await frozen_scores(session, tenant, month, unit_id)
    weights = await weights_for(session, tenant)
    return None, weights, await live_scores(session, tenant, month, weights, unit_id)


async def set_weights(session: AsyncSession, tenant: str, weights: Weights, *, actor: str, roles: list[str],
                      now: datetime) -> None:
    """The tenant's own weights from now on (audited), in the caller's transaction."""
    await session.merge(ScoreWeights(tenant=tenant, weights=weights.model_dump(), updated_by=actor, updated_at=now))
    session.add(AuditEntry(tenant=tenant, actor=actor, roles=roles, action="ubah_bobot_skor", target="score-weights",
                           details=weights.model_dump(), at=now))
