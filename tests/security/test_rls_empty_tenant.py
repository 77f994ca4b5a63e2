"""Row-level security on a real PostgreSQL, as an ordinary role that owns the tables (no
SUPERUSER, no BYPASSRLS; the tables' security is forced, so it applies to their owner): an empty
or unset ``app.tenant`` names no tenant and reads nothing. Every tenant is only ever the explicit
``app.all_tenants = on``, which the services' own connections carry for their background work.
A database that still has the older policy (empty meant everything) gets the new one at start."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from services.runtime import db, rls
from tests.security.conftest import Database

ROWS = [("a", "a1"), ("a", "a2"), ("b", "b1")]
OLD_EXPRESSION = ("(coalesce(current_setting('app.tenant', true), '') = '' "
                  "OR tenant = current_setting('app.tenant', true))")


async def notes_database(owned_database: Any, prefix: str, *, old_policy: bool = False) -> tuple[Database, AsyncEngine]:
    database: Database = await owned_database(prefix)
    engine = db.make_engine(database.app_url)
    async with engine.begin() as conn:
        assert not (await conn.execute(text(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"))).scalar()
        await conn.execute(text("CREATE TABLE notes (tenant text NOT NULL, body text NOT NULL)"))
        await conn.execute(text("INSERT INTO notes VALUES " + ", ".join(f"('{t}', '{b}')" for t, b in ROWS)))
        if old_policy:
            await conn.execute(text("ALTER TABLE notes ENABLE ROW LEVEL SECURITY"))
            await conn.execute(text("ALTER TABLE notes FORCE ROW LEVEL SECURITY"))
            await conn.execute(text(f"CREATE POLICY hadir_tenant_v1 ON notes USING {OLD_EXPRESSION} "
                                    f"WITH CHECK {OLD_EXPRESSION}"))
    assert await rls.install_async(database.app_url) == ["notes"]
    return database, engine


async def raw(database: Database) -> asyncpg.Connection:
    """A connection with the services' role that is not one of the services' own (a console, a tool)."""
    url = make_url(database.app_url)
    return await asyncpg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                                 database=url.database)


async def bodies(conn: asyncpg.Connection) -> set[str]:
    return {r["body"] for r in await conn.fetch("SELECT body FROM notes")}


@pytest.mark.parametrize("old_policy", [False, True], ids=["fresh", "upgraded-from-v1"])
async def test_an_empty_or_unset_tenant_reads_nothing(owned_database: Any, old_policy: bool) -> None:
    database, engine = await notes_database(owned_database, "sec_rls_empty", old_policy=old_policy)
    try:
        conn = await raw(database)
        try:
            assert await bodies(conn) == set(), "app.tenant unset"
            await conn.execute("SELECT set_config('app.tenant', '', false)")
            assert await bodies(conn) == set(), "app.tenant empty"
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
                await conn.execute("INSERT INTO notes VALUES ('a', 'planted')")
            await conn.execute("SELECT set_config('app.tenant', 'a', false)")
            assert await bodies(conn) == {"a1", "a2"}
            await conn.execute("SELECT set_config('app.tenant', '', false), set_config('app.all_tenants', 'on', false)")
            assert await bodies(conn) == {"a1", "a2", "b1"}, "every tenant, said explicitly"
        finally:
            await conn.close()

        sessions = db.make_sessions(engine)

        async def seen(tenant: str | None) -> set[str]:
            with rls.scoped(tenant):
                async with sessions() as session:
                    return set((await session.scalars(text("SELECT body FROM notes"))).all())

        assert await seen("") == set()  # a request bound to an empty tenant
        assert await seen(rls.NO_TENANT) == set()
        assert await seen("b") == {"b1"}
        assert await seen(None) == {"a1", "a2", "b1"}  # background work, the national view
        async with sessions() as session, session.begin():
            await rls.confine(session, "")
            assert (await session.scalars(text("SELECT body FROM notes"))).all() == []
            await rls.confine(session, None)
            assert len((await session.scalars(text("SELECT body FROM notes"))).all()) == 3
    finally:
        await engine.dispose()
    admin = await asyncpg.connect(database.admin_url.replace("+asyncpg", ""))
    try:
        policies = await admin.fetch("SELECT policyname FROM pg_policies WHERE tablename = 'notes'")
    finally:
        await admin.close()
    assert [p["policyname"] for p in policies] == [rls.POLICY]
