"""Heads' month-end closing in the database: the unit's summary, its closing once, audited.

The scores are those of the month-end evaluation (:func:`.monthly.month_scores`: frozen
once the tenant's month was evaluated, live before) — never computed another way. A
unit's month is closed once (a second closing is refused, 409), only after the month
ended in the tenant's zone (409 before), with comments only on employees the unit's
summary lists (422 otherwise); the closing, its comments and the audit entry commit
together. Rules and the summary: :mod:`.domain.month_closing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting import monthly
from services.reporting.domain import monthly as month_rules
from services.reporting.domain.month_closing import ClosingOut, UnitMonthSummary, month_over, summary
from services.reporting.domain.monthly import month_end
from services.reporting.domain.scoring import EXCUSED
from services.reporting.store import AuditEntry, Expectation, Unit, UnitMonthClosing, UnitMonthComment
from services.runtime import errors


def closing_out(unit: Unit, month: date, row: UnitMonthClosing | None, commented: int = 0) -> ClosingOut:
    if row is None:
        return ClosingOut(unit_id=unit.id, name=unit.name, month=month.strftime("%Y-%m"), closed=False)
    return ClosingOut(unit_id=unit.id, name=unit.name, month=month.strftime("%Y-%m"), closed=True,
                      closed_by=row.closed_by, closed_at=row.closed_at, comment=row.comment,
                      employees_commented=commented)


async def _excused(session: AsyncSession, tenant: str, month: date, unit_id: str) -> dict[str, int]:
    x = Expectation.__table__.c
    rows = await session.execute(
        select(x.nip, func.count()).where(x.tenant == tenant, x.unit_id == unit_id, x.day >= month,
                                          x.day <= month_end(month), x.status == EXCUSED)
        .group_by(x.nip))
    return {nip: int(n) for nip, n in rows}


async def unit_summary(session: AsyncSession, tenant: str, month: date, unit: Unit) -> UnitMonthSummary:
    """The unit's month as its head closes it (with the closing and its comments once made)."""
    closure, weights, rows = await monthly.month_scores(session, tenant, month, unit.id)
    report = month_rules.build(tenant, month, rows, weights, closure.closed_at if closure else None,
                               {unit.id: unit.name})
    row = await session.get(UnitMonthClosing, (tenant, month, unit.id))
    comments = {c.nip: c.comment for c in await session.scalars(select(UnitMonthComment).where(
        UnitMonthComment.tenant == tenant, UnitMonthComment.month == month, UnitMonthComment.unit_id == unit.id))}
    return summary(tenant, month, unit.id, unit.name, rows, final=report.final,
                   average=report.units[0].average_score if report.units else None,
                   excused=await _excused(session, tenant, month, unit.id), comments=comments,
                   closing=closing_out(unit, month, row, len(comments)))


async def close(session: AsyncSession, tenant: str, month: date, unit: Unit, *, today: date, comment: str | None,
                employees: Sequence[tuple[str, str]], actor: str, roles: list[str], nip: str | None,
                now: datetime) -> UnitMonthSummary:
    """Close the unit's month once, with the comments; audited."""
    label = month.strftime("%Y-%m")
    if not month_over(month, today):
        raise errors.conflict("month_not_over", month=label)
    if await session.get(UnitMonthClosing, (tenant, month, unit.id), with_for_update=True) is not None:
        raise errors.conflict("month_closed", month=label)
    listed = {r.nip for r in (await monthly.month_scores(session, tenant, month, unit.id))[2]}
    seen: set[str] = set()
    for i, (who, _) in enumerate(employees):
        if who in seen:
            raise errors.invalid(["body", "employees", i, "nip"], errors.text("duplicate_employee", nip=who))
        if who not in listed:
            raise errors.invalid(["body", "employees", i, "nip"], errors.text("not_in_unit", nip=who))
        seen.add(who)
    session.add(UnitMonthClosing(tenant=tenant, month=month, unit_id=unit.id, closed_by=actor, closed_nip=nip,
                                 closed_at=now, comment=comment))
    session.add_all([UnitMonthComment(tenant=tenant, month=month, unit_id=unit.id, nip=who, comment=text)
                     for who, text in employees])
    session.add(AuditEntry(tenant=tenant, actor=actor, roles=roles, action="tutup_evaluasi_bulanan_unit",
                           target=f"unit:{unit.id}/{label}",
                           details={"nip": nip, "comment": comment, "employees": [who for who, _ in employees]},
                           at=now))
    await session.flush()
    return await unit_summary(session, tenant, month, unit)


async def closings(session: AsyncSession, tenant: str, month: date) -> dict[str, tuple[UnitMonthClosing, int]]:
    """Unit → its closing of ``month`` and how many employees it commented on."""
    c = UnitMonthComment.__table__.c
    counted: dict[str, int] = dict((await session.execute(
        select(c.unit_id, func.count()).where(c.tenant == tenant, c.month == month).group_by(c.unit_id))).all())
    return {r.unit_id: (r, int(counted.get(r.unit_id, 0))) for r in await session.scalars(
        select(UnitMonthClosing).where(UnitMonthClosing.tenant == tenant, UnitMonthClosing.month == month))}
