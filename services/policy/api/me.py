"""The employee's own data: their places with coordinates, who read their location data, and the
download of everything policy holds about them (UU PDP 27/2022, the right of access).

Guarantee: every route reads under the caller's own tenant and NIP (from the credentials) only;
a read of their own coordinates (``/me/places``, ``/me/export``) appends its access-log row, purpose
"akses mandiri / self access", in the transaction that reads them.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from services.contracts.rules.purpose import SELF_ACCESS
from services.policy import access_log, my_data
from services.policy.api.directory import tenant_zone
from services.policy.api.privacy import logged_places
from services.policy.privacy_schemas import AccessLogPage, EmployeePlaces
from services.runtime import self_export
from services.runtime.data_subject import Subject, subject_of
from services.runtime.deps import Runtime
from services.runtime.errors import VALIDATION_RESPONSES
from services.runtime.pages import After, Limit

PLACES_ENDPOINT = "policy GET /v1/me/places"
Me = Annotated[Subject, Depends(subject_of("employee"))]  # the employee role only, NIP required

router = APIRouter(prefix="/v1/me", tags=["my data"], responses=VALIDATION_RESPONSES)


@router.get("/places", response_model=EmployeePlaces, summary="My places with their coordinates (logged)",
            description="Every version of my places; the read appears in my access log.")
async def my_places(rt: Runtime, me: Me) -> EmployeePlaces:
    return await logged_places(rt, me.principal, me.nip, SELF_ACCESS, PLACES_ENDPOINT)


@router.get("/access-log", response_model=AccessLogPage, summary="Who read my location data, newest first")
async def my_access_log(rt: Runtime, me: Me, limit: Limit = 100, after: After = None) -> AccessLogPage:
    """Every read of the caller's location data (home and office places, check-in coordinates): who read it, when,
    for what stated purpose and through which endpoint, newest first, times also in the tenant's zone. A page at a
    time: `limit`, and `after` set to the previous page's `next_after`. Employee with a NIP."""
    tenant, nip = me.tenant, me.nip
    async with rt.sessions() as session:
        return await access_log.page(session, tenant, await tenant_zone(session, tenant), employee_id=nip,
                                     after=after, limit=limit)


@router.get("/export", summary="Download everything policy holds about me (JSON or CSV)",
            description=(my_data.__doc__ or "") + "\n\n" + (self_export.__doc__ or ""),
            response_class=Response, responses=self_export.RESPONSES)
async def my_export(rt: Runtime, me: Me, format: self_export.FormatQuery = "json") -> Response:
    tenant, nip = me.tenant, me.nip
    async with rt.sessions() as session, session.begin():
        export = await my_data.gather(session, tenant, nip, await tenant_zone(session, tenant), me.principal,
                                      datetime.now(UTC))
    return self_export.response(export, format)
