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

The router is a module-level object; routes reach the runtime and the caller through
:mod:`services.runtime.deps`.
"""


# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response, status

from services.checkin.domain.days import tenant_zone
from services.checkin.settings import CheckinSettings
from services.checkin.store import DirectoryEmployee, directory_zone, letters
from services.checkin.web import today
from services.checkin.web.schemas import MapTiles, Me, PolicyInForce
from services.contracts.policy import local_date, zone_abbreviation
from services.contracts.rules.versions import at_capture
from services.runtime import deps, signin
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


def _page_headers(request: Request) -> dict[str, str]:
    """The page's policy: the tile server's origin allowed for images (``HADIR_MAP_TILE_URL``); the identity
    provider (sign-in) and the policy service (the caller's places and absences) for connections."""
    settings = CheckinSettings.of(deps.runtime(request).settings)
    policy = urlsplit(settings.policy_url(request.url.scheme, request.url.hostname))
    return page_headers(signin.connect_src(request, f"{policy.scheme}://{policy.netloc}"),
                        img_src=settings.tile_origin)


add_static(router, "/app", STATIC, index_headers=_page_headers)
