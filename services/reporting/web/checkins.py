"""``GET /dashboard/api/checkins`` — a day's evaluated check-ins as the dashboard shows them,
served by reporting itself from its read model of ``checkin.evaluated`` (``evaluations``): no
call to the check-in service, so the panel works wherever the dashboard does.

What a reader sees: who (name from reporting's employees), when, the verdict, the distance to
the nearest allowed place with that place's name and kind, and the letter's radius — never a
coordinate (docs/privacy.md: a unit head sees distances, not where anyone was). Tenant admin:
the whole tenant or one unit; unit head: their own unit only.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import case, select

from services.contracts.policy import PolicyContent, local_date, zone_abbreviation
from services.reporting import queries
from services.reporting.api.deps import DayQ, Reader, UnitQ, scope, tenant_of
from services.reporting.store import Employee, Evaluation, Unit
from services.runtime.deps import Runtime

router = APIRouter(tags=["web"])

LIMIT = 500


class CheckinSeen(BaseModel):
    checkin_id: str
    nip: str
    name: str = Field(description="the employee's name; empty before the directory reached reporting")
    unit_id: str | None
    unit_name: str | None
    kind: str = Field(description="location, attendance, activity_report, video_conference, …")
    window_id: str | None
    status: str = Field(description="on_time, late, outside_window or not_required")
    geofence: str = Field(description="inside, outside or not_checked")
    suspicious: bool
    captured_at: datetime = Field(description="UTC; the page shows it in the tenant's zone")
    distance_m: float | None = Field(description="metres to the nearest allowed place; never coordinates")
    place_name: str | None = Field(description="the nearest allowed place's name, e.g. Rumah")
    place_kind: str | None = Field(description="home, office or other")


class CheckinsDay(BaseModel):
    date: date
    timezone: str
    zone: str
    geofence_radius_m: float | None = Field(description="the radius of the letter in force that day (metres)")
    checkins: list[CheckinSeen] = Field(description="outside the geofence first, then newest first")
    truncated: bool = Field(description="more check-ins than `limit`: the first `limit` are listed")


@router.get("/dashboard/api/checkins", response_model=CheckinsDay,
            summary="Check-in hari itu / a day's evaluated check-ins (distances, no coordinates)")
async def checkins(rt: Runtime, principal: Reader, day: DayQ = None, unit_id: UnitQ = None,
                   limit: Annotated[int, Query(ge=1, le=2000)] = LIMIT) -> CheckinsDay:
    """The check-ins of `date` (YYYY-MM-DD, the tenant's local day; default today) as evaluated by the policy
    service: name, unit, kind, window, verdict, geofence, distance to the nearest allowed place with its name and kind,
    and the letter's geofence radius. Never coordinates. Outside the geofence first, then newest first, at most
    `limit`. Tenant admin: the whole tenant or one `unit_id`; unit head: their own unit only (403 for another)."""
    unit = scope(principal, unit_id)
    async with rt.sessions() as session:
        tenant = await tenant_of(session, principal)
        chosen = day or local_date(datetime.now(UTC), tenant.timezone)
        version = await queries.policy_for_day(session, tenant.id, chosen)
        v, e, u = Evaluation.__table__.c, Employee.__table__.c, Unit.__table__.c
        query = (select(v.checkin_id, v.nip, e.name, v.unit_id, u.name, v.kind, v.window_id, v.status, v.geofence,
                        v.suspicious, v.captured_at, v.distance_m, v.nearest_place, v.place_kind)
                 .select_from(Evaluation.__table__
                              .outerjoin(Employee.__table__, (e.tenant == v.tenant) & (e.nip == v.nip))
                              .outerjoin(Unit.__table__, (u.tenant == v.tenant) & (u.id == v.unit_id)))
                 .where(v.tenant == tenant.id, v.local_date == chosen)
                 .order_by(case((v.geofence == "outside", 0), else_=1), v.captured_at.desc(), v.checkin_id)
                 .limit(limit + 1))
        if unit:
            query = query.where(v.unit_id == unit)
        rows = (await session.execute(query)).all()
    radius = PolicyContent.model_validate(version.content).geofence_radius_m if version is not None else None
    seen = [CheckinSeen(checkin_id=r[0], nip=r[1], name=r[2] or "", unit_id=r[3], unit_name=r[4], kind=r[5],
                        window_id=r[6], status=r[7], geofence=r[8], suspicious=bool(r[9]), captured_at=r[10],
                        distance_m=r[11], place_name=r[12], place_kind=r[13]) for r in rows[:limit]]
    return CheckinsDay(date=chosen, timezone=tenant.timezone, zone=zone_abbreviation(tenant.timezone),
                       geofence_radius_m=radius, checkins=seen, truncated=len(rows) > limit)
