"""Decisions on an employee's days, told: absences, verdict corrections, reviewed reports.

Each event carries the whole state of one request and its revision
(:mod:`services.contracts.decisions`). Notify keeps the highest revision seen per request
(:class:`~services.notify.store.DecisionRevision`, one conditional upsert): an event at or
below it — redelivered under another id, or overtaken by a later change — tells nobody and
changes nothing. A newer one is told to its audience (:mod:`services.notify.domain.decisions`)
under a key naming the request and revision, so it is recorded once.

An absence is also kept (:class:`~services.notify.store.Absence`): the days its new state
excuses lose their pending office-day reminders, and the days it no longer excuses (cancelled,
or cut short) get theirs again from notify's roster copy (:mod:`services.notify.office_days`).

Who "the head" is: :func:`services.notify.audience.unit_heads` (the nearest unit up the tree
with an active head other than the employee); with none known, the BKD hears it instead, so
that a request is never left with nobody to decide it. Who "the BKD" is:
:func:`services.notify.audience.bkd`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.decisions import AbsenceUpdated, CheckinReviewed, CorrectionUpdated
from services.contracts.envelope import Envelope
from services.contracts.rules.absence import Span, excused_span
from services.notify import audience, letters, office_days
from services.notify.domain import decisions
from services.notify.domain.decisions import Notice
from services.notify.domain.people import Person, TenantView
from services.notify.domain.planned import Planned
from services.notify.planner import Planner
from services.notify.store import Absence, DecisionRevision
from services.runtime import sql


async def newer(session: AsyncSession, tenant: str, subject: str, request_id: str, revision: int) -> bool:
    """Record ``revision`` of the request if it is above the highest seen; whether it was."""
    stmt = sql.insert(session, DecisionRevision).values(tenant=tenant, subject=subject, id=request_id,
                                                        revision=revision)
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant", "subject", "id"], set_={"revision": stmt.excluded.revision},
        where=stmt.excluded.revision > stmt.table.c.revision).returning(stmt.table.c.id)
    return (await session.execute(stmt)).first() is not None


async def on_absence(session: AsyncSession, envelope: Envelope, event: AbsenceUpdated, *,
                     planner: Planner) -> None:
    tenant, request_id = envelope.tenant, str(event.absence_id)
    if not await newer(session, tenant, "absence", request_id, event.revision):
        return
    view = await audience.tenant_view(session, tenant, planner.settings)
    before = await session.get(Absence, (tenant, request_id))
    was = excused_span(before.status, before.start, before.end, before.cancelled_from) if before else None
    await session.merge(Absence(tenant=tenant, id=request_id, nip=event.employee_id, start=event.start,
                                end=event.end, status=event.status, cancelled_from=event.cancelled_from))
    await session.flush()
    planned = await _move_reminders(session, envelope, planner, view, event.employee_id, was, event.excused())
    notice = decisions.ABSENCE.get(event.status)
    if notice is not None:
        planned += await _tell(session, planner, view, notice, event.employee_id, event.unit_id,
                               decisions.occurrence(request_id, event.revision),
                               absence_kind=event.kind.value, start=event.start, end=event.end, status=event.status,
                               note=event.decision_note, cancelled_from=event.cancelled_from)
    await planner.save(session, envelope, planned, view)


async def on_correction(session: AsyncSession, envelope: Envelope, event: CorrectionUpdated, *,
                        planner: Planner) -> None:
    tenant, request_id = envelope.tenant, str(event.correction_id)
    notice = decisions.CORRECTION.get(event.status)
    if not await newer(session, tenant, "correction", request_id, event.revision) or notice is None:
        return
    view = await audience.tenant_view(session, tenant, planner.settings)
    window = await letters.window_name(session, tenant, event.local_date, event.window_id)
    planned = await _tell(session, planner, view, notice, event.employee_id, event.unit_id,
                          decisions.occurrence(request_id, event.revision), local_date=event.local_date,
                          window_name=window, contested=event.contested, status=event.status,
                          note=event.decision_note)
    await planner.save(session, envelope, planned, view)


async def on_review(session: AsyncSession, envelope: Envelope, event: CheckinReviewed, *, planner: Planner) -> None:
    tenant, request_id = envelope.tenant, str(event.checkin_id)
    notice = decisions.REVIEW.get(event.decision)
    if not await newer(session, tenant, "review", request_id, event.revision) or notice is None:
        return
    view = await audience.tenant_view(session, tenant, planner.settings)
    window = await letters.window_name(session, tenant, event.local_date, event.window_id)
    planned = await _tell(session, planner, view, notice, event.employee_id, event.unit_id,
                          decisions.occurrence(request_id, event.revision), checkin_kind=event.kind.value,
                          local_date=event.local_date, window_name=window, note=event.note)
    await planner.save(session, envelope, planned, view)


async def _tell(session: AsyncSession, planner: Planner, view: TenantView, notice: Notice, nip: str,
                unit_id: str | None, occurrence: str, **context: Any) -> list[Planned]:
    settings, tenant = planner.settings, view.id
    employee = await audience.person(session, tenant, nip, settings)
    unit_id = unit_id or employee.unit_id
    people: list[Person]
    if notice.audience == "employee":
        people = [employee]
    elif notice.audience == "head":
        people = await audience.unit_heads(session, tenant, unit_id, settings, exclude=nip)
        people = people or await audience.bkd(session, tenant, view, settings)
    else:
        people = await audience.bkd(session, tenant, view, settings)
    context |= {"employee_name": employee.name, "employee_nip": employee.nip,
                "unit_name": await audience.unit_name(session, tenant, unit_id)}
    return [p for person in people
            for p in planner.to_person(person, notice.kind, view, occurrence=occurrence, **context)]


async def _move_reminders(session: AsyncSession, envelope: Envelope, planner: Planner, view: TenantView, nip: str,
                          was: Span | None, now: Span | None) -> list[Planned]:
    """Cancel the pending reminders of the days ``now`` excuses and ``was`` did not; plan again those
    of the future office days ``was`` excused and ``now`` does not (still expected at work)."""
    before, after = set(was.days()) if was else set(), set(now.days()) if now else set()
    await office_days.cancel(session, envelope.tenant, [(nip, d) for d in sorted(after - before)],
                             "excused by an absence")
    today = datetime.now(UTC).astimezone(ZoneInfo(view.timezone)).date()
    restored: list[date] = sorted(d for d in before - after if d > today)
    found = await office_days.office_days(session, envelope.tenant, nip, restored)
    if not found:
        return []
    still = await office_days.expected(session, envelope.tenant, [(nip, d) for d, _ in found])
    person = await audience.person(session, envelope.tenant, nip, planner.settings)
    return [p for day, unit_id in found if (nip, day) in still
            for p in planner.office_day(person, view, day, "wfo", today, unit_id)]
