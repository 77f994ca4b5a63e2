"""Event handlers: keep the read models, and turn events into rows of the delivery log.

Each handler runs inside the consumer's transaction, together with the inbox row,
so its effect (read-model change, planned notifications, escalation counts)
happens exactly once per event.

- ``report.due_soon``   → a reminder to the employee (expires at the deadline)
- ``report.overdue``    → a notice to the employee; at the N-th missed window of a day
                          or an ISO week, an escalation to the unit's head(s); at the N-th
                          day with a missed window in a month (not excused), one to the BKD
- ``checkin.evaluated`` → suspicious or outside the geofence: the unit's head(s)
- ``policy.updated``    → every active employee of the tenant, told their unit's sector
                          and quota by the shared rules (:mod:`.domain.policy_notice`)
- ``roster.published``  → each employee whose entries it takes over: their schedule, and a
                          reminder the afternoon before each office (WFO) day, "Besok Anda
                          bekerja di kantor" — not for a day an absence excuses or the tenant
                          does not work (:mod:`.office_days`); the reminders of the entries it
                          replaces are cancelled
- ``absence.updated``, ``correction.updated``, ``checkin.reviewed`` → the head, the BKD or the
                          employee, once per revision (:mod:`.decision_notices`)
- each of the report, check-in, policy and roster events → the tenant's matching webhook subscriptions

The directory comes from ``directory.updated.v2`` (profiles and the tenant's calendar, no contact details) and
``directory.contacts.v1`` (e-mail and phone, notify's alone; a tombstone deletes them), in
either order: contact details wait in their own table and reach nobody until a recipient
with that NIP is known (:mod:`.audience`).

A notice no wanted channel can carry (no SMTP/WhatsApp configured, or no address) is recorded on
the ``log`` channel as ``skipped`` with the reason, personal notices and announcements alike. The handlers needing the
settings or the delivery loop's wake-up get a :class:`~services.notify.planner.Planner`
(bound in :func:`subscriptions`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import Counter
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.decisions import AbsenceUpdated, CheckinReviewed, CorrectionUpdated
from services.contracts.envelope import Envelope
from services.contracts.events import (
    CheckinEvaluated,
    DirectoryContact,
    DirectoryUpdatedV2,
    PolicyUpdated,
    ReportDueSoon,
    ReportOverdue,
    RosterPublished,
)
from services.contracts.rules import retention
from services.notify import audience, decision_notices, letters, office_days
from services.notify.domain import policy_notice
from services.notify.domain.escalation import Period, escalates, missed_days, month_of, period_key, reaches, week_of
from services.notify.domain.people import Person, TenantView
from services.notify.domain.planned import Planned
from services.notify.planner import Planner
from services.notify.settings import NotifySettings
from services.notify.store import BkdEscalation, Contact, OverdueMark, Recipient, Tenant, Unit, roster_tables
from services.runtime import rosters, sql
from services.runtime.consumer import Handler, HandlerKey, Removed
from services.runtime.service import ServiceRuntime


def subscriptions(rt: ServiceRuntime, settings: NotifySettings, wake: Callable[..., None],
                  skipped: Counter | None = None) -> dict[HandlerKey, Handler]:
    """The handlers of notify's consumer; ``settings`` may override the runtime's section
    (``build(notify_settings=...)``), ``wake`` nudges the delivery loop after a commit, ``skipped``
    counts skipped notices (:mod:`.channel_status`)."""
    planner = Planner(settings, wake, skipped)
    return {
        DirectoryUpdatedV2: on_directory,
        DirectoryContact: on_contact,
        Removed(DirectoryContact): on_contact_removed,
        ReportDueSoon: partial(on_due_soon, planner=planner),
        ReportOverdue: partial(on_overdue, planner=planner),
        CheckinEvaluated: partial(on_checkin, planner=planner),
        PolicyUpdated: partial(on_policy, planner=planner),
        RosterPublished: partial(on_roster, planner=planner),
        AbsenceUpdated: partial(decision_notices.on_absence, planner=planner),
        CorrectionUpdated: partial(decision_notices.on_correction, planner=planner),
        CheckinReviewed: partial(decision_notices.on_review, planner=planner),
    }


async def on_directory(session: AsyncSession, envelope: Envelope, event: DirectoryUpdatedV2) -> None:
    tenant = envelope.tenant
    if event.tenant is not None:
        t = event.tenant
        await session.merge(Tenant(id=tenant, name=t.name, timezone=t.timezone,
                                   retention=retention.stored(t.retention),
                                   calendar=t.calendar.model_dump(mode="json") if t.calendar else None))
        await session.flush()
        await office_days.recheck(session, tenant)
    if event.unit is not None:
        u = event.unit
        await session.merge(Unit(tenant=tenant, id=u.id, name=u.name, parent_id=u.parent_id,
                                 sector=u.sector.value if u.sector else None,
                                 effective_sector=u.effective_sector.value, active=u.active))
    if event.employee is not None:
        e = event.employee
        await session.merge(Recipient(tenant=tenant, nip=e.nip, name=e.name, unit_id=e.unit_id,
                                      is_unit_head=e.is_unit_head, active=e.active))


async def on_contact(session: AsyncSession, envelope: Envelope, event: DirectoryContact) -> None:
    await session.merge(Contact(tenant=envelope.tenant, nip=event.nip, email=event.email, phone=event.phone))


async def on_contact_removed(session: AsyncSession, envelope: Envelope, _: Removed) -> None:
    """The contact details of the employee the key names were removed (retention): notify forgets them."""
    await session.execute(delete(Contact).where(Contact.tenant == envelope.tenant, Contact.nip == envelope.subject))


async def on_due_soon(session: AsyncSession, envelope: Envelope, event: ReportDueSoon, *, planner: Planner) -> None:
    settings = planner.settings
    view = await audience.tenant_view(session, envelope.tenant, settings, event.timezone)
    employee = await audience.person(session, envelope.tenant, event.employee_id, settings)
    planned = planner.to_person(employee, "due_soon", view, expires_at=event.deadline, **_window_context(event))
    planned += await planner.to_webhooks(session, envelope, "report.due_soon", event.model_dump(mode="json"),
                                         kind="due_soon", unit_id=event.unit_id)
    await planner.save(session, envelope, planned, view)


async def on_overdue(session: AsyncSession, envelope: Envelope, event: ReportOverdue, *, planner: Planner) -> None:
    tenant, settings = envelope.tenant, planner.settings
    view = await audience.tenant_view(session, tenant, settings, event.timezone)
    employee = await audience.person(session, tenant, event.employee_id, settings)
    planned = planner.to_person(employee, "overdue", view, **_window_context(event))
    planned += await planner.to_webhooks(session, envelope, "report.overdue", event.model_dump(mode="json"),
                                         kind="overdue", unit_id=event.unit_id)
    counts = await _overdue_counts(session, tenant, envelope.id, event, view)
    if counts and (reached := await _bkd_month(session, tenant, envelope.id, event, view)) is not None:
        planned += await _to_bkd(session, envelope, planner, view, event, employee, *reached)
    for period, count, threshold in counts:
        if not escalates(count, threshold):
            continue
        occurrence = period_key(period, event.local_date)
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


async def on_checkin(session: AsyncSession, envelope: Envelope, event: CheckinEvaluated, *,
                     planner: Planner) -> None:
    outside = event.geofence == "outside"
    if not (event.suspicious or outside):
        return
    tenant, settings = envelope.tenant, planner.settings
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


async def on_policy(session: AsyncSession, envelope: Envelope, event: PolicyUpdated, *, planner: Planner) -> None:
    tenant, settings = envelope.tenant, planner.settings
    if await session.get(Tenant, tenant) is None:
        session.add(Tenant(id=tenant, name="", timezone=event.timezone))
    await letters.keep(session, envelope, event)
    await session.flush()
    await office_days.recheck(session, tenant)
    view = await audience.tenant_view(session, tenant, settings, event.timezone)
    units = (await session.execute(select(Unit.id, Unit.parent_id, Unit.sector, Unit.effective_sector)
                                   .where(Unit.tenant == tenant))).tuples().all()
    sectors = policy_notice.unit_sectors((policy_notice.UnitFacts(*u) for u in units), event.content)
    planned: list[Planned] = []
    for person in await audience.people(session, tenant, settings):
        sector, quota = policy_notice.stated(person.unit_id, sectors, event.content)
        planned += planner.to_person(
            person, "policy_updated", view, number=event.number, title=event.title, version=event.version,
            signatory=event.signatory, valid_from=event.valid_from, valid_until=event.valid_until,
            sector=sector.value if sector else None, quota=quota)
    planned += await planner.to_webhooks(session, envelope, "policy.updated", event.model_dump(mode="json"),
                                         kind="policy_updated")
    await planner.save(session, envelope, planned, view)


async def on_roster(session: AsyncSession, envelope: Envelope, event: RosterPublished, *, planner: Planner) -> None:
    """The entries the event takes over (``services.runtime.rosters``) are announced to their
    employees with a reminder before each office day; a pending reminder of an entry it took over
    or dropped is cancelled. Entries it leaves alone keep theirs."""
    tenant, settings = envelope.tenant, planner.settings
    view = await audience.tenant_view(session, tenant, settings)
    applied = await rosters.apply(session, roster_tables, tenant, event)
    await office_days.cancel(session, tenant, [*applied.written, *applied.dropped], "superseded by a newer roster",
                             keep_event=envelope.id)
    at_work = await office_days.expected(session, tenant, [e for e, a in applied.written.items() if a.mode == "wfo"])
    by_employee: dict[str, list[Any]] = defaultdict(list)
    for a in sorted(applied.written.values(), key=lambda a: a.date):
        by_employee[a.employee_id].append(a)
    today = datetime.now(UTC).astimezone(ZoneInfo(view.timezone)).date()
    name = await audience.unit_name(session, tenant, event.unit_id)
    planned: list[Planned] = []
    for person in await audience.people(session, tenant, settings, list(by_employee)):
        mine = by_employee[person.nip]
        planned += planner.to_person(person, "roster", view, unit_id=event.unit_id, unit_name=name,
                                     start=event.start, end=event.end, assignments=mine)
        for a in mine:
            if (person.nip, a.date) in at_work:
                planned += planner.office_day(person, view, a.date, a.mode, today, event.unit_id)
    planned += await planner.to_webhooks(session, envelope, "roster.published", event.model_dump(mode="json"),
                                         kind="roster", unit_id=event.unit_id)
    await planner.save(session, envelope, planned, view)


def _window_context(event: ReportOverdue | ReportDueSoon) -> dict[str, Any]:
    return {"window_name": event.window_name, "local_date": event.local_date, "deadline": event.deadline}


async def _overdue_counts(session: AsyncSession, tenant: str, event_id: str, event: ReportOverdue,
                          view: TenantView) -> list[tuple[Period, int, int]]:
    """Mark the missed window (once per employee, day and window) and count the day's and the
    week's marks. A window already marked (a second event for it) counts nothing new."""
    fresh = await sql.insert_ignore(session, OverdueMark, [
        {"tenant": tenant, "nip": event.employee_id, "local_date": event.local_date, "window_id": event.window_id,
         "event_id": event_id}], OverdueMark.nip)
    if not fresh:
        return []

    async def count(start: date, end: date) -> int:
        return await session.scalar(select(func.count()).select_from(OverdueMark).where(
            OverdueMark.tenant == tenant, OverdueMark.nip == event.employee_id,
            OverdueMark.local_date >= start, OverdueMark.local_date <= end)) or 0

    return [
        ("day", await count(event.local_date, event.local_date), view.escalate_daily),
        ("week", await count(*week_of(event.local_date)), view.escalate_weekly),
    ]


async def _bkd_month(session: AsyncSession, tenant: str, event_id: str, event: ReportOverdue,
                     view: TenantView) -> tuple[int, int] | None:
    """(missed days, threshold) when the employee's missed days of the month reach the BKD's threshold
    for the first time this month (:mod:`.domain.escalation`); else None."""
    threshold = view.escalate_bkd_days
    if not threshold:
        return None
    first, last = month_of(event.local_date)
    days = (await session.scalars(select(OverdueMark.local_date).distinct().where(
        OverdueMark.tenant == tenant, OverdueMark.nip == event.employee_id,
        OverdueMark.local_date >= first, OverdueMark.local_date <= last))).all()
    spans = (await office_days.excused(session, tenant, [event.employee_id], first, last)).get(event.employee_id, [])
    count = missed_days(days, spans)
    if not reaches(count, threshold):
        return None
    fresh = await sql.insert_ignore(session, BkdEscalation, [
        {"tenant": tenant, "nip": event.employee_id, "month": first, "event_id": event_id}], BkdEscalation.nip)
    return (count, threshold) if fresh else None


async def _to_bkd(session: AsyncSession, envelope: Envelope, planner: Planner, view: TenantView,
                  event: ReportOverdue, employee: Person, count: int, threshold: int) -> list[Planned]:
    tenant, settings = envelope.tenant, planner.settings
    occurrence, unit_id = period_key("month", event.local_date), event.unit_id or employee.unit_id
    told = await audience.bkd(session, tenant, view, settings)
    context: dict[str, Any] = {
        "employee_name": employee.name, "employee_nip": employee.nip, "local_date": event.local_date,
        "unit_name": await audience.unit_name(session, tenant, unit_id), "count": count, "threshold": threshold,
        "month": month_of(event.local_date)[0]}
    planned = [p for person in told for p in planner.to_person(person, "escalation_bkd", view,
                                                               occurrence=occurrence, **context)]
    planned += await planner.to_webhooks(session, envelope, "report.escalated", {
        "employee_id": employee.nip, "unit_id": unit_id, "period": "month", "period_key": occurrence,
        "count": count, "threshold": threshold, "heads": [], "bkd": [p.nip for p in told],
        "last_overdue": event.model_dump(mode="json"),
    }, kind="escalation_bkd", occurrence=occurrence, unit_id=unit_id)
    return planned
