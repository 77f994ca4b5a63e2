"""Event handlers: keep the read models, and turn events into rows of the delivery log.

Each handler runs inside the consumer's transaction, together with the inbox row,
so its effect (read-model change, planned notifications, escalation counts)
happens exactly once per event.

- ``report.due_soon``   → a reminder to the employee (expires at the deadline)
- ``report.overdue``    → a notice to the employee; at the N-th missed window of a day
                          or an ISO week, an escalation to the unit's head(s)
- ``checkin.evaluated`` → suspicious or outside the geofence: the unit's head(s)
- ``policy.updated``    → every active employee of the tenant
- ``roster.published``  → each rostered employee: their schedule, and a reminder the
                          afternoon before each office (WFO) day, "Besok Anda bekerja di kantor"
- each of them          → the tenant's matching webhook subscriptions

People without a usable channel get personal notices on the ``log`` channel (so they
are on record); announcements (policy, roster) skip them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.contracts.events import (
    CheckinEvaluated,
    DirectoryUpdated,
    PolicyUpdated,
    ReportDueSoon,
    ReportOverdue,
    RosterPublished,
)
from services.contracts.policy import Sector
from services.notify import audience, webhooks
from services.notify.audience import Person, TenantView
from services.notify.deliverylog import Planned, on_commit, record
from services.notify.messages import render
from services.notify.settings import NotifySettings
from services.notify.store import Notification, OverdueMark, Recipient, Tenant, Unit, WebhookSubscription
from services.runtime import sql

Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]

# Announcements to many people go only where they can be delivered; personal notices
# (overdue, reminders, escalations, flags) fall back to the log channel to stay on record.
ANNOUNCEMENTS = frozenset({"policy_updated", "roster", "roster_day"})


class Planner:
    """Builds and records the notifications of one event."""

    def __init__(self, settings: NotifySettings, wake: Callable[..., None]) -> None:
        self.settings = settings
        self.wake = wake

    def to_person(self, p: Person, kind: str, view: TenantView, *, occurrence: str = "",
                  not_before: datetime | None = None, expires_at: datetime | None = None,
                  unit_id: str | None = None, **context: Any) -> list[Planned]:
        deliveries = p.deliveries(self.settings, fallback=kind not in ANNOUNCEMENTS)
        if not deliveries:
            return []
        subject, body = render(kind, p.language, view.timezone, name=p.name, **context)
        return [Planned(kind=kind, recipient=p.nip, channel=channel, address=address, subject=subject, body=body,
                        language=p.language, unit_id=unit_id or p.unit_id, occurrence=occurrence, not_before=not_before,
                        expires_at=expires_at)
                for channel, address in deliveries]

    async def to_webhooks(self, session: AsyncSession, envelope: Envelope, event_type: str,
                          data: dict[str, Any], *, kind: str, occurrence: str = "",
                          unit_id: str | None = None) -> list[Planned]:
        if not self.settings.webhooks_enabled:
            return []
        subscriptions = (await session.scalars(select(WebhookSubscription).where(
            WebhookSubscription.tenant == envelope.tenant, WebhookSubscription.active.is_(True)))).all()
        targets = [s for s in subscriptions if webhooks.matches(list(s.event_types), event_type)]
        if not targets:
            return []
        body = webhooks.body(event_type, envelope.time, {
            "tenant": envelope.tenant, "source_event_id": envelope.id, "source_event_type": envelope.type, **data})
        return [Planned(kind=kind, recipient=s.id, channel="webhook", address=s.url, subject=event_type, body=body,
                        unit_id=unit_id, occurrence=occurrence) for s in targets]

    async def save(self, session: AsyncSession, envelope: Envelope, planned: list[Planned],
                   view: TenantView) -> int:
        added = await record(session, envelope, planned, view, datetime.now(UTC))
        if added:
            on_commit(session, self.wake)
        return added


def make_handlers(settings: NotifySettings, wake: Callable[..., None]) -> dict[type[Event], Handler]:
    planner = Planner(settings, wake)

    async def on_directory(session: AsyncSession, envelope: Envelope, event: DirectoryUpdated) -> None:
        tenant = envelope.tenant
        if event.tenant is not None:
            await session.merge(Tenant(id=tenant, name=event.tenant.name, timezone=event.tenant.timezone))
        if event.unit is not None:
            u = event.unit
            await session.merge(Unit(tenant=tenant, id=u.id, name=u.name, parent_id=u.parent_id,
                                     effective_sector=u.effective_sector.value, active=u.active))
        if event.employee is not None:
            e = event.employee
            await session.merge(Recipient(tenant=tenant, nip=e.nip, name=e.name, unit_id=e.unit_id, email=e.email,
                                          phone=e.phone, is_unit_head=e.is_unit_head, active=e.active))

    async def on_due_soon(session: AsyncSession, envelope: Envelope, event: ReportDueSoon) -> None:
        view = await audience.tenant_view(session, envelope.tenant, settings, event.timezone)
        employee = await audience.person(session, envelope.tenant, event.employee_id, settings)
        planned = planner.to_person(employee, "due_soon", view, expires_at=event.deadline,
                                    **_window_context(event))
        planned += await planner.to_webhooks(session, envelope, "report.due_soon", event.model_dump(mode="json"),
                                             kind="due_soon", unit_id=event.unit_id)
        await planner.save(session, envelope, planned, view)

    async def on_overdue(session: AsyncSession, envelope: Envelope, event: ReportOverdue) -> None:
        tenant = envelope.tenant
        view = await audience.tenant_view(session, tenant, settings, event.timezone)
        employee = await audience.person(session, tenant, event.employee_id, settings)
        planned = planner.to_person(employee, "overdue", view, **_window_context(event))
        planned += await planner.to_webhooks(session, envelope, "report.overdue", event.model_dump(mode="json"),
                                             kind="overdue", unit_id=event.unit_id)
        for period, count, threshold in await _overdue_counts(session, tenant, envelope.id, event, view):
            if not threshold or count != threshold:
                continue  # exactly at the crossing: not before, and not again for the same period
            occurrence = _period_key(period, event.local_date)
            unit_id = event.unit_id or employee.unit_id
            heads = await audience.unit_heads(session, tenant, unit_id, settings, exclude=event.employee_id)
            context: dict[str, Any] = {
                **_window_context(event), "employee_name": employee.name, "employee_nip": employee.nip,
                "unit_name": await audience.unit_name(session, tenant, unit_id), "count": count,
                "threshold": threshold, "period": period}
            for head in heads:
                planned += planner.to_person(head, "escalation", view, occurrence=occurrence, **context)
            planned += await planner.to_webhooks(session, envelope, "report.escalated", {
                "employee_id": employee.nip, "unit_id": unit_id, "period": period, "period_key": occurrence,
                "count": count, "threshold": threshold, "heads": [h.nip for h in heads],
                "last_overdue": event.model_dump(mode="json"),
            }, kind="escalation", occurrence=occurrence, unit_id=unit_id)
        await planner.save(session, envelope, planned, view)

    async def on_checkin(session: AsyncSession, envelope: Envelope, event: CheckinEvaluated) -> None:
        outside = event.geofence == "outside"
        if not (event.suspicious or outside):
            return
        tenant = envelope.tenant
        view = await audience.tenant_view(session, tenant, settings)
        employee = await audience.person(session, tenant, event.employee_id, settings)
        unit_id = event.unit_id or employee.unit_id
        heads = await audience.unit_heads(session, tenant, unit_id, settings, exclude=event.employee_id)
        context: dict[str, Any] = {
            "employee_name": employee.name, "employee_nip": employee.nip, "checkin_kind": event.kind.value,
            "captured_at": event.captured_at, "outside": outside, "distance_m": event.distance_m,
            "nearest_place": event.nearest_place, "reasons": event.reasons}
        planned = [p for head in heads for p in planner.to_person(head, "checkin_flagged", view, **context)]
        planned += await planner.to_webhooks(session, envelope, "checkin.flagged", event.model_dump(mode="json"),
                                             kind="checkin_flagged", unit_id=unit_id)
        await planner.save(session, envelope, planned, view)

    async def on_policy(session: AsyncSession, envelope: Envelope, event: PolicyUpdated) -> None:
        tenant = envelope.tenant
        if await session.get(Tenant, tenant) is None:
            session.add(Tenant(id=tenant, name="", timezone=event.timezone))
        view = await audience.tenant_view(session, tenant, settings, event.timezone)
        sectors = dict((await session.execute(
            select(Unit.id, Unit.effective_sector).where(Unit.tenant == tenant))).tuples().all())
        planned: list[Planned] = []
        for person in await audience.people(session, tenant, settings):
            sector = event.content.unit_sectors.get(person.unit_id or "") or sectors.get(person.unit_id or "")
            quota = event.content.sector_quotas.get(Sector(sector)) if sector else None
            planned += planner.to_person(
                person, "policy_updated", view, number=event.number, title=event.title, version=event.version,
                signatory=event.signatory, valid_from=event.valid_from, valid_until=event.valid_until,
                sector=sector if quota is not None else None, quota=quota)
        planned += await planner.to_webhooks(session, envelope, "policy.updated", event.model_dump(mode="json"),
                                             kind="policy_updated")
        await planner.save(session, envelope, planned, view)

    async def on_roster(session: AsyncSession, envelope: Envelope, event: RosterPublished) -> None:
        tenant = envelope.tenant
        view = await audience.tenant_view(session, tenant, settings)
        await _supersede_reminders(session, tenant, envelope.id, event)
        by_employee: dict[str, list[Any]] = defaultdict(list)
        for a in sorted(event.assignments, key=lambda a: a.date):
            by_employee[a.employee_id].append(a)
        now = datetime.now(UTC)
        zone = ZoneInfo(view.timezone)
        today = now.astimezone(zone).date()
        name = await audience.unit_name(session, tenant, event.unit_id)
        planned: list[Planned] = []
        for person in await audience.people(session, tenant, settings, list(by_employee)):
            mine = by_employee[person.nip]
            planned += planner.to_person(person, "roster", view, unit_id=event.unit_id, unit_name=name,
                                         start=event.start, end=event.end, assignments=mine)
            for a in mine:
                if a.mode != "wfo" or a.date <= today:
                    continue
                day_start = datetime.combine(a.date, datetime.min.time(), zone)
                remind_at = datetime.combine(a.date - timedelta(days=1), settings.roster_reminder_time, zone)
                planned += planner.to_person(person, "roster_day", view, unit_id=event.unit_id,
                                             occurrence=a.date.isoformat(),
                                             not_before=remind_at.astimezone(UTC),
                                             expires_at=day_start.astimezone(UTC), day=a.date, mode=a.mode)
        planned += await planner.to_webhooks(session, envelope, "roster.published", event.model_dump(mode="json"),
                                             kind="roster", unit_id=event.unit_id)
        await planner.save(session, envelope, planned, view)

    return {
        DirectoryUpdated: on_directory,
        ReportDueSoon: on_due_soon,
        ReportOverdue: on_overdue,
        CheckinEvaluated: on_checkin,
        PolicyUpdated: on_policy,
        RosterPublished: on_roster,
    }


def _window_context(event: ReportOverdue | ReportDueSoon) -> dict[str, Any]:
    return {"window_name": event.window_name, "local_date": event.local_date, "deadline": event.deadline}


def _period_key(period: str, day: date) -> str:
    if period == "day":
        return f"day:{day.isoformat()}"
    year, week, _ = day.isocalendar()
    return f"week:{year}-W{week:02d}"


async def _overdue_counts(session: AsyncSession, tenant: str, event_id: str, event: ReportOverdue,
                          view: TenantView) -> list[tuple[str, int, int]]:
    """Mark the missed window (once per employee, day and window) and count the day's and the
    week's marks. A window already marked (a second event for it) counts nothing new."""
    fresh = await sql.insert_ignore(session, OverdueMark, [
        {"tenant": tenant, "nip": event.employee_id, "local_date": event.local_date, "window_id": event.window_id,
         "event_id": event_id}], OverdueMark.nip)
    if not fresh:
        return []
    monday = event.local_date - timedelta(days=event.local_date.weekday())

    async def count(start: date, end: date) -> int:
        return await session.scalar(select(func.count()).select_from(OverdueMark).where(
            OverdueMark.tenant == tenant, OverdueMark.nip == event.employee_id,
            OverdueMark.local_date >= start, OverdueMark.local_date <= end)) or 0

    return [
        ("day", await count(event.local_date, event.local_date), view.escalate_daily),
        ("week", await count(monday, monday + timedelta(days=6)), view.escalate_weekly),
    ]


async def _supersede_reminders(session: AsyncSession, tenant: str, event_id: str, event: RosterPublished) -> None:
    """A newer roster of the unit replaces the day reminders still pending for its dates."""
    await session.execute(
        update(Notification)
        .where(Notification.tenant == tenant, Notification.kind == "roster_day",
               Notification.unit_id == event.unit_id, Notification.status == "pending",
               Notification.source_event_id != event_id,
               Notification.occurrence >= event.start.isoformat(), Notification.occurrence <= event.end.isoformat())
        .values(status="cancelled", last_error="superseded by a newer roster", updated_at=datetime.now(UTC)))
