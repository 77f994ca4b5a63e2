"""Exact coordinates for the tenant admin, only with a stated purpose, and the location access log.

``GET /v1/employees/{nip}/places?purpose=…`` is the one route that shows another person's place
coordinates: the tenant admin (the role that manages places) states why, and the read appends its
access-log row in the transaction that reads the places (:mod:`..access_log`). ``GET
/v1/privacy/access-log`` lists the tenant's log for the admin. Guarantee: no coordinates without a
purpose and a row; no row for a refused read.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from services.policy import access_log
from services.policy.api.directory import NipPath, checked_nip, tenant_zone
from services.policy.privacy_schemas import AccessLogPage, EmployeePlaces
from services.policy.records import employee_record
from services.policy.store import Employee
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES
from services.runtime.location_reads import Purpose, read_by
from services.runtime.pages import After, Limit
from services.runtime.service import ServiceRuntime

PLACES_ENDPOINT = "policy GET /v1/employees/{nip}/places"
Instant = Annotated[AwareDatetime | None, Query(description="ISO 8601 with its offset, e.g. 2026-12-01T00:00:00+07:00")]
Admin = Annotated[Principal, Depends(role("tenant_admin"))]

router = APIRouter(prefix="/v1", tags=["privacy"], responses=VALIDATION_RESPONSES)


@router.get("/employees/{nip}/places", response_model=EmployeePlaces,
            summary="An employee's places with exact coordinates (a stated purpose; the read is logged)",
            description="Tenant admins only. Every version of every place, with coordinates; the read "
                        "appends one row to the access log (who, when, whose, `purpose`, this endpoint).")
async def places(rt: Runtime, nip: NipPath, purpose: Purpose, principal: Admin) -> EmployeePlaces:
    return await logged_places(rt, principal, checked_nip(nip), purpose, PLACES_ENDPOINT)


async def logged_places(rt: ServiceRuntime, principal: Principal, nip: str, purpose: str,
                        endpoint: str) -> EmployeePlaces:
    """Every version of ``nip``'s places with coordinates, and the access-log row of the read, in one
    transaction (404, and no row, when the caller's tenant has no such employee)."""
    tenant = principal.require_tenant()
    now = datetime.now(UTC)
    async with rt.sessions() as session, session.begin():
        row = await session.get(Employee, (tenant, nip))
        if row is None:
            raise errors.not_found(errors.text("employee"))
        found = employee_record(row).places
        read = read_by(principal, employee_id=nip, purpose=purpose, endpoint=endpoint,
                                  data="places", records=len(found), at=now)
        await access_log.record(session, read, tenant)
    return EmployeePlaces(nip=nip, places=found, read_id=read.read_id, purpose=purpose, at=now)


@router.get("/privacy/access-log", response_model=AccessLogPage,
            summary="Who read whose location data, newest first, a page at a time",
            description="Tenant admins only. Filters: `employee_id` (whose data), `since` ≤ read < `until`.")
async def tenant_log(rt: Runtime, principal: Admin, limit: Limit = 100, after: After = None,
                     employee_id: Annotated[str | None, Query(max_length=40, description="NIP")] = None,
                     since: Instant = None, until: Instant = None) -> AccessLogPage:
    tenant = principal.require_tenant()
    nip = checked_nip(employee_id, ("query", "employee_id")) if employee_id is not None else None
    async with rt.sessions() as session:
        return await access_log.page(session, tenant, await tenant_zone(session, tenant), employee_id=nip,
                                     since=since, until=until, after=after, limit=limit)
