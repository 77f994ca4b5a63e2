"""Async SQLAlchemy engine and sessions for PostgreSQL (asyncpg) or SQLite (aiosqlite)."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, event, func, literal, select, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

from services.runtime import rls


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware.

    PostgreSQL keeps the offset (timestamptz); SQLite stores text without one, so
    values are normalised to UTC on the way in and marked UTC on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: Hadir stores aware UTC instants only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


IDLE_PING_SECONDS = 1.0


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """Create the engine; SQLite gets WAL mode and a busy timeout, PostgreSQL a pool whose
    connections are tested before use when they sat idle (:func:`_ping_if_idle`)."""
    kwargs: dict[str, Any] = {}
    if is_sqlite(url):
        kwargs["connect_args"] = {"timeout": 30}
    else:  # the services' own work sees every tenant unless a transaction is confined (rls)
        kwargs.update(pool_size=pool_size, max_overflow=pool_size,
                      connect_args={"server_settings": dict(rls.CONNECTION_SETTINGS)})
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine.sync_engine, "checkin", _idle_from)
        event.listen(engine.sync_engine, "checkout", _ping_if_idle)
    return engine


def _idle_from(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_from"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A connection back from the pool after more than ``IDLE_PING_SECONDS`` is pinged first
    (a database restart meanwhile would break it); a dead one is replaced, the caller never sees
    it. One in steady use is not: the asyncpg ping is three round trips (a transaction around
    an empty query), which ``pool_pre_ping`` paid before every transaction. A database lost
    while a connection is in use fails that transaction (retried as transient) and SQLAlchemy
    then discards every connection of the pool made before."""
    idle_from = record.info.get("idle_from")
    if idle_from is None or time.monotonic() - idle_from <= IDLE_PING_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:
        raise DisconnectionError(f"connection idle {time.monotonic() - idle_from:.0f} s failed its ping") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose transactions carry the request's tenant to PostgreSQL (``rls``)."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=rls.TenantSession)


def dialect_name(session: AsyncSession) -> str:
    """``postgresql`` or ``sqlite``: the dialect a session is bound to."""
    bind = session.get_bind()
    return bind.dialect.name


async def begin_now(session: AsyncSession) -> None:
    """Open the session's transaction on the database now: connect (an unreachable database
    fails here, before any work runs in it) and, on SQLite, emit ``BEGIN IMMEDIATE``.

    pysqlite begins a transaction only before the first write; a ``SAVEPOINT`` issued before
    that opens a transaction of its own, which its ``RELEASE`` commits. Begun explicitly,
    savepoints nest in the one transaction (IMMEDIATE: the write lock is taken, or waited
    for, now, not refused later when a reading transaction tries to write)."""
    await session.connection()
    if dialect_name(session) == "sqlite":
        await session.execute(text("BEGIN IMMEDIATE"))


async def clock(session: AsyncSession, *also: Any) -> tuple[datetime, Any]:
    """The database's clock, read in the session's transaction, with ``also`` (columns or scalar
    subqueries, e.g. a generation to check) in the same statement: ``(now, row)``. PostgreSQL:
    ``clock_timestamp()``; SQLite: this process's clock (its one writer at a time is on this
    machine). Several replicas stamping with it share one clock, the one ``pg_stat_activity``
    reports transactions on."""
    postgres = dialect_name(session) == "postgresql"
    columns = [func.clock_timestamp() if postgres else literal(None), *also]
    row = (await session.execute(select(*columns))).one()
    now = row[0].astimezone(UTC) if postgres else datetime.now(UTC)
    return now, row[1:]


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def advisory_key(*parts: str) -> int:
    """A stable signed 64-bit PostgreSQL advisory-lock key of ``parts`` (the same parts, the same key
    in every process and release)."""
    digest = hashlib.blake2b("|".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
