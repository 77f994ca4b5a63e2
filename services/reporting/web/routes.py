"""Web routes of the reporting service.

- ``/dashboard/`` — the dashboard of unit heads and the personnel agency (plain HTML,
  CSS and ES modules from ``static/``; ``/`` redirects to it), signing people in through the
  shared ``signin.js`` (its CSP allows this service and the OIDC provider, nothing else). Every
  call of the page goes to this service (same origin): the reporting API (``/v1/reports/…``)
  and the ``/dashboard/api/…`` endpoints: the context and trend below, the day
  (:mod:`.day`) and the day's check-ins (:mod:`.checkins`).
- ``GET /dashboard/api/context`` — what the page needs besides the reports: the
  caller's name, roles and unit (with its name) as the server understood the token, the
  tenant's zone and local date, the letter's geofence radius and quotas.
- ``GET /dashboard/api/trend`` — a month of the ledger per day (closed windows only:
  expected, on time, late, missing, outside the geofence, suspicious).
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field

from services.contracts.policy import PolicyContent, local_date, zone_abbreviation
from services.reporting import queries
from services.reporting.api.deps import Reader, scope, tenant_of
from services.reporting.domain.daily import Counts
from services.reporting.store import Employee, Unit
from services.runtime import signin
from services.runtime.deps import Runtime
from services.runtime.web_assets import add_static, page_headers

STATIC = Path(__file__).parent / "static"
MONTH = r"^(19|2[0-9])\d{2}-(0[1-9]|1[0-2])$"


class Context(BaseModel):
    tenant: str
    tenant_name: str
    timezone: str
    zone: str
    today: date
    date: date
    roles: list[str]
    name: str | None = Field(default=None, description="the caller's name, when the directory knows their NIP")
    unit_id: str | None
    unit_name: str | None = Field(default=None, description="the name of the caller's unit (unit heads)")
    policy_number: str | None = None
    geofence_radius_m: float | None = None
    sector_quotas: dict[str, int] = {}


class TrendDay(Counts):
    """A day's closed windows counted as the daily report counts them (excused rows not expected)."""

    date: date


class Trend(BaseModel):
    month: str
    unit_id: str | None
    days: list[TrendDay]


router = APIRouter(tags=["web"])


@router.get("/", include_in_schema=False)
async def root() -> Response:
    return Response(status_code=status.HTTP_307_TEMPORARY_REDIRECT, headers={"Location": "/dashboard/"})


@router.get("/dashboard/api/context", response_model=Context, summary="What the dashboard needs to start")
async def context(rt: Runtime, principal: Reader,
                  day: Annotated[date | None, Query(alias="date")] = None) -> Context:
    """What the dashboard needs to start: the tenant, its zone, today, the caller's roles, name and unit (with its
    name) as the server understood the token, the letter in force for `date` (default today) with its geofence radius
    and sector quotas. Tenant admin or unit head."""
    unit = scope(principal, None)
    async with rt.sessions() as session:
        tenant = await tenant_of(session, principal)
        today = local_date(datetime.now(UTC), tenant.timezone)
        version = await queries.policy_for_day(session, tenant.id, day or today)
        own = await session.get(Unit, (tenant.id, unit)) if unit else None
        person = await session.get(Employee, (tenant.id, principal.employee_id)) if principal.employee_id else None
    content = PolicyContent.model_validate(version.content) if version is not None else None
    return Context(
        tenant=tenant.id, tenant_name=tenant.name, timezone=tenant.timezone,
        zone=zone_abbreviation(tenant.timezone), today=today, date=day or today, roles=sorted(principal.roles),
        name=person.name if person else None, unit_id=unit, unit_name=own.name if own else None,
        policy_number=version.number if version else None,
        geofence_radius_m=content.geofence_radius_m if content else None,
        sector_quotas={str(k): v for k, v in content.sector_quotas.items()} if content else {},
    )


@router.get("/dashboard/api/trend", response_model=Trend, summary="A month of the ledger per day (closed windows)")
async def trend(rt: Runtime, principal: Reader, month: Annotated[str, Query(pattern=MONTH)],
                unit_id: Annotated[str | None, Query(max_length=100)] = None) -> Trend:
    """For `month` (YYYY-MM), per day: the ledger of closed windows counted by status, outside geofence and
    suspicious, as the daily report counts them. Tenant admin: the whole tenant or one `unit_id`; unit head: their
    own unit only (403 for another)."""
    unit = scope(principal, unit_id)
    year, number = map(int, month.split("-"))
    first = date(year, number, 1)
    after = date(year + number // 12, number % 12 + 1, 1)
    days: dict[date, TrendDay] = {}
    async with rt.sessions() as session:
        rows = await queries.daily_trend(session, principal.require_tenant(), first, after, unit)
    for day, status_, n, outside, suspicious in rows:
        days.setdefault(day, TrendDay(date=day)).add_group(status_, n, outside, suspicious)
    return Trend(month=month, unit_id=unit, days=sorted(days.values(), key=lambda d: d.date))


def _page_headers(request: Request) -> dict[str, str]:
    """This service and the OIDC provider: every call of the page is same-origin."""
    return page_headers(signin.connect_src(request))


page = APIRouter()  # included last (services/reporting/web/__init__.py): its catch-all serves the page's files
add_static(page, "/dashboard", STATIC, index_headers=_page_headers)
