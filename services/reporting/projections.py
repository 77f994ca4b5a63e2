"""Read models built from other services' events."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.contracts.events import CheckinEvaluated, DirectoryUpdated, PolicyUpdated, RosterPublished
from services.reporting.store import Employee, Evaluation, Overdue, PolicyVersion, RosterDay, Tenant, Unit
from services.runtime.consumer import Handler

QUALIFYING = ("on_time", "late")


async def on_directory(session: AsyncSession, envelope: Envelope, event: DirectoryUpdated) -> None:
    tenant = envelope.tenant
    if event.tenant is not None:
        await session.merge(Tenant(id=tenant, name=event.tenant.name, timezone=event.tenant.timezone))
    if event.unit is not None:
        await session.merge(Unit(tenant=tenant, id=event.unit.id, name=event.unit.name,
                                 effective_sector=event.unit.effective_sector.value))
    if event.employee is not None:
        e = event.employee
        await session.merge(Employee(tenant=tenant, nip=e.nip, name=e.name, unit_id=e.unit_id, active=e.active,
                                     is_teacher=e.is_teacher, is_front_line=e.is_front_line,
                                     is_unit_head=e.is_unit_head))


async def on_policy(session: AsyncSession, envelope: Envelope, event: PolicyUpdated) -> None:
    await session.merge(PolicyVersion(
        tenant=envelope.tenant, policy_id=event.policy_id, version=event.version, number=event.number,
        valid_from=event.valid_from, valid_until=event.valid_until, effective_at=envelope.time,
        content=event.content.model_dump(mode="json"),
    ))


async def on_roster(session: AsyncSession, envelope: Envelope, event: RosterPublished) -> None:
    for a in event.assignments:
        await session.merge(RosterDay(tenant=envelope.tenant, nip=a.employee_id, day=a.date, mode=a.mode))


async def on_evaluated(session: AsyncSession, envelope: Envelope, event: CheckinEvaluated) -> None:
    await session.merge(Evaluation(
        tenant=envelope.tenant, checkin_id=str(event.checkin_id), nip=event.employee_id, unit_id=event.unit_id,
        kind=event.kind.value, local_date=event.local_date, window_id=event.window_id, status=event.status,
        late_minutes=event.late_minutes, geofence=event.geofence, suspicious=event.suspicious,
        captured_at=event.captured_at,
    ))
    if event.window_id and event.status in QUALIFYING:
        # A check-in that arrives after the overdue notice makes the record late, not missing.
        await session.execute(
            update(Overdue)
            .where(Overdue.tenant == envelope.tenant, Overdue.nip == event.employee_id,
                   Overdue.day == event.local_date, Overdue.window_id == event.window_id,
                   Overdue.status == "missing")
            .values(status="late")
        )


HANDLERS: dict[type[Event], Handler] = {
    DirectoryUpdated: on_directory,
    PolicyUpdated: on_policy,
    RosterPublished: on_roster,
    CheckinEvaluated: on_evaluated,
}
