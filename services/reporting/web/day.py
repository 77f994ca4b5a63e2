"""``GET /dashboard/api/day`` — the dashboard's day: the daily report with its units worst first
and the people behind its missing and late counts, from one gathering of the day's facts
(:func:`services.reporting.reports.daily_report` with its rows), so tiles and lists agree
(:mod:`.board`). Tenant admin (the tenant or one unit) or unit head (their own unit)."""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, datetime

from fastapi import APIRouter
from sqlalchemy import select

from services.contracts.policy import local_date
from services.reporting.api.deps import DayQ, Reader, UnitQ, scope, tenant_of
from services.reporting.reports import daily_report
from services.reporting.store import Employee
from services.reporting.web import board
from services.runtime.deps import Runtime

router = APIRouter(tags=["web"])


@router.get("/dashboard/api/day", response_model=board.Board,
            summary="Hari ini di dasbor / the dashboard's day: report, units worst first, who is missing or late")
async def day_board(rt: Runtime, principal: Reader, day: DayQ = None, unit_id: UnitQ = None) -> board.Board:
    """The daily report of `date` (YYYY-MM-DD, the tenant's local day; default today) with its units ordered worst
    first (largest share of missing among the expected, then of late, ties by name) and `attention`: every expected
    check-in counted as missing or late in that report, with the person's and unit's names — the same rows the
    totals count, so `len([a for a in attention if a.status == "missing"]) == report.totals.missing`. Tenant admin:
    the whole tenant or one `unit_id`; unit head: their own unit only (403 for another)."""
    unit = scope(principal, unit_id)
    now = datetime.now(UTC)
    async with rt.sessions() as session:
        tenant = await tenant_of(session, principal)
        report, detail = await daily_report(session, tenant, day or local_date(now, tenant.timezone), unit, now,
                                            with_rows=True)
        wanted = sorted({r.nip for r in detail.rows if r.status in board.ATTENTION and not r.name})
        names: dict[str, str] = {}
        if wanted:
            rows = await session.execute(select(Employee.nip, Employee.name)
                                         .where(Employee.tenant == tenant.id, Employee.nip.in_(wanted)))
            names = {nip: name for nip, name in rows.tuples()}
    return board.build(report, detail.rows, names, detail.window_names)
