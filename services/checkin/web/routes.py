"""Web routes of the check-in service.

- ``/app/`` — the employees' check-in page (plain HTML, CSS and ES modules from
  ``static/``; ``/`` redirects to it). It signs in through the identity provider
  (``signin.js``, :mod:`services.runtime.signin`) and talks to this service (the check-in
  API ``/v1/checkins``, ``/v1/checkins/batch``, ``/v1/checkins/mine``, the caller's
  download ``/v1/me/export``, and the JSON endpoints below) and reads two of the caller's
  own lists from the policy service (``/v1/me/places``, ``/v1/me/absences``; where:
  ``HADIR_POLICY_PUBLIC_URL``, default this host on port 8002; both in the page's CSP).
- ``GET /app/api/me`` — who the bearer token is according to this service's read
  models: name and unit from the directory, the tenant's zone and local date, the
  circular letter in force and its late-submission limit.
- ``GET /app/api/today`` — the caller's windows today (:mod:`.today`).
- ``GET /app/api/unit-checkins`` — a day's check-ins of a unit (unit head: their own;
  tenant admin: one unit or all) with verdicts, distances to the geofence, the nearest
  place's name and the employees' names, but no coordinates. The reporting dashboard's geofence panel reads it from the
  browser, so it answers CORS (:mod:`services.runtime.page_cors`, ``HADIR_WEB_ALLOWED_ORIGINS``).

The router is a module-level object; routes reach the runtime and the caller through
:mod:`services.runtime.deps`.
"""


# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import select

from services.checkin.api.common import day_bounds
from services.checkin.domain.days import as_utc, tenant_zone
from services.checkin.settings import CheckinSettings
from services.checkin.store import Checkin, DirectoryEmployee, directory_zone, letters
from services.checkin.web import today
from services.checkin.web.schemas import MapTiles, Me, PolicyInForce, UnitCheckin
from services.contracts.policy import local_date, zone_abbreviation
from services.contracts.rules.versions import at_capture
from services.runtime import deps, errors, signin
from services.runtime.deps import Caller, Runtime
from services.runtime.web_assets import add_static, page_headers

STATIC = Path(__file__).parent / "static"

router = APIRouter(tags=["web"])
router.include_router(today.router)


@router.get("/", include_in_schema=False)
async def root() -> Response:
    return Response(status_code=status.HTTP_307_TEMPORARY_REDIRECT, headers={"Location": "/app/"})


@router.get("/app/api/me", response_model=Me, summary="Who the token is (for the check-in page)")
async def me(request: Request, principal: Caller, rt: Runtime) -> Me:
    """What the check-in page shows about the caller: name and unit from the directory, the tenant's zone and local
    date, the circular letter in force and how late a check-in may still be sent. Any authenticated caller of a
    tenant."""
    tenant = principal.require_tenant()
    now = datetime.now(UTC)
    async with rt.sessions() as session:
        employee = (await session.get(DirectoryEmployee, (tenant, principal.employee_id))
                    if principal.employee_id else None)
        zone = await directory_zone(session, tenant)
        versions = await letters(session, tenant)
    tz = tenant_zone(zone, versions)
    today = local_date(now, tz)
    version = at_capture(versions, today, now)
    settings = CheckinSettings.of(rt.settings)
    return Me(
        subject=principal.subject, tenant=tenant, roles=sorted(principal.roles), nip=principal.employee_id,
        known=employee is not None, active=employee.active if employee else None,
        name=employee.name if employee else None, unit_id=employee.unit_id if employee else principal.unit_id,
        timezone=tz, zone=zone_abbreviation(tz), today=today,
        policy=PolicyInForce(number=version.number, version=version.version, valid_from=version.valid_from,
                             valid_until=version.valid_until,
                             late_submission_limit_hours=version.late_submission_limit_hours,
                             geofence_radius_m=(version.content or {}).get("geofence_radius_m"))
        if version else None,
        map=MapTiles(url=settings.map_tile_url, attribution=settings.map_attribution) if settings.tile_origin else None,
        policy_url=settings.policy_url(request.url.scheme, request.url.hostname),
    )


@router.get("/app/api/unit-checkins", response_model=list[UnitCheckin], dependencies=deps.SCHEMES,
            summary="A day's check-ins of a unit with verdicts (for the reporting dashboard; CORS)",
            responses={401: {"description": "no or invalid token"}, 403: {"description": "not your unit"}})
async def unit_checkins(principal: Caller, rt: Runtime, day: Annotated[date | None, Query(alias="date")] = None,
                        unit_id: Annotated[str | None, Query(max_length=100)] = None,
                        limit: Annotated[int, Query(ge=1, le=5000)] = 2000) -> list[UnitCheckin]:
    """A day's check-ins of a unit (unit head: their own; tenant admin: one unit or all) with verdicts, distance to
    the geofence, the nearest place's name and employees' names, never coordinates. `date` defaults to today in the
    tenant's zone. Answers CORS for the dashboard (bearer tokens only; :mod:`services.runtime.page_cors`)."""
    tenant = principal.require_tenant()
    if principal.has("tenant_admin"):
        unit = unit_id
    elif principal.has("unit_head") and principal.unit_id and unit_id in (None, principal.unit_id):
        unit = principal.unit_id
    else:
        raise errors.forbidden("not_your_unit", loc=["query", "unit_id"])
    async with rt.sessions() as session:
        tz = tenant_zone(await directory_zone(session, tenant), ())  # the directory's zone only
        start, end = day_bounds(day or local_date(datetime.now(UTC), tz), tz)
        query = (select(Checkin, DirectoryEmployee.name)
                 .outerjoin(DirectoryEmployee, (DirectoryEmployee.tenant == Checkin.tenant)
                            & (DirectoryEmployee.nip == Checkin.employee_id))
                 .where(Checkin.tenant == tenant, Checkin.captured_at >= start, Checkin.captured_at < end))
        if unit:
            query = query.where(Checkin.unit_id == unit)
        rows = (await session.execute(query.order_by(Checkin.captured_at).limit(limit))).all()
    return [UnitCheckin(
        id=c.id, employee_id=c.employee_id, name=name, unit_id=c.unit_id, kind=c.kind,
        captured_at=as_utc(c.captured_at), status=c.status or "pending", window_id=c.window_id,
        late_minutes=c.late_minutes, geofence=c.geofence, distance_m=c.distance_m, place_name=c.place_name,
        accuracy_m=((c.payload or {}).get("location") or {}).get("accuracy_m"), suspicious=c.suspicious,
    ) for c, name in rows]


def _page_headers(request: Request) -> dict[str, str]:
    """The page's policy: the tile server's origin allowed for images (``HADIR_MAP_TILE_URL``); the identity
    provider (sign-in) and the policy service (the caller's places and absences) for connections."""
    settings = CheckinSettings.of(deps.runtime(request).settings)
    policy = urlsplit(settings.policy_url(request.url.scheme, request.url.hostname))
    return page_headers(signin.connect_src(request, f"{policy.scheme}://{policy.netloc}"),
                        img_src=settings.tile_origin)


add_static(router, "/app", STATIC, index_headers=_page_headers)
