"""The directory on ``directory.updated.v2`` and ``directory.contacts.v1`` from the first start after the
upgrade that introduced them: every tenant, unit and employee is published there once, so a consumer
group that starts on the new topics later still finds the whole directory (compacted), not only what
changed since the upgrade (docs/integration.md, *Migrating to directory.updated.v2*).

Guarantee: the directory is walked in key order a chunk at a time; each chunk's events and the cursor
after it commit together (:mod:`.publishing` stages them), so a crash resumes at the next chunk and no
chunk is published twice. Replicas take turns on the cursor's row lock; once the cursor says done,
a start publishes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import structlog
from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.policy import publishing
from services.policy.records import employee_record, tenant_record, unit_record
from services.policy.store import DirectoryBackfill, Employee, Tenant, Unit
from services.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)

NAME = "directory.v2"
PHASES = ("tenants", "units", "employees", "done")
CHUNK = 1000
# Each phase's table and the key it is walked in.
WALK: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "tenants": (Tenant, (Tenant.id,)),
    "units": (Unit, (Unit.tenant, Unit.id)),
    "employees": (Employee, (Employee.tenant, Employee.nip)),
}
RETRY_SECONDS = 30.0


async def publish_chunk(rt: ServiceRuntime, session: AsyncSession, chunk: int = CHUNK) -> bool:
    """Publish the next chunk of the directory and move the cursor; False once it is done."""
    cursor = await session.scalar(select(DirectoryBackfill).where(DirectoryBackfill.name == NAME).with_for_update())
    if cursor is None or cursor.phase == "done":
        return False
    table, key = WALK[cursor.phase]
    query = select(table).order_by(*key).limit(chunk)
    after = (cursor.after_tenant, cursor.after_key)[:len(key)]
    if cursor.after_tenant is not None:
        query = query.where(tuple_(*key) > tuple_(*after)) if len(key) > 1 else query.where(key[0] > after[0])
    rows: Sequence[Any] = (await session.scalars(query)).all()
    await _stage(rt, session, cursor.phase, rows)
    if len(rows) < chunk:
        cursor.phase, cursor.after_tenant, cursor.after_key = PHASES[PHASES.index(cursor.phase) + 1], None, None
    else:
        last = [getattr(rows[-1], column.key) for column in key]
        cursor.after_tenant, cursor.after_key = last[0], (last[1] if len(last) > 1 else None)
    if cursor.phase == "done":
        cursor.done_at = datetime.now(UTC)
    return True


async def _stage(rt: ServiceRuntime, session: AsyncSession, phase: str, rows: Sequence[Any]) -> None:
    if phase == "tenants":
        for row in rows:
            await publishing.stage_tenant(rt, session, tenant_record(row))
        return
    for tenant, same in groupby(rows, key=lambda r: r.tenant):
        batch = list(same)
        if phase == "units":
            await publishing.stage_units(rt, session, tenant, [unit_record(r) for r in batch])
        else:
            await publishing.stage_employees(rt, session, tenant, [employee_record(r) for r in batch], {},
                                             {r.nip: r.inactive_since for r in batch})


async def run(rt: ServiceRuntime) -> None:
    """Publish chunk after chunk until done (a failed chunk is tried again later); then end."""
    published = 0
    while True:
        try:
            async with rt.sessions() as session, session.begin():
                more = await publish_chunk(rt, session)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database down: the cursor did not move, try again
            log.warning("directory backfill chunk failed", error=repr(exc))
            await asyncio.sleep(RETRY_SECONDS)
            continue
        if not more:
            if published:
                log.info("directory published on directory.updated.v2 and directory.contacts.v1", chunks=published)
            return
        published += 1
        rt.wake_relay()
