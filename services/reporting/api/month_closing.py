"""Heads' month-end closing ("setiap tanggal 31 ada evaluasi oleh kepala OPD"):

- ``GET /monthly/{YYYY-MM}/units/{unit_id}/summary`` — the unit's month on one screen (per
  employee: score, predicate, on time, late, missing, excused, the head's comment; totals);
- ``POST /monthly/{YYYY-MM}/units/{unit_id}/close`` — the head of that unit (or the BKD)
  closes the month once it has ended (409 before, 409 a second time), with comments; audited;
- ``GET /monthly/{YYYY-MM}/closings`` — ``tenant_admin``: every unit, closed or not, when, by whom.

Rules: :mod:`services.reporting.month_closing`, :mod:`services.reporting.domain.month_closing`.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import local_date
from services.reporting import month_closing, queries
from services.reporting.api.deps import Admin, Reader, UnitPath, scope, tenant_of
from services.reporting.api.monthly import MONTH_PATTERN
from services.reporting.domain.month_closing import ClosingOverview, UnitMonthSummary
from services.reporting.schemas import CloseMonthIn
from services.reporting.store import Unit
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime

router = APIRouter(prefix="/v1/reports", tags=["reports"])

MonthPath = Annotated[str, Path(pattern=MONTH_PATTERN, examples=["2026-11"])]

def _first(month: str) -> date:
    try:
        return date.fromisoformat(f"{month}-01")
    except ValueError as exc:  # year 0000
        raise errors.invalid(["path", "month"], errors.text("invalid_month", value=month)) from exc


async def _unit(session: AsyncSession, principal: Principal, unit_id: str) -> Unit:
    """The unit of the path, if the caller may see it (a head: only their own; 403 before 404)."""
    scope(principal, unit_id)
    unit = await session.get(Unit, (principal.require_tenant(), unit_id))
    if unit is None:
        raise errors.not_found(errors.text("unit"), loc=["path", "unit_id"])
    return unit


@router.get("/monthly/{month}/units/{unit_id}/summary", response_model=UnitMonthSummary,
            summary="Ringkasan evaluasi bulanan unit / a unit's month on one screen")
async def unit_summary(rt: Runtime, principal: Reader, month: MonthPath, unit_id: UnitPath) -> UnitMonthSummary:
    """A unit's month on one screen: per employee the score, predicate, on time, late, missing, excused and the
    head's comment, with totals and whether the month is closed. `month` is YYYY-MM. Tenant admin: the whole tenant
    or one `unit_id`; unit head: their own unit only (403 for another)."""
    async with rt.sessions() as session:
        unit = await _unit(session, principal, unit_id)
        return await month_closing.unit_summary(session, unit.tenant, _first(month), unit)


@router.post("/monthly/{month}/units/{unit_id}/close", response_model=UnitMonthSummary,
             status_code=status.HTTP_201_CREATED,
             summary="Tutup evaluasi bulanan unit / close a unit's month (head of the unit)",
             responses={409: {"description": "the month has not ended, or the unit's month is already closed"}})
async def close(rt: Runtime, principal: Reader, month: MonthPath, unit_id: UnitPath,
                body: CloseMonthIn) -> UnitMonthSummary:
    """The unit's head (or the BKD) closes the month once it has ended, with a comment on the unit and optional
    comments per employee; the scores are then final. 409 before the month ends or when already closed. Audited."""
    now = datetime.now(UTC)
    async with rt.sessions() as session, session.begin():
        unit = await _unit(session, principal, unit_id)
        tenant = await tenant_of(session, principal)
        return await month_closing.close(
            session, tenant.id, _first(month), unit, today=local_date(now, tenant.timezone), comment=body.comment,
            employees=[(e.nip, e.comment) for e in body.employees], actor=principal.subject,
            roles=sorted(principal.roles), nip=principal.employee_id, now=now)


@router.get("/monthly/{month}/closings", response_model=ClosingOverview,
            summary="Unit yang sudah menutup evaluasi bulanan / which units closed the month (BKD)")
async def closings(rt: Runtime, principal: Admin, month: MonthPath) -> ClosingOverview:
    """Every active unit (and any closed one) for `month` (YYYY-MM): closed or not, when and by whom, with totals.
    Tenant admin."""
    tenant_id = principal.require_tenant()
    first = _first(month)
    async with rt.sessions() as session:
        units = await queries.units(session, tenant_id)
        done = await month_closing.closings(session, tenant_id, first)
    rows = [month_closing.closing_out(units[uid], first, *done.get(uid, (None, 0)))
            for uid in sorted(units) if units[uid].active or uid in done]
    return ClosingOverview(month=month, total=len(rows), closed=sum(r.closed for r in rows), units=rows)
