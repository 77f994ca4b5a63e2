"""The location access log (UU PDP 27/2022, accountability): who read whose personal location data,
when, why and through which endpoint.

Guarantees: a read of coordinates by policy's own routes appends its row in the transaction that
reads them (no row, no data); reads in other services arrive as ``privacy.location_read.v1`` events
and are appended once whatever the redeliveries (the row's key is the event's ``read_id``). Rows are
never changed; on PostgreSQL a trigger refuses every UPDATE and every DELETE outside
:func:`reduce_expired`, the retention job's, which deletes only rows past the tenant's
``access_log_days``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import LocationRead
from services.contracts.rules.retention import RetentionPeriods, cutoff
from services.policy.privacy_schemas import AccessLogEntry, AccessLogPage
from services.policy.store import LocationRead as Row
from services.runtime import pages, sql
from services.runtime.db import dialect_name

MAX_TEXT = 200  # LocationRead.actor and the row's actor / actor_nip


def _row(tenant: str, event: LocationRead) -> dict[str, object]:
    return {"read_id": event.read_id, "tenant": tenant, "employee_id": event.employee_id,
            "actor": event.actor[:MAX_TEXT], "actor_nip": event.actor_nip[:MAX_TEXT] if event.actor_nip else None,
            "actor_roles": list(event.actor_roles), "purpose": event.purpose, "endpoint": event.endpoint,
            "data": event.data, "records": event.records, "at": event.at}


async def record(session: AsyncSession, event: LocationRead, tenant: str) -> None:
    """Append ``event`` (nothing when its ``read_id`` is already there)."""
    await record_many(session, [(tenant, event)])


async def record_many(session: AsyncSession, items: Sequence[tuple[str, LocationRead]]) -> int:
    """Append each ``(tenant, event)`` with one statement per chunk; returns the rows appended."""
    rows = [_row(tenant, event) for tenant, event in items]
    return len(await sql.insert_ignore(session, Row.__table__, rows, Row.read_id, keys=["read_id"]))


def entry(row: Row, zone: str) -> AccessLogEntry:
    return AccessLogEntry(
        read_id=row.read_id, employee_id=row.employee_id, actor=row.actor, actor_nip=row.actor_nip,
        actor_roles=list(row.actor_roles or []), purpose=row.purpose, endpoint=row.endpoint,
        data=row.data, records=row.records, at=row.at,  # type: ignore[arg-type]
        at_local=row.at.astimezone(ZoneInfo(zone)).isoformat())


async def page(session: AsyncSession, tenant: str, zone: str, *, employee_id: str | None = None,
               since: datetime | None = None, until: datetime | None = None, after: str | None = None,
               limit: int = 100) -> AccessLogPage:
    """The tenant's rows (one employee's when ``employee_id``), ``since`` ≤ at < ``until``, newest first."""
    query = select(Row).where(Row.tenant == tenant)
    if employee_id is not None:
        query = query.where(Row.employee_id == employee_id)
    if since is not None:
        query = query.where(Row.at >= since)
    if until is not None:
        query = query.where(Row.at < until)
    rows, next_after = await pages.newest_first(session, query, Row.at, Row.read_id, after, limit)
    return AccessLogPage(items=[entry(r, zone) for r in rows], next_after=next_after)


async def about(session: AsyncSession, tenant: str, employee_id: str, zone: str) -> list[AccessLogEntry]:
    """Every row about one employee, newest first (their self-export)."""
    rows = await session.scalars(select(Row).where(Row.tenant == tenant, Row.employee_id == employee_id)
                                 .order_by(Row.at.desc(), Row.read_id.desc()))
    return [entry(r, zone) for r in rows]


async def reduce_expired(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime,
                         today: date, limit: int) -> int:
    """Delete at most ``limit`` of ``tenant``'s rows older than its ``access_log_days`` (oldest first) and
    return how many went. The period counts instants, so ``today`` is not needed here (the retention
    runner passes every hook the same arguments). Rows another replica is deleting are skipped, not
    waited for (``FOR UPDATE SKIP LOCKED``); only this statement may delete (the trigger's
    ``hadir.retention`` setting is on for it alone)."""
    expired = (select(Row.read_id).where(Row.tenant == tenant, Row.at < cutoff(now, periods.access_log_days))
               .order_by(Row.at).limit(limit))
    postgres = dialect_name(session) == "postgresql"
    if postgres:
        await session.execute(text("SET LOCAL hadir.retention = 'on'"))
    try:
        return await sql.delete_claimed(session, Row.read_id, expired)
    finally:
        if postgres:
            await session.execute(text("SET LOCAL hadir.retention = 'off'"))
