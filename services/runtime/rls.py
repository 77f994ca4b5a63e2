"""PostgreSQL row-level security: the second wall between tenants.

The first wall is every query's own ``WHERE tenant = :tenant`` (the tenant comes from the
credentials). The second: after migrations, every table with a ``tenant`` column gets
row-level security, enabled and forced (the table owner is subject to it too), with one
policy (:data:`EXPRESSION`) that keeps a row when

- its tenant is the one the setting ``app.tenant`` names (an empty or unset ``app.tenant``
  names no tenant: nothing), or
- the setting ``app.all_tenants`` is ``on``: the explicit "every tenant", never implied by an
  empty ``app.tenant``.

The services' own connections start with ``app.all_tenants = on`` (:data:`CONNECTION_SETTINGS`,
sent when the connection opens, so it costs no statement): background work (consumers,
schedulers, the outbox relay) and the check-in group commit, which shares one transaction
between many tenants' requests and writes each row with the tenant of that row's own
credentials, bind nothing and see every row; so do the migrations (their own connection sets
it). A request binds its caller's tenant (:func:`bind`, called by the principal dependency;
a request's scope is :data:`NO_TENANT`, nothing, until its principal is known); every
transaction a session begins then runs one ``SELECT set_config('app.tenant', :tenant, true),
set_config('app.all_tenants', 'off', true)`` (local to the transaction, so a pooled
connection never carries it to the next user). Only a principal with a cross-tenant role (the
national view) stays unbound in a request. :func:`confine` holds the rest of a transaction
to one tenant. Any other connection (a console, a tool) with the services' role sees no row
until it says which tenant, or every tenant, it means.

A role with ``SUPERUSER`` or ``BYPASSRLS`` is never subject to row-level security: run the
services as an ordinary role that owns its database (:func:`install` logs a warning
otherwise). SQLite has no row-level security; nothing here applies to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

log = structlog.get_logger(__name__)

SETTING = "app.tenant"
ALL_SETTING = "app.all_tenants"
POLICY = "hadir_tenant_v2"  # bump the suffix when the expression changes: older ones are dropped
LOCK_ID = 0x4D696772  # the migrations' advisory lock: replicas install one at a time
# A principal that should be scoped but carries no tenant sees nothing (no tenant id is "∅").
NO_TENANT = "\u2205"
EXPRESSION = (f"(tenant = nullif(current_setting('{SETTING}', true), '') "
              f"OR current_setting('{ALL_SETTING}', true) = 'on')")
# asyncpg's ``server_settings``: what every connection of the services' engines starts with.
CONNECTION_SETTINGS = {ALL_SETTING: "on"}



class Scope:
    """The tenant one request's database work is confined to (None: every tenant). Mutable, so
    that a dependency running in a worker thread (on a copy of the request's context) can
    still set it for the request's own task."""

    __slots__ = ("tenant",)

    def __init__(self, tenant: str | None = None) -> None:
        self.tenant = tenant


_scope: ContextVar[Scope | None] = ContextVar("hadir_rls_scope", default=None)


def open_scope() -> Scope:
    """A fresh Scope for the current task (call it in the request's task), confined to no
    tenant until the principal dependency fills it in."""
    scope = Scope(NO_TENANT)
    _scope.set(scope)
    return scope


def bind(tenant: str | None) -> None:
    """Scope the database work of the current task to ``tenant``; None: unscoped."""
    _scope.set(Scope(tenant))


def bound() -> str | None:
    scope = _scope.get()
    return scope.tenant if scope is not None else None


@contextmanager
def scoped(tenant: str | None) -> Iterator[None]:
    """``bind`` for a block (tools and tests)."""
    token = _scope.set(Scope(tenant))
    try:
        yield
    finally:
        _scope.reset(token)


class TenantSession(Session):
    """The sync session behind every ``AsyncSession`` of the services: sets ``app.tenant``."""


_SET_SCOPE = text(f"SELECT set_config('{SETTING}', :tenant, true), set_config('{ALL_SETTING}', :every, true)")


def _scope_params(tenant: str | None) -> dict[str, str]:
    return {"tenant": tenant or "", "every": "on" if tenant is None else "off"}


@event.listens_for(TenantSession, "after_begin")
def _set_tenant(session: Session, transaction: Any, connection: Connection) -> None:
    tenant = bound()
    if tenant is not None and connection.dialect.name == "postgresql":
        connection.execute(_SET_SCOPE, _scope_params(tenant))


async def confine(session: AsyncSession, tenant: str | None) -> None:
    """Confine the rest of the session's open transaction to ``tenant`` (None: every tenant),
    as a request's transaction is confined at its begin.

    The setting outlives ``RELEASE SAVEPOINT``: a transaction that confines one part must
    confine (or release with None) every part after it. PostgreSQL only."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_SET_SCOPE, _scope_params(tenant))


def every_tenant(connection: Connection) -> None:
    """Let the rest of this connection's session see every tenant (the migrations: data
    changes over every tenant's rows). PostgreSQL only."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT set_config('{ALL_SETTING}', 'on', false)"))


# --- installation -----------------------------------------------------------------


def _tenant_tables(connection: Connection) -> list[tuple[str, bool, bool]]:
    rows = connection.execute(text(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname"))
    return [(r[0], bool(r[1]), bool(r[2])) for r in rows]


def install(connection: Connection) -> list[str]:
    """Enable, force and add the tenant policy on every table with a ``tenant`` column
    (idempotent: only what is missing is changed). Returns the tables covered."""
    if connection.dialect.name != "postgresql":
        return []
    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    policies: dict[str, set[str]] = {}
    for table, name in connection.execute(text(
            "SELECT tablename, policyname FROM pg_policies WHERE schemaname = current_schema()")):
        policies.setdefault(table, set()).add(name)
    tables = _tenant_tables(connection)
    for table, enabled, forced in tables:
        quoted = connection.dialect.identifier_preparer.quote(table)
        if not enabled:
            connection.execute(text(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY"))
        if not forced:
            connection.execute(text(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY"))
        present = policies.get(table, set())
        for stale in sorted(p for p in present if p.startswith("hadir_tenant") and p != POLICY):
            connection.execute(text(f"DROP POLICY {connection.dialect.identifier_preparer.quote(stale)} "
                                    f"ON {quoted}"))
        if POLICY not in present:
            connection.execute(text(f"CREATE POLICY {POLICY} ON {quoted} USING {EXPRESSION} "
                                    f"WITH CHECK {EXPRESSION}"))
    bypass = connection.execute(text(
        "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")).scalar()
    if bypass and tables:
        log.warning("row-level security is bypassed: the database role is a superuser or has BYPASSRLS; "
                    "run the services as an ordinary role that owns the database",
                    role=connection.execute(text("SELECT current_user")).scalar())
    return [t for t, _, _ in tables]


async def install_async(url: str) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(install)
    finally:
        await engine.dispose()


def install_url(url: str) -> list[str]:
    """Blocking: runs its own event loop (as the migrations do)."""
    if not url.startswith("postgresql"):
        return []
    return asyncio.run(install_async(url))
