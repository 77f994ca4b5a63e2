"""Roster routes: generate a unit's WFO/WFH plan, override a day, read it.

Tenant admins act on every unit; a unit head only on their own unit (the
``unit`` claim of their token); an employee reads their own days.
"""


from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status
from sqlalchemy import select

from services.policy import rosters
from services.policy.api.directory import NipPath, UnitPath, checked_nip
from services.policy.schemas import (
    FIRST_DAY,
    LAST_DAY,
    MAX_ROSTER_DAYS,
    MyRosterDay,
    OverrideIn,
    OverrideOut,
    RosterOut,
    RosterRequest,
)
from services.policy.store import RosterDay
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES

DayPath = Annotated[date, Path(description="YYYY-MM-DD")]


def own_unit(principal: Principal, unit_id: str) -> None:
    if principal.has("tenant_admin"):
        return
    if principal.has("unit_head") and principal.unit_id == unit_id:
        return
    raise errors.forbidden("own_unit_only")


def checked_range(start: date, end: date) -> None:
    for name, value in (("start", start), ("end", end)):
        if not FIRST_DAY <= value <= LAST_DAY:
            raise errors.invalid(("query", name), errors.text("date_outside_range", first=FIRST_DAY, last=LAST_DAY))
    if end < start:
        raise errors.invalid(("query", "end"), errors.text("end_before_start"))
    if end - start >= timedelta(days=MAX_ROSTER_DAYS):
        raise errors.invalid(("query", "end"), errors.text("range_too_long", days=MAX_ROSTER_DAYS))


router = APIRouter(prefix="/v1", tags=["rosters"], responses=VALIDATION_RESPONSES)
Manager = Annotated[Principal, Depends(role("tenant_admin", "unit_head"))]
Employee = Annotated[Principal, Depends(role("employee", "unit_head", "tenant_admin"))]


@router.post(
    "/units/{unit_id}/rosters", response_model=RosterOut, summary="Generate a unit's roster for a date range",
    description="Every working day keeps at least the unit's in-office quota (rounded up) in the office; "
                "exempt employees are always WFO; the rest rotate so that over a month each one's WFO days "
                "are within one of their peers'. Regenerating the same range changes and publishes nothing; "
                "days a unit head overrode are kept unless `replace_overrides` is true (else 409).",
    responses={404: {"description": "unknown unit"},
               409: {"description": "no letter applies on some day, or days were overridden"}},
)
async def generate(rt: Runtime, unit_id: UnitPath, body: RosterRequest, principal: Manager) -> RosterOut:
    own_unit(principal, unit_id)
    async with rt.sessions() as session, session.begin():
        out = await rosters.generate(rt, session, tenant=principal.require_tenant(), unit_id=unit_id,
                                     start=body.start, end=body.end, actor=principal.subject,
                                     replace_overrides=body.replace_overrides, now=datetime.now(UTC))
    rt.wake_relay()
    return out


@router.get("/units/{unit_id}/rosters", response_model=RosterOut, summary="A unit's roster for a date range")
async def read(rt: Runtime, unit_id: UnitPath, principal: Manager, start: date, end: date) -> RosterOut:
    """WFO/WFH per employee and day of one unit for `start` to `end` (inclusive, a bounded range), with the quota
    the unit must meet each day. The unit's head, or the tenant admin."""
    own_unit(principal, unit_id)
    checked_range(start, end)
    async with rt.sessions() as session:
        return await rosters.read(session, tenant=principal.require_tenant(), unit_id=unit_id,
                                  start=start, end=end)


@router.put(
    "/units/{unit_id}/rosters/{day}/{nip}", response_model=OverrideOut,
    summary="Override one employee's mode on one day (unit head), with a reason",
    description="Audited (who, when, old and new mode, reason) and published as `roster.published` for that "
                "day. Refused (422) if it would leave the day under the quota or send an exempt employee home. "
                "204 when the employee already has that mode.",
    responses={204: {"description": "already that mode: nothing changed"}, 404: {"description": "no such entry"}},
)
async def override(rt: Runtime, unit_id: UnitPath, day: DayPath, nip: NipPath, body: OverrideIn,
                   principal: Manager) -> Any:
    own_unit(principal, unit_id)
    nip = checked_nip(nip)
    async with rt.sessions() as session, session.begin():
        out = await rosters.override(rt, session, tenant=principal.require_tenant(), unit_id=unit_id, day=day,
                                     nip=nip, mode=body.mode, reason=body.reason, actor=principal.subject,
                                     actor_roles=sorted(principal.roles), now=datetime.now(UTC))
    if out is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    rt.wake_relay()
    return out


@router.get("/units/{unit_id}/rosters/overrides", response_model=list[OverrideOut],
            summary="Audit log of a unit's overrides")
async def audit(rt: Runtime, unit_id: UnitPath, principal: Manager, start: date, end: date) -> list[OverrideOut]:
    """Every override of the unit's roster between `start` and `end`: who changed which employee's day, the old and
    new mode, the reason and when. The unit's head, or the tenant admin."""
    own_unit(principal, unit_id)
    checked_range(start, end)
    async with rt.sessions() as session:
        return await rosters.overrides(session, tenant=principal.require_tenant(), unit_id=unit_id,
                                       start=start, end=end)


@router.get("/rosters/mine", response_model=list[MyRosterDay], summary="The caller's own roster days")
async def mine(rt: Runtime, principal: Employee, start: Annotated[date, Query()],
               end: Annotated[date, Query()]) -> list[MyRosterDay]:
    """The caller's own work mode (WFO or WFH) for each day from `start` to `end`, with the unit and the reason of
    an override. Needs a token with a NIP."""
    checked_range(start, end)
    if not principal.employee_id:
        raise errors.forbidden("missing_nip")
    async with rt.sessions() as session:
        rows = (await session.scalars(select(RosterDay).where(
            RosterDay.tenant == principal.require_tenant(), RosterDay.nip == principal.employee_id,
            RosterDay.day >= start, RosterDay.day <= end).order_by(RosterDay.day))).all()
    return [MyRosterDay(date=r.day, mode=r.mode, unit_id=r.unit_id, reason=r.reason) for r in rows]  # type: ignore[arg-type]

