"""Event handlers: the directory and policy read models, and verdicts coming back from policy.

Each runs inside the consumer's transaction together with the inbox row, so a
redelivered event changes nothing twice; every write is an upsert of a full record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin.store import Checkin, DirectoryEmployee, DirectoryTenant, PolicyVersion
from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.contracts.events import CheckinEvaluated, DirectoryUpdated, PolicyUpdated
from services.runtime import sql
from services.runtime.consumer import Batched, Decoded, Handler
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


async def on_checkins_evaluated(session: AsyncSession, batch: Sequence[Decoded]) -> None:
    """The verdicts of a batch onto their check-ins, one statement (a later verdict of the same
    check-in in the batch wins, as it would one by one)."""
    now = datetime.now(UTC)
    rows = {(d.envelope.tenant, str(d.event.checkin_id)): _verdict_row(d.envelope.tenant, d.event, now)  # type: ignore[attr-defined, arg-type]
            for d in batch}
    await sql.update_rows(session, Checkin.__table__, ("id", "tenant"), list(rows.values()))


def _verdict_row(tenant: str, event: CheckinEvaluated, now: datetime) -> dict[str, Any]:
    return {"id": str(event.checkin_id), "tenant": tenant, "status": event.status, "window_id": event.window_id,
            "late_minutes": event.late_minutes, "geofence": event.geofence, "distance_m": event.distance_m,
            "suspicious": event.suspicious, "reasons": event.reasons, "evaluated_at": now}


def subscriptions(rt: ServiceRuntime) -> dict[type[Event], Handler | Batched]:
    """What the service consumes, and the handler of each (the common signature: none of
    these handlers needs ``rt``)."""
    return {
        DirectoryUpdated: on_directory_updated,
        PolicyUpdated: on_policy_updated,
        CheckinEvaluated: Batched(on_checkins_evaluated),
    }
