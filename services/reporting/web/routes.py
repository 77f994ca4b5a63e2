"""Web routes of the reporting service.

- ``/dashboard/`` — the dashboard of unit heads and the personnel agency (plain HTML,
  CSS and ES modules from ``static/``; ``/`` redirects to it). It reads the reporting
  API (``/v1/reports/daily``, ``/overdue``, ``/verifications``, the exports) and the
  two JSON endpoints below; its geofence panel reads the check-in service's
  ``/app/api/unit-checkins`` from the browser (``HADIR_CHECKIN_PUBLIC_URL``, default
  this host on port 8001). No service calls another: only the browser does.
- ``GET /dashboard/api/context`` — what the page needs besides the reports: the
  tenant's zone and local date, the letter's geofence radius and quotas, where the
  check-in service is.
- ``GET /dashboard/api/trend`` — a month of the ledger per day (closed windows only:
  expected, on time, late, missing, outside the geofence, suspicious).
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel

from services.contracts.policy import PolicyContent, local_date, zone_abbreviation
from services.reporting import queries
from services.reporting.domain.daily import Counts
from services.reporting.settings import ReportingSettings
from services.reporting.store import Tenant
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role, runtime
from services.runtime.web_assets import add_static, page_headers

STATIC = Path(__file__).parent / "static"
CHECKIN_PORT = 8001
MONTH = r"^(19|2[0-9])\d{2}-(0[1-9]|1[0-2])$"


class Context(BaseModel):
    tenant: str
    tenant_name: str
    timezone: str
    zone: str
    today: date
    date: date
    roles: list[str]
    unit_id: str | None
    checkin_url: str
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


def checkin_url(request: Request) -> str:
    """Where browsers reach the check-in service: ``HADIR_CHECKIN_PUBLIC_URL``, else this host on 8001."""
    configured = ReportingSettings.of(runtime(request).settings).checkin_public_url.strip().rstrip("/")
    if configured:
        return configured
    host = request.url.hostname or "127.0.0.1"
    return f"{request.url.scheme}://{host}:{CHECKIN_PORT}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _scope(principal: Principal, unit_id: str | None) -> str | None:
    """Tenant admins see every unit; a unit head only their own (as the reports API does)."""
    if principal.has("tenant_admin"):
        return unit_id
    if not principal.unit_id or (unit_id and unit_id != principal.unit_id):
        raise errors.forbidden("not_your_unit", loc=["query", "unit_id"])
    return principal.unit_id


Reader = Annotated[Principal, Depends(role("tenant_admin", "unit_head"))]

router = APIRouter(tags=["web"])


@router.get("/", include_in_schema=False)
async def root() -> Response:
    return Response(status_code=status.HTTP_307_TEMPORARY_REDIRECT, headers={"Location": "/dashboard/"})


@router.get("/dashboard/api/context", response_model=Context, summary="What the dashboard needs to start")
async def context(rt: Runtime, request: Request, principal: Reader,
                  day: Annotated[date | None, Query(alias="date")] = None) -> Context:
    """What the dashboard needs to start: the tenant, its zone, today, the caller's roles and unit, the letter in
    force for `date` (default today) with its geofence radius and sector quotas, and the check-in service's URL.
    Tenant admin or unit head."""
    unit = _scope(principal, None)
    async with rt.sessions() as session:
        tenant = await session.get(Tenant, principal.require_tenant())
        if tenant is None:
            raise errors.not_found(errors.text("tenant"))
        today = local_date(datetime.now(UTC), tenant.timezone)
        version = await queries.policy_for_day(session, tenant.id, day or today)
    content = PolicyContent.model_validate(version.content) if version is not None else None
    return Context(
        tenant=tenant.id, tenant_name=tenant.name, timezone=tenant.timezone,
        zone=zone_abbreviation(tenant.timezone), today=today, date=day or today, roles=sorted(principal.roles),
        unit_id=unit, checkin_url=checkin_url(request),
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
    unit = _scope(principal, unit_id)
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
    return page_headers(f"'self' {_origin(checkin_url(request))}")


add_static(router, "/dashboard", STATIC, index_headers=_page_headers)
