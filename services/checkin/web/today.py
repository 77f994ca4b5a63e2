"""``GET /app/api/today`` — the caller's day for the check-in page: the windows of the letter in
force with their local times (WIB/WITA/WIT), where each stands now, the verdict of what is done,
the one that is due and the next. ``GET /app/api/month`` — the caller's month so far, a line per
day (windows asked, filled, late, outside the geofence, missed).

Guarantee: the caller reads only their own check-ins (tenant and NIP from the token); a verdict
is told without coordinates (distance and the nearest place's name only). Facts are gathered
here; :func:`services.checkin.domain.schedule.day_schedule` (and ``tally``) decides. What the check-in service does
not know (approved absences, the roster's WFO days) is not applied: such a window shows as asked.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from calendar import monthrange
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy import select

from services.checkin.api.common import Submitter, day_bounds, forbidden
from services.checkin.domain.days import as_utc, tenant_zone
from services.checkin.domain.schedule import Day, DayWindow, Filled, day_schedule, tally
from services.checkin.store import Checkin, DirectoryEmployee, DirectoryTenant, PolicyVersion, letters
from services.checkin.web.schemas import Month, MonthDay, Today, TodayWindow, Verdict
from services.contracts.policy import PolicyContent, local_date, zone_abbreviation
from services.contracts.rules.calendar import TenantCalendar
from services.contracts.rules.versions import at_capture
from services.runtime.auth import Principal
from services.runtime.deps import Runtime
from services.runtime.errors import VALIDATION_RESPONSES
from services.runtime.service import ServiceRuntime

router = APIRouter(responses=VALIDATION_RESPONSES)  # tagged "web" by the page router that includes it


@router.get("/app/api/today", response_model=Today, summary="My windows today and where each stands",
            description="The windows of the circular letter in force on `date` (default: today in the tenant's "
                        "zone), with local times, state (done with its verdict, open, missed, upcoming, not "
                        "required and why), the window due now and the next one.")
async def today(principal: Submitter, rt: Runtime,
                day: Annotated[date | None, Query(alias="date", description="tenant-local day; default today")]
                = None) -> Today:
    facts = await _gather(rt, principal, lambda tz, now: (day or local_date(now, tz),) * 2)
    day = facts.first
    version = facts.letter(day)
    base = Today(date=day, timezone=facts.tz, zone=zone_abbreviation(facts.tz), now=facts.now,
                 policy=version.number if version else None, holiday=None, windows=[], due=None, next=None)
    schedule = facts.day(day)
    if schedule is None:
        return base
    zone = ZoneInfo(facts.tz)
    by_id = {r.id: r for r in facts.rows}
    return base.model_copy(update={
        "holiday": schedule.holiday.name if schedule.holiday else None, "due": schedule.due, "next": schedule.next,
        "windows": [_window(d, zone, by_id) for d in schedule.windows]})


MonthParam = Annotated[str | None, Query(pattern=r"^20\d{2}-(0[1-9]|1[0-2])$", max_length=7,
                                         description="YYYY-MM; default this month (tenant-local)")]


@router.get("/app/api/month", response_model=Month, summary="My month so far, a line per day",
            description="Every day of `month` up to today (tenant-local): windows asked of me, filled (late and "
                        "outside the geofence among them) and missed, and the day's holiday if any.")
async def month(principal: Submitter, rt: Runtime, month: MonthParam = None) -> Month:
    def span(tz: str, now: datetime) -> tuple[date, date]:
        today = local_date(now, tz)
        first = date.fromisoformat(f"{month}-01") if month else today.replace(day=1)
        last = first.replace(day=monthrange(first.year, first.month)[1])
        return first, min(last, today)

    facts = await _gather(rt, principal, span)
    days: list[MonthDay] = []
    verdicts = {r.id: (r.status or "pending", r.geofence) for r in facts.rows}
    day = facts.first
    while day <= facts.last:
        schedule = facts.day(day)
        if schedule is not None:
            t = tally(schedule, verdicts)
            days.append(MonthDay(date=day, holiday=t.holiday, asked=t.asked, filled=t.filled, late=t.late,
                                 outside=t.outside, missed=t.missed, open=t.open))
        day += timedelta(days=1)
    return Month(month=facts.first.strftime("%Y-%m"), timezone=facts.tz, zone=zone_abbreviation(facts.tz),
                 days=days)


@dataclass
class _Facts:
    """What the check-in service knows of the caller for local days ``first``..``last``."""

    now: datetime
    tz: str
    first: date
    last: date
    versions: Sequence[PolicyVersion]
    calendar: TenantCalendar | None
    active: bool
    rows: Sequence[Checkin]

    def letter(self, day: date) -> PolicyVersion | None:
        return at_capture(self.versions, day, min(self.now, day_bounds(day, self.tz)[1]))

    def day(self, day: date) -> Day | None:
        """The caller's windows on ``day`` under its letter; ``None`` without a known schedule."""
        version = self.letter(day)
        if version is None or version.content is None:
            return None
        on_day = [r for r in self.rows if local_date(as_utc(r.captured_at), self.tz) == day]
        return day_schedule(PolicyContent.model_validate(version.content), day, self.now, self.tz,
                            calendar=self.calendar, active=self.active,
                            checkins=[Filled(r.id, r.kind, as_utc(r.captured_at), r.status or "pending", r.window_id)
                                      for r in on_day])


async def _gather(rt: ServiceRuntime, principal: Principal,
                  span: Callable[[str, datetime], tuple[date, date]]) -> _Facts:
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
        first, last = span(tz, now)
        start, end = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
        rows = (await session.scalars(select(Checkin).where(
            Checkin.tenant == tenant, Checkin.employee_id == nip, Checkin.captured_at >= start,
            Checkin.captured_at < end).order_by(Checkin.captured_at).limit(MAX_ROWS))).all()
    calendar = TenantCalendar.model_validate(record.calendar) if record and record.calendar else None
    return _Facts(now, tz, first, last, versions, calendar, employee.active if employee else True, rows)


MAX_ROWS = 5000  # a month of check-ins of one employee is a few hundred


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
