"""Who was in the office and who was excused on a day: facts for actual versus quota.

:func:`at_office` counts, per unit, the distinct active employees with a qualifying
check-in (on time or late) judged inside the geofence of a place of kind ``office``;
:func:`excused` lists, per unit, the employees whose ledger rows of the day are
``excused``. :func:`national_units` gives the same per unit of every tenant, without
naming a unit or a person. The arithmetic is :mod:`.domain.actual_office`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from services.reporting.domain.ledger import QUALIFYING
from services.reporting.domain.scoring import EXCUSED
from services.reporting.store import Employee, Evaluation, Expectation, UnitDay


def _at_office(day: date) -> Select:
    ev, e = Evaluation.__table__.c, Employee.__table__.c
    return (select(ev.tenant, e.unit_id, func.count(ev.nip.distinct()).label("n"))
            .select_from(Evaluation.__table__.join(Employee.__table__, (e.tenant == ev.tenant) & (e.nip == ev.nip)))
            .where(ev.local_date == day, ev.status.in_(QUALIFYING), ev.geofence == "inside",
                   ev.place_kind == "office", e.active.is_(True))
            .group_by(ev.tenant, e.unit_id))


def _excused(day: date) -> Select:
    x = Expectation.__table__.c
    return (select(x.tenant, x.unit_id, func.count(x.nip.distinct()).label("n"))
            .where(x.day == day, x.status == EXCUSED).group_by(x.tenant, x.unit_id))


async def at_office(session: AsyncSession, tenant: str, day: date, unit_id: str | None = None) -> dict[str, int]:
    """Unit → distinct people checked in at an office place (inside its geofence) on ``day``."""
    query = _at_office(day).where(Evaluation.__table__.c.tenant == tenant)
    if unit_id:
        query = query.where(Employee.__table__.c.unit_id == unit_id)
    return {unit: n for _, unit, n in await session.execute(query)}


async def excused(session: AsyncSession, tenant: str, day: date, unit_id: str | None = None) -> dict[str, set[str]]:
    """Unit → the NIPs whose ledger rows of ``day`` (closed windows) are excused."""
    x = Expectation.__table__.c
    query = select(x.unit_id, x.nip).where(x.tenant == tenant, x.day == day, x.status == EXCUSED).distinct()
    if unit_id:
        query = query.where(x.unit_id == unit_id)
    out: dict[str, set[str]] = {}
    for unit, nip in await session.execute(query):
        out.setdefault(unit, set()).add(nip)
    return out


async def national_units(session: AsyncSession, day: date) -> list[tuple[str, int, int, int, int, int]]:
    """Every tenant's units of ``day`` (their frozen plans): (tenant, headcount, quota %, planned WFO,
    at the office, excused) — no unit id, no person."""
    u = UnitDay.__table__.c
    present = _at_office(day).subquery()
    away = _excused(day).subquery()
    rows = await session.execute(
        select(u.tenant, u.headcount, u.quota_pct, u.wfo, func.coalesce(present.c.n, 0), func.coalesce(away.c.n, 0))
        .select_from(UnitDay.__table__
                     .outerjoin(present, (present.c.tenant == u.tenant) & (present.c.unit_id == u.unit_id))
                     .outerjoin(away, (away.c.tenant == u.tenant) & (away.c.unit_id == u.unit_id)))
        .where(u.day == day))
    return [(t, int(h), int(q), int(w), int(a), int(x)) for t, h, q, w, a, x in rows]
