"""Set-based writes: many rows in one statement, and many outbox rows at once.

Used by the CSV imports and the roster generator, where one request may touch
thousands of rows; each call runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.runtime.db import dialect_name
from services.runtime.outbox import envelope_for
from services.runtime.service import ServiceRuntime

CHUNK = 2000


def _chunks(rows: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


async def upsert(session: AsyncSession, table: Any, rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE every other column, in batches."""
    if not rows:
        return
    dialect_insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    stmt = dialect_insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
    )
    for chunk in _chunks(rows):
        await session.execute(stmt, list(chunk))


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        await session.execute(insert(table), list(chunk))


async def stage_many(rt: ServiceRuntime, session: AsyncSession, events: Sequence[Event], *, tenant: str,
                     time: datetime | None = None) -> int:
    """Stage ``events`` in the outbox with bulk inserts (same rows as ``rt.stage``)."""
    if not events:
        return 0
    assert rt.outbox is not None
    now = datetime.now(UTC)
    rows = []
    for event in events:
        envelope = envelope_for(event, tenant=tenant, source=rt.source)
        if time is not None:
            envelope = replace(envelope, time=time)
        rows.append({
            "event_id": envelope.id, "topic": event.TOPIC, "ce_type": envelope.type,
            "ce_source": envelope.source, "tenant": envelope.tenant, "subject": envelope.subject,
            "ce_time": envelope.time, "traceparent": None, "payload": envelope.data, "created_at": now,
        })
    await insert_rows(session, rt.outbox, rows)
    return len(rows)
