"""The tenant's calendar: which national days it applies, its regional days, the days it works anyway
(:mod:`services.contracts.rules.calendar`, the one rule of working days every service applies).

Only ``tenant_admin`` reads and sets the calendar itself. A change is stored on the tenant and published
with the tenant record (``directory.updated``) in the same transaction, so every service decides working
days by it; setting the calendar in force publishes nothing. ``GET /v1/calendar`` shows any principal of
the tenant the holidays of a year: the tenant's calendar and, on each day a circular letter lists, the
letter version that applies to that day (:mod:`services.policy.domain.calendar_year`).
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.contracts.policy import PolicyContent, local_date
from services.contracts.rules.calendar import FIRST_YEAR, LAST_YEAR, TenantCalendar
from services.policy import letters, publishing
from services.policy.calendar_schemas import CalendarIn, CalendarYearOut, HolidayOut
from services.policy.domain.calendar_year import year_holidays
from services.policy.records import tenant_calendar, tenant_record
from services.policy.store import Tenant
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES

router = APIRouter(prefix="/v1", tags=["calendar"], responses=VALIDATION_RESPONSES)
Admin = Annotated[Principal, Depends(role("tenant_admin"))]
Member = Annotated[Principal, Depends(role("tenant_admin", "unit_head", "employee", "integrator"))]
NOT_SET_UP: dict[int | str, dict[str, str]] = {404: {"description": "tenant not set up yet (`PUT /v1/tenant`)"}}


def _no_tenant() -> Exception:
    return errors.not_found(errors.text("tenant"))


@router.get("/tenant/calendar", response_model=TenantCalendar, responses=NOT_SET_UP,
            summary="The caller's government's calendar in force (the national one unless it set its own)")
async def get_calendar(rt: Runtime, principal: Admin) -> TenantCalendar:
    """Which days the government does not work: whether the national public holidays and the joint-leave days (cuti
    bersama) apply, the regional holidays it added and the national days it removed. Tenant admin."""
    async with rt.sessions() as session:
        row = await session.get(Tenant, principal.require_tenant())
    if row is None:
        raise _no_tenant()
    return tenant_calendar(row)


@router.put("/tenant/calendar", response_model=TenantCalendar, responses=NOT_SET_UP,
            summary="Set the caller's government's calendar",
            description="`national` and `cuti_bersama` switch the national public holidays and the joint-leave "
                        "days (from the maintained `holidays` package) on or off; `added` lists regional "
                        f"holidays, `removed` national days the government works anyway ({FIRST_YEAR}–{LAST_YEAR}, "
                        "each day once, never both added and removed, at most 400 each). The calendar is "
                        "published with the tenant record on `directory.updated`; every service decides "
                        "working days (verdicts, expectations, rosters, reports) by it.")
async def put_calendar(rt: Runtime, body: CalendarIn, principal: Admin) -> TenantCalendar:
    tenant = principal.require_tenant()
    calendar = body.calendar()
    async with rt.sessions() as session, session.begin():
        row = await session.get(Tenant, tenant, with_for_update=True)
        if row is None:
            raise _no_tenant()
        before = tenant_record(row)
        row.calendar = calendar.model_dump(mode="json")
        record = tenant_record(row)
        if record != before:
            await publishing.stage_tenant(rt, session, record)
    rt.wake_relay()
    return calendar


@router.get("/calendar", response_model=CalendarYearOut, responses=NOT_SET_UP,
            summary="The holidays of a year for the caller's government",
            description="National days, cuti bersama and regional days as the tenant's calendar says, and the "
                        "days listed by the circular letter version that applies to each (source `letter`). "
                        "`year` defaults to the current year in the tenant's zone.")
async def calendar_year(rt: Runtime, principal: Member,
                        year: Annotated[int | None, Query(ge=FIRST_YEAR, le=LAST_YEAR)] = None) -> CalendarYearOut:
    tenant = principal.require_tenant()
    async with rt.sessions() as session:
        row = await session.get(Tenant, tenant)
        if row is None:
            raise _no_tenant()
        year = year or local_date(datetime.now(UTC), row.timezone).year
        versions = await letters.tenant_versions(session, tenant, date(year, 1, 1), date(year, 12, 31))
    calendar = tenant_calendar(row)
    found = year_holidays(year, calendar, [(v, PolicyContent.model_validate(v.content)) for v in versions])
    return CalendarYearOut(year=year, national=calendar.national, cuti_bersama=calendar.cuti_bersama,
                           holidays=[HolidayOut(date=h.day, name=h.name, source=h.source) for h in found])
