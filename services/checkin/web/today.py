"""``GET /app/api/today`` — the caller's day for the check-in page: the windows of the letter in
force with their local times (WIB/WITA/WIT), where each stands now, the verdict of what is done,
the one that is due and the next.

Guarantee: the caller reads only their own check-ins (tenant and NIP from the token); a verdict
is told without coordinates (distance and the nearest place's name only). Facts are gathered
here; :func:`services.checkin.domain.schedule.day_schedule` decides. What the check-in service does
not know (approved absences, the roster's WFO days) is not applied: such a window shows as asked.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy import select

from services.checkin.api.common import Submitter, day_bounds, forbidden
from services.checkin.domain.days import as_utc, tenant_zone
from services.checkin.domain.schedule import DayWindow, Filled, day_schedule
from services.checkin.store import Checkin, DirectoryEmployee, DirectoryTenant, letters
from services.checkin.web.schemas import Today, TodayWindow, Verdict
from services.contracts.policy import PolicyContent, local_date, zone_abbreviation
from services.contracts.rules.calendar import TenantCalendar
from services.contracts.rules.versions import at_capture
from services.runtime.deps import Runtime
from services.runtime.errors import VALIDATION_RESPONSES

router = APIRouter(tags=["web"], responses=VALIDATION_RESPONSES)


@router.get("/app/api/today", response_model=Today, summary="My windows today and where each stands",
            description="The windows of the circular letter in force on `date` (default: today in the tenant's "
                        "zone), with local times, state (done with its verdict, open, missed, upcoming, not "
                        "required and why), the window due now and the next one.")
async def today(principal: Submitter, rt: Runtime,
                day: Annotated[date | None, Query(alias="date", description="tenant-local day; default today")]
                = None) -> Today:
    tenant = principal.require_tenant()
    nip = principal.employee_id
    if not nip:
        raise forbidden("missing_nip")
    now = datetime.now(UTC)
    async with rt.sessions() as session:
        employee = await session.get(DirectoryEmployee, (tenant, nip))
        record = await session.get(DirectoryTenant, tenant)
        versions = await letters(session, tenant)
        tz = tenant_zone(record.timezone if record else None, versions)
        day = day or local_date(now, tz)
        start, end = day_bounds(day, tz)
        rows = (await session.scalars(select(Checkin).where(
            Checkin.tenant == tenant, Checkin.employee_id == nip, Checkin.captured_at >= start,
            Checkin.captured_at < end).order_by(Checkin.captured_at).limit(500))).all()
    version = at_capture(versions, day, min(now, end))
    content = PolicyContent.model_validate(version.content) if version and version.content else None
    base = Today(date=day, timezone=tz, zone=zone_abbreviation(tz), now=now,
                 policy=version.number if version else None, holiday=None, windows=[], due=None, next=None)
    if content is None:
        return base
    calendar = TenantCalendar.model_validate(record.calendar) if record and record.calendar else None
    by_id = {r.id: r for r in rows}
    schedule = day_schedule(
        content, day, now, tz, calendar=calendar, active=employee.active if employee else True,
        checkins=[Filled(r.id, r.kind, as_utc(r.captured_at), r.status or "pending", r.window_id) for r in rows])
    zone = ZoneInfo(tz)
    return base.model_copy(update={
        "holiday": schedule.holiday.name if schedule.holiday else None, "due": schedule.due, "next": schedule.next,
        "windows": [_window(d, zone, by_id) for d in schedule.windows]})


def _window(d: DayWindow, zone: ZoneInfo, rows: dict[str, Checkin]) -> TodayWindow:
    def hhmm(at: datetime) -> str:
        return at.astimezone(zone).strftime("%H:%M")

    b = d.bounds
    return TodayWindow(id=d.window.id, name=d.window.name, kinds=[str(k) for k in d.window.kinds],
                       start=hhmm(b.start), end=hhmm(b.end), deadline=hhmm(b.deadline), start_at=b.start,
                       end_at=b.end, deadline_at=b.deadline, state=d.state, late=d.late, reason=d.reason,
                       checkin=verdict(rows[d.checkin.id]) if d.checkin else None)


def verdict(c: Checkin) -> Verdict:
    """What the employee reads of their check-in's verdict (no coordinates)."""
    return Verdict(id=c.id, kind=c.kind, captured_at=as_utc(c.captured_at), status=c.status or "pending",
                   late_minutes=c.late_minutes, geofence=c.geofence, distance_m=c.distance_m,
                   place_name=c.place_name, suspicious=c.suspicious, reasons=list(c.reasons or []))
