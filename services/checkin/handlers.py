"""Event handlers: the directory and policy read models, and verdicts coming back from policy.

Each runs inside the consumer's transaction together with the inbox rows, so a
redelivered event changes nothing twice; every write is an upsert of full records, set-based
(one statement per table and batch). A change of the directory or letters raises the read
models' generation in the same transaction (:mod:`services.checkin.directory`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin.store import (
    Checkin,
    DirectoryEmployee,
    DirectoryTenant,
    PolicyVersion,
    read_models_changed,
)
from services.contracts.base import Event
from services.contracts.events import CheckinEvaluated, DirectoryUpdatedV2, PolicyUpdated
from services.contracts.rules import retention
from services.runtime import sql
from services.runtime.consumer import Batched, Decoded, Handler
from services.runtime.service import ServiceRuntime


async def on_directory_updated(session: AsyncSession, batch: Sequence[Decoded]) -> None:
    """The tenants' zones and retention periods and the employees of a batch (``directory.updated.v2``:
    no places, no contacts), one upsert each (a later record of the same tenant or employee in the
    batch wins, as it would one by one)."""
    tenants: dict[str, dict[str, Any]] = {}
    employees: dict[tuple[str, str], dict[str, Any]] = {}
    for d in batch:
        event, tenant = cast(DirectoryUpdatedV2, d.event), d.envelope.tenant
        if event.tenant is not None:
            t = event.tenant
            tenants[tenant] = {"id": tenant, "timezone": t.timezone,
                               "retention": retention.stored(t.retention),
                               "calendar": t.calendar.model_dump(mode="json") if t.calendar else None}
        if event.employee is not None:
            e = event.employee
            employees[(tenant, e.nip)] = {"tenant": tenant, "nip": e.nip, "name": e.name, "unit_id": e.unit_id,
                                          "active": e.active, "is_unit_head": e.is_unit_head,
                                          "inactive_since": e.inactive_since}
    await sql.upsert(session, DirectoryTenant, list(tenants.values()), keys=["id"])
    await sql.upsert(session, DirectoryEmployee, list(employees.values()), keys=["tenant", "nip"])
    await read_models_changed(session)


SCHEDULE_FIELDS = {"windows", "working_days", "holidays", "geofence_radius_m"}  # what the page's schedule needs


async def on_policy_updated(session: AsyncSession, batch: Sequence[Decoded]) -> None:
    """Keep every version: which one applies depends on the day a check-in was captured.
    Producers before ``effective_at`` existed issued a version when it took effect. The names of
    its windows are what a head's review list shows next to a window's id."""
    versions: dict[tuple[str, str, int], dict[str, Any]] = {}
    for d in batch:
        event, tenant = cast(PolicyUpdated, d.event), d.envelope.tenant
        versions[(tenant, event.policy_id, event.version)] = {
            "tenant": tenant, "policy_id": event.policy_id, "version": event.version, "number": event.number,
            "valid_from": event.valid_from, "valid_until": event.valid_until,
            "effective_at": event.effective_at or d.envelope.time, "timezone": event.timezone,
            "late_submission_limit_hours": event.content.late_submission_limit_hours,
            "window_names": {w.id: w.name for w in event.content.windows},
            "content": event.content.model_dump(mode="json", include=SCHEDULE_FIELDS)}
    await sql.upsert(session, PolicyVersion, list(versions.values()), keys=["tenant", "policy_id", "version"])
    await read_models_changed(session)


async def on_checkins_evaluated(session: AsyncSession, batch: Sequence[Decoded]) -> None:
    """The verdicts of a batch onto their check-ins, one statement (a later verdict of the same
    check-in in the batch wins, as it would one by one). The nearest place's name is kept with
    the verdict: what a unit head reads instead of coordinates; its local day is what a review's
    event names."""
    now = datetime.now(UTC)
    verdicts = [(d.envelope.tenant, cast(CheckinEvaluated, d.event)) for d in batch]
    rows = {(tenant, str(event.checkin_id)): _verdict_row(tenant, event, now) for tenant, event in verdicts}
    await sql.update_rows(session, Checkin.__table__, ("id", "tenant"), list(rows.values()))


PLACE_NAME = 60  # checkins.place_name; policy's place names are no longer


def _verdict_row(tenant: str, event: CheckinEvaluated, now: datetime) -> dict[str, Any]:
    return {"id": str(event.checkin_id), "tenant": tenant, "status": event.status, "window_id": event.window_id,
            "late_minutes": event.late_minutes, "geofence": event.geofence, "distance_m": event.distance_m,
            "suspicious": event.suspicious, "reasons": event.reasons, "evaluated_at": now,
            "local_date": event.local_date,
            "place_name": event.nearest_place[:PLACE_NAME] if event.nearest_place else None}


def subscriptions(rt: ServiceRuntime) -> dict[type[Event], Handler | Batched]:
    """What the service consumes, and the handler of each (the common signature: none of
    these handlers needs ``rt``)."""
    return {
        DirectoryUpdatedV2: Batched(on_directory_updated),
        PolicyUpdated: Batched(on_policy_updated),
        CheckinEvaluated: Batched(on_checkins_evaluated),
    }
