"""Set-based writes and window locks for the reporting service.

- :func:`insert_rows` writes many rows in few statements (``INSERT … ON CONFLICT DO
  NOTHING``; on PostgreSQL one ``unnest`` statement per chunk of 20,000 rows);
- :func:`stage_many` puts many events in the transactional outbox at once (the same
  rows ``ServiceRuntime.stage`` writes one by one);
- :func:`lock_window` serialises the closing of a window with the projection of
  check-ins into it (PostgreSQL advisory transaction locks): the closure holds the
  window's lock exclusively, a consumer applying an evaluation for that window holds
  it shared, so an evaluation is either seen by the closure or applied to the
  ledger row the closure wrote — never lost in between. SQLite serialises writers
  anyway and needs nothing.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    Table,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import FromClause
from sqlalchemy.types import TypeDecorator

from services.contracts.base import Event
from services.runtime.db import dialect_name
from services.runtime.outbox import envelope_for

CHUNK = 20_000
SQLITE_CHUNK = 500


def _chunks(rows: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _pg_type(column: Any) -> str:
    """The PostgreSQL array element type for a column of the reporting tables."""
    kind = column.type
    if isinstance(kind, TypeDecorator):  # e.g. UTCDateTime: the type it stores as
        kind = kind.impl_instance
    for sa_type, name in ((BigInteger, "int8"), (Integer, "int4"), (Boolean, "bool"), (Date, "date"),
                          (Float, "float8"), (LargeBinary, "bytea")):
        if isinstance(kind, sa_type):
            return name
    if isinstance(kind, DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    return "text"


async def insert_rows(session: AsyncSession, table: FromClause, rows: Sequence[dict[str, Any]],
                      *, ignore_conflicts: bool = True) -> None:
    """Insert ``rows`` (dicts with the same keys) inside the caller's transaction."""
    if not rows:
        return
    if dialect_name(session) == "postgresql":
        await _pg_unnest_insert(session, cast(Table, table), rows, ignore_conflicts)
        return
    stmt = sqlite.insert(cast(Table, table))
    if ignore_conflicts:
        stmt = stmt.on_conflict_do_nothing()
    for chunk in _chunks(rows, SQLITE_CHUNK):
        await session.execute(stmt, list(chunk))


async def _pg_unnest_insert(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]],
                            ignore_conflicts: bool) -> None:
    names = list(rows[0])
    columns = [table.c[n] for n in names]
    arrays = ", ".join(f"CAST(:c{i} AS {_pg_type(c)}[])" for i, c in enumerate(columns))
    quoted = ", ".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{table.name}" ({quoted}) SELECT * FROM unnest({arrays})'
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    stmt = text(sql)
    for chunk in _chunks(rows, CHUNK):
        params = {f"c{i}": [r[n] for r in chunk] for i, n in enumerate(names)}
        await session.execute(stmt, params)


async def copy_rows(session: AsyncSession, table: FromClause, columns: Sequence[str],
                    records: Sequence[tuple[Any, ...]]) -> None:
    """Append rows that cannot conflict (PostgreSQL ``COPY``, the fastest path; plain
    inserts on SQLite, and where row-level security applies to this role, which PostgreSQL
    does not allow ``COPY FROM`` under), inside the caller's transaction."""
    if not records:
        return
    name = cast(Table, table).name
    if dialect_name(session) != "postgresql" or await session.scalar(
            text("SELECT row_security_active(CAST(:t AS regclass))"), {"t": name}):
        await insert_rows(session, table, [dict(zip(columns, r, strict=True)) for r in records],
                          ignore_conflicts=False)
        return
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    for chunk in _chunks(records, CHUNK * 5):
        await driver.copy_records_to_table(cast(Table, table).name, records=list(chunk), columns=list(columns))


OUTBOX_COLUMNS = ("event_id", "topic", "ce_type", "ce_source", "tenant", "subject", "ce_time", "traceparent",
                  "payload", "created_at")


async def stage_payloads(session: AsyncSession, outbox: Table | None, cls: type[Event],
                         items: Sequence[tuple[str, bytes]], *, tenant: str, source: str) -> int:
    """Stage events of one type given as (subject, JSON payload) in the outbox, in bulk:
    the same rows ``ServiceRuntime.stage`` writes one by one, published in this order."""
    assert outbox is not None, "a service that stages events has an outbox table"
    now = datetime.now(UTC)
    await copy_rows(session, outbox, OUTBOX_COLUMNS, [
        (str(uuid.uuid4()), cls.TOPIC, cls.TYPE, source, tenant, subject, now, None, payload, now)
        for subject, payload in items])
    return len(items)


async def stage_many(session: AsyncSession, outbox: Table, events: Sequence[Event], *, tenant: str,
                     source: str) -> int:
    """Stage ``events`` (any types) in the outbox in bulk; they publish in the given order."""
    if not events:
        return 0
    now = datetime.now(UTC)
    records = []
    for event in events:
        env = envelope_for(event, tenant=tenant, source=source)
        records.append((env.id, event.TOPIC, env.type, env.source, env.tenant, env.subject, env.time, None,
                        env.data, now))
    await copy_rows(session, outbox, OUTBOX_COLUMNS, records)
    return len(records)


def payload_factory(cls: type[Event], **common: Any):  # type: ignore[no-untyped-def]
    """A fast JSON encoder for many events of ``cls`` that differ only in a few fields.

    The common fields are validated once through the model; each payload is the
    model's own JSON (same keys, same order) with the varying fields substituted.
    """
    def build(**varying: Any) -> bytes:
        return json.dumps({**template, **varying}, separators=(",", ":"), ensure_ascii=False).encode()

    sample: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        if name not in common and field.is_required():
            sample[name] = "0"
    template = json.loads(cls(**{**sample, **common}).model_dump_json())
    return build


def window_key(tenant: str, day: date, window_id: str) -> int:
    """A stable signed 64-bit advisory-lock key for one (tenant, day, window)."""
    digest = hashlib.blake2b(f"hadir-reporting|{tenant}|{day.isoformat()}|{window_id}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_window(session: AsyncSession, tenant: str, day: date, window_id: str, *, shared: bool) -> None:
    """Take the window's advisory transaction lock (once per transaction); no-op on SQLite."""
    if dialect_name(session) != "postgresql":
        return
    key = window_key(tenant, day, window_id)
    transaction = session.get_transaction()
    cached = session.info.get("hadir_window_locks")
    if cached is None or cached[0] is not transaction:
        cached = session.info["hadir_window_locks"] = (transaction, set())
    held: set[int] = cached[1]
    if key in held:
        return
    fn = func.pg_advisory_xact_lock_shared if shared else func.pg_advisory_xact_lock
    await session.execute(select(fn(key)))
    held.add(key)


def upsert_statement(session: AsyncSession, table: FromClause, keys: Sequence[str]):  # type: ignore[no-untyped-def]
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` of every other column."""
    dialect_insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    stmt = dialect_insert(cast(Table, table))
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys},
    )


__all__ = ["insert", "insert_rows", "lock_window", "stage_many", "upsert_statement", "window_key"]
