"""Event handlers: the directory read model and verdicts coming back from policy."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin.store import Checkin, DirectoryEmployee, DirectoryTenant
from services.contracts.envelope import Envelope
from services.contracts.events import CheckinEvaluated, DirectoryUpdated


async def on_directory_updated(session: AsyncSession, envelope: Envelope, event: DirectoryUpdated) -> None:
    if event.tenant is not None:
        await session.merge(DirectoryTenant(id=envelope.tenant, timezone=event.tenant.timezone))
    if event.employee is not None:
        e = event.employee
        await session.merge(
            DirectoryEmployee(tenant=envelope.tenant, nip=e.nip, name=e.name, unit_id=e.unit_id,
                              active=e.active, is_unit_head=e.is_unit_head)
        )


async def on_checkin_evaluated(session: AsyncSession, envelope: Envelope, event: CheckinEvaluated) -> None:
    await session.execute(
        update(Checkin)
        .where(Checkin.id == str(event.checkin_id), Checkin.tenant == envelope.tenant)
        .values(
            status=event.status,
            window_id=event.window_id,
            late_minutes=event.late_minutes,
            geofence=event.geofence,
            distance_m=event.distance_m,
            suspicious=event.suspicious,
            reasons=event.reasons,
            evaluated_at=datetime.now(UTC),
        )
    )


HANDLERS = {DirectoryUpdated: on_directory_updated, CheckinEvaluated: on_checkin_evaluated}
