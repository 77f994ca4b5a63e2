"""Event handlers: the directory and policy read models, and verdicts coming back from policy.

Each runs inside the consumer's transaction together with the inbox row, so a
redelivered event changes nothing twice; every write is an upsert of a full record.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin.store import Checkin, DirectoryEmployee, DirectoryTenant, PolicyVersion
from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.contracts.events import CheckinEvaluated, DirectoryUpdated, PolicyUpdated
from services.runtime.consumer import Handler
from services.runtime.service import ServiceRuntime


async def on_directory_updated(session: AsyncSession, envelope: Envelope, event: DirectoryUpdated) -> None:
    if event.tenant is not None:
        await session.merge(DirectoryTenant(id=envelope.tenant, timezone=event.tenant.timezone))
    if event.employee is not None:
        e = event.employee
        await session.merge(
            DirectoryEmployee(tenant=envelope.tenant, nip=e.nip, name=e.name, unit_id=e.unit_id,
                              active=e.active, is_unit_head=e.is_unit_head)
        )


async def on_policy_updated(session: AsyncSession, envelope: Envelope, event: PolicyUpdated) -> None:
    """Keep every version: which one applies depends on the day a check-in was captured.
    Producers before ``effective_at`` existed issued a version when it took effect."""
    await session.merge(
        PolicyVersion(tenant=envelope.tenant, policy_id=event.policy_id, version=event.version,
                      number=event.number, valid_from=event.valid_from, valid_until=event.valid_until,
                      effective_at=event.effective_at or envelope.time, timezone=event.timezone,
                      late_submission_limit_hours=event.content.late_submission_limit_hours)
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


def subscriptions(rt: ServiceRuntime) -> dict[type[Event], Handler]:
    """What the service consumes, and the handler of each (the common signature: none of
    these handlers needs ``rt``)."""
    return {
        DirectoryUpdated: on_directory_updated,
        PolicyUpdated: on_policy_updated,
        CheckinEvaluated: on_checkin_evaluated,
    }
