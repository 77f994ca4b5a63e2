"""A check-in's raw coordinates, on a need-to-know basis:
``GET /v1/checkins/{checkin_id}/location?purpose=…``.

Only the tenant's admin (the role that manages places) may ask, and only with a stated
purpose (10-500 printable characters). Everyone else reads verdicts, distances and the
place's name (:mod:`.reading`), never coordinates.

Guarantee: the coordinates of one check-in of the caller's own tenant, and in the same
transaction one ``LocationRead`` (:mod:`services.checkin.access_log`); a refused read (no or
bad purpose, another role, another tenant's or an unknown check-in, one without coordinates,
one whose coordinates retention removed: 410) stages nothing.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from sqlalchemy import select

from services.checkin.access_log import log_read
from services.checkin.domain.days import as_utc
from services.checkin.schemas import CheckinLocationOut
from services.checkin.store import Checkin
from services.contracts.policy import CheckinKind
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.location_reads import Purpose

router = APIRouter(prefix="/v1", tags=["check-ins"])

ENDPOINT = "checkin GET /v1/checkins/{checkin_id}/location"
PlacesAdmin = Annotated[Principal, Depends(role("tenant_admin"))]


@router.get(
    "/checkins/{checkin_id}/location", response_model=CheckinLocationOut,
    summary="Koordinat sebuah check-in / a check-in's raw coordinates (tenant admin, stated purpose, logged)",
    responses={403: {"description": "not the tenant's admin"},
               404: {"description": "no such check-in in the caller's tenant, or it has no coordinates"},
               410: {"description": "its coordinates were removed under the retention period"},
               422: {"description": "purpose missing or not 10-500 printable characters"}},
)
async def location(checkin_id: Annotated[uuid.UUID, Path()], purpose: Purpose, principal: PlacesAdmin,
                   rt: Runtime, response: Response) -> CheckinLocationOut:
    """The latitude, longitude and accuracy a check-in was sent with. Only the tenant admin, only with a stated
    `purpose` (10 to 500 characters); every read is written to the employee's access log, which they can see. 410
    once retention removed the coordinates."""
    tenant = principal.require_tenant()
    async with rt.sessions() as session, session.begin():
        row = await session.scalar(select(Checkin).where(Checkin.tenant == tenant, Checkin.id == str(checkin_id)))
        point = (row.payload or {}).get("location") if row is not None else None
        if row is not None and not point and row.reduced_at is not None:
            raise errors.error(status.HTTP_410_GONE, "location_reduced", loc=["path", "checkin_id"])
        if row is None or not point:
            raise errors.not_found(errors.text("checkin_location"), loc=["path", "checkin_id"])
        await log_read(session, rt, principal, employee_id=row.employee_id, purpose=purpose, endpoint=ENDPOINT,
                       data="checkin_location", records=1)
    rt.wake_relay()
    response.headers["Cache-Control"] = "no-store"
    return CheckinLocationOut(
        checkin_id=checkin_id, employee_id=row.employee_id, kind=CheckinKind(row.kind),
        captured_at=as_utc(row.captured_at), latitude=point["latitude"], longitude=point["longitude"],
        accuracy_m=point["accuracy_m"], mock_location=bool(point.get("mock_location", False)))
