"""The PostgreSQL pool: a connection back from idleness is tested before use and replaced when
the database dropped it; one in steady use is not tested (the asyncpg ping costs a transaction
of its own: three round trips, which ``pool_pre_ping`` paid before every transaction)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.ext.asyncio import AsyncEngine

from services.runtime import db
from services.runtime.consumer import is_transient

pytestmark = pytest.mark.infra


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def terminate(pg_url: str, pid: int) -> None:
    """Drop one server connection, as a database restart would."""
    conn = await asyncpg.connect(pg_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


class Pings:
    """The pings of one engine's driver connections (other engines of the test process, such as a
    fixture's pool or a task left by an earlier test, ping theirs too and must not count)."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self._ours: set[int] = set()

    def of(self, engine: AsyncEngine) -> AsyncEngine:
        event.listen(engine.sync_engine, "connect", lambda dbapi_connection, _: self._ours.add(id(dbapi_connection)))
        return engine

    def counted(self, connection: object) -> None:
        if id(connection) in self._ours:
            self.seen.append(1)


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> Pings:
    """Counts the driver connection's pings of the engines given to ``Pings.of``."""
    seen = Pings()
    ping = AsyncAdapt_asyncpg_connection.ping

    def counted(self: Any) -> None:
        seen.counted(self)
        ping(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    return seen


async def test_a_connection_in_steady_use_is_not_pinged_one_back_from_idleness_is(pg_url: str,
                                                                                  pings: Pings) -> None:
    engine = pings.of(db.make_engine(pg_url, pool_size=1))
    try:
        first = await backend_pid(engine)
        assert {await backend_pid(engine) for _ in range(20)} == {first} and pings.seen == []
        await asyncio.sleep(db.IDLE_PING_SECONDS + 0.2)
        assert await backend_pid(engine) == first and pings.seen == [1]
    finally:
        await engine.dispose()


async def test_a_connection_the_database_dropped_while_idle_is_replaced_unseen(pg_url: str,
                                                                               pings: Pings) -> None:
    engine = pings.of(db.make_engine(pg_url, pool_size=1))
    try:
        first = await backend_pid(engine)
        await terminate(pg_url, first)
        await asyncio.sleep(db.IDLE_PING_SECONDS + 0.2)
        assert await backend_pid(engine) != first, "no error: the ping found it dead and the pool reconnected"
        assert pings.seen == [1]
    finally:
        await engine.dispose()


async def test_a_connection_dropped_while_in_steady_use_fails_once_then_the_pool_starts_afresh(
        pg_url: str) -> None:
    engine = db.make_engine(pg_url, pool_size=2)
    try:
        first = await backend_pid(engine)
        await terminate(pg_url, first)
        with pytest.raises(Exception) as failure:  # noqa: PT011 - the driver's error for a closed connection
            await backend_pid(engine)
        assert is_transient(failure.value), f"consumers retry it, the group commit answers 503: {failure.value!r}"
        assert await backend_pid(engine) != first
    finally:
        await engine.dispose()
