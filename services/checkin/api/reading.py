"""Reading check-ins back with their verdicts: ``GET /v1/checkins/mine`` (the caller's own)
and ``GET /v1/units/{unit_id}/checkins`` (a unit's, for its head or the tenant's admin).

Guarantee: a caller reads only their own tenant's rows, and of those only their own
check-ins or their own unit's (any unit for the tenant's admin); newest first, a page at a
time (:mod:`services.runtime.pages`), ``?date`` narrowing to a calendar day in the tenant's zone.
Activity reports and video conferences carry where their head's review stands (pending, approved
or returned, with the head's note)."""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import Select, select

from services.checkin.api.common import Submitter, day_bounds, forbidden, to_out
from services.checkin.domain.days import tenant_zone
from services.checkin.domain.reviews import own_view
from services.checkin.schemas import CheckinPage
from services.checkin.store import Checkin, directory_zone, reviews_of
from services.runtime import errors, pages
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.pages import After, Limit
from services.runtime.service import ServiceRuntime

router = APIRouter(prefix="/v1", tags=["check-ins"])

UnitReader = Annotated[Principal, Depends(role("unit_head", "tenant_admin"))]
Day = Annotated[date | None, Query(alias="date", description="a day in the tenant's zone (YYYY-MM-DD); "
                                                            "omitted: every day")]


@router.get("/checkins/mine", response_model=CheckinPage, summary="My check-ins with their verdicts")
async def mine(principal: Submitter, rt: Runtime, day: Day = None, limit: Limit = pages.DEFAULT_LIMIT,
               after: After = None) -> CheckinPage:
    """The caller's own check-ins, newest first, a page at a time (`limit` rows; `next_after` sent back as `after`
    for the next page), each with its verdict once policy has evaluated it (on time or late, geofence, suspicious)
    and, for an activity report or a video conference, where the head's review stands. `date` narrows to one
    calendar day in the tenant's zone (without it: every day). Employee or unit head with a NIP."""
    tenant = principal.require_tenant()
    if not principal.employee_id:
        raise forbidden("missing_nip")
    query = select(Checkin).where(Checkin.tenant == tenant, Checkin.employee_id == principal.employee_id)
    return await _list(rt, tenant, query, day, after, limit)


@router.get("/units/{unit_id}/checkins", response_model=CheckinPage,
            summary="Check-ins of one unit (its head, or the tenant's admin)")
async def unit_checkins(unit_id: Annotated[str, Path(max_length=100, pattern=r"^[^\x00]*$")], principal: UnitReader,
                        rt: Runtime, day: Day = None, limit: Limit = pages.DEFAULT_LIMIT,
                        after: After = None) -> CheckinPage:
    """The check-ins of one unit, newest first, a page at a time (`limit` rows; `next_after` sent back as `after`
    for the next page), with verdicts and review state; `date` narrows to one day in the tenant's zone (without it:
    every day). The unit's head, or the tenant admin for any unit (403 for another unit)."""
    tenant = principal.require_tenant()
    if not principal.has("tenant_admin") and principal.unit_id != unit_id:
        raise errors.forbidden("not_your_unit", loc=["path", "unit_id"])
    return await _list(rt, tenant, select(Checkin).where(Checkin.tenant == tenant, Checkin.unit_id == unit_id),
                       day, after, limit)


async def _list(rt: ServiceRuntime, tenant: str, query: Select[Any], day: date | None, after: str | None,
                limit: int) -> CheckinPage:
    """Newest first; ``day`` is a calendar day in the tenant's zone (the directory's, else
    Asia/Jakarta: the letters' zone is not consulted here)."""
    async with rt.sessions() as session:
        if day is not None:
            start, end = day_bounds(day, tenant_zone(await directory_zone(session, tenant), ()))
            query = query.where(Checkin.captured_at >= start, Checkin.captured_at < end)
        rows, next_after = await pages.newest_first(session, query, Checkin.captured_at, Checkin.id, after, limit)
        decided = await reviews_of(session, tenant, rows)
    return CheckinPage(items=[to_out(r, own_view(r, decided.get(r.id))) for r in rows], next_after=next_after)
