"""PostgreSQL row-level security, the second wall: a query that forgets its tenant filter,
inside a request, still sees (and changes) only the caller's tenant; background work sees all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Depends, Request
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from services.policy.store import Employee, Unit
from services.runtime import rls
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime
from tests.security.apps import build
from tests.security.conftest import FIGURES, RLS_BYPASSED, SERVICES, Database
from tests.support.tokens import Tokens

NIPS = {"rls-a": "198703152010011001", "rls-b": "199002202015032002"}


def add_probes(app: Any, rt: ServiceRuntime) -> None:
    """Deliberately unscoped queries, as a careless route would write them."""
    router = APIRouter(prefix="/probe")
    Admin = Depends(rt.role("tenant_admin", "platform_admin"))

    async def everyone() -> list[list[str]]:
        async with rt.sessions() as session:
            rows = (await session.scalars(select(Employee).order_by(Employee.tenant))).all()
        return [[r.tenant, r.nip, r.name] for r in rows]

    @router.get("/employees")
    async def by_role(principal: Principal = Admin) -> list[list[str]]:
        return await everyone()

    @router.get("/employees-any")
    async def by_principal(principal: Principal = Depends(rt.current_principal)) -> list[list[str]]:
        return await everyone()

    @router.get("/employees-direct")
    async def by_direct_call(request: Request) -> list[list[str]]:
        rt.current_principal(request)
        return await everyone()

    @router.post("/rename-all")
    async def rename_all(principal: Principal = Admin) -> int:
        async with rt.sessions() as session, session.begin():
            result = await session.execute(update(Employee).values(name="diubah / hijacked"))
        return result.rowcount  # type: ignore[attr-defined, no-any-return]

    @router.post("/plant/{tenant}")
    async def plant(tenant: str, principal: Principal = Admin) -> dict[str, Any]:
        try:
            async with rt.sessions() as session, session.begin():
                session.add(Unit(tenant=tenant, id="planted", name="Planted", kind="department",
                                 effective_sector="non_essential", active=True))
        except DBAPIError as exc:
            return {"refused": True, "error": str(exc.orig)[:200]}
        return {"refused": False}

    app.include_router(router)


async def test_unscoped_queries_inside_a_request_see_only_the_callers_tenant(
    owned_database: Any, dev_keys: tuple[Path, Path], tmp_path: Path
) -> None:
    database: Database = await owned_database("sec_rls")
    built = build("policy", tmp_path, database_url=database.app_url, kafka_bootstrap_servers="127.0.0.1:1",
                  jwt_jwks_file=dev_keys[1])
    add_probes(built.app, built.rt)
    tokens = Tokens(dev_keys[0])
    admin = {t: tokens.admin(t) for t in NIPS}
    async with built.app.router.lifespan_context(built.app):
        transport = httpx.ASGITransport(app=built.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://policy") as client:
            for tenant, nip in NIPS.items():
                for method, url, body in (
                    ("PUT", "/v1/tenant", {"name": f"Pemkab {tenant}", "kind": "regency", "timezone": "Asia/Jakarta"}),
                    ("PUT", "/v1/units/bkd", {"name": f"BKD {tenant}", "sector": "non_essential"}),
                    ("PUT", f"/v1/employees/{nip}", {"name": f"Pegawai {tenant}", "unit_id": "bkd"}),
                ):
                    response = await client.request(method, url, headers=admin[tenant], json=body)
                    assert response.status_code == 200, response.text

            # Background work (no principal): every tenant.
            async with built.rt.sessions() as session:
                seen = {r.tenant for r in (await session.scalars(select(Employee))).all()}
            assert seen == set(NIPS)

            # Inside a request for B, however the principal was obtained: B's rows only.
            employee_b = tokens.employee("rls-b", NIPS["rls-b"], "bkd")
            for url, headers in (("/probe/employees", admin["rls-b"]), ("/probe/employees-any", employee_b),
                                 ("/probe/employees-direct", employee_b)):
                response = await client.get(url, headers=headers)
                assert response.status_code == 200, response.text
                assert {row[0] for row in response.json()} == {"rls-b"}, (url, response.json())
            api = (await client.get("/probe/employees", headers=admin["rls-a"])).json()
            assert {row[0] for row in api} == {"rls-a"}

            # A cross-tenant role (national view) is not confined.
            platform = tokens.headers(tenant="rls-b", roles=["platform_admin"])
            assert {r[0] for r in (await client.get("/probe/employees", headers=platform)).json()} == set(NIPS)

            # An unscoped UPDATE from B changes B's row only; a row planted for A is refused.
            assert (await client.post("/probe/rename-all", headers=admin["rls-b"])).json() == 1
            planted = (await client.post("/probe/plant/rls-a", headers=admin["rls-b"])).json()
            assert planted["refused"] and "row-level security" in planted["error"], planted
            assert (await client.post("/probe/plant/rls-b", headers=admin["rls-b"])).json() == {"refused": False}

            a = (await client.get(f"/v1/employees/{NIPS['rls-a']}", headers=admin["rls-a"])).json()
            assert a["name"] == "Pegawai rls-a"
            assert (await client.get("/v1/units/planted", headers=admin["rls-a"])).status_code == 404

    # Without a bound tenant in this (test) task: everything, nothing leaked from the requests.
    assert rls.bound() is None
    engine = create_async_engine(database.admin_url)
    try:
        async with engine.connect() as conn:
            names = dict((await conn.execute(text("SELECT tenant, name FROM employees"))).all())
    finally:
        await engine.dispose()
    assert names == {"rls-a": "Pegawai rls-a", "rls-b": "diubah / hijacked"}


async def test_every_tenant_table_has_forced_row_level_security(security_suite: Any,
                                                                security_databases: dict[str, Database]) -> None:
    """After the services' own migrations (the suite started them), as their own ordinary role."""
    covered: dict[str, int] = {}
    for name in SERVICES:
        engine = create_async_engine(security_databases[name].admin_url)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(text(
                    "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                    "  EXISTS (SELECT FROM pg_policies p WHERE p.tablename = c.relname AND p.policyname = :policy) "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped "
                    "WHERE n.nspname = 'public' AND c.relkind = 'r'"), {"policy": rls.POLICY})).all()
            app = create_async_engine(security_databases[name].app_url)
            async with app.connect() as conn:
                role_bypasses = (await conn.execute(text(
                    "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user"))).scalar()
            await app.dispose()
        finally:
            await engine.dispose()
        assert rows, f"{name}: no table with a tenant column?"
        unprotected = [r[0] for r in rows if not (r[1] and r[2] and r[3])]
        assert not unprotected, f"{name}: tables without forced row-level security: {unprotected}"
        assert role_bypasses == (name in RLS_BYPASSED), f"{name}: its role bypasses row-level security"
        covered[name] = len(rows)
    line = (f"row-level security: {sum(covered.values())} tenant tables forced {covered}; services whose role "
            f"bypasses it in this suite: {sorted(RLS_BYPASSED)}")
    FIGURES["row_level_security"] = {"lines": [line], "tables": covered}
    print("\n" + line)


async def test_install_is_idempotent(owned_database: Any, tmp_path: Path) -> None:
    """Every start re-runs it (replicas too): it changes nothing the second time."""
    database: Database = await owned_database("sec_rls_idem")
    assert rls.install_url("sqlite+aiosqlite:///:memory:") == []
    built = build("checkin", tmp_path, database_url=database.app_url)
    from services.runtime import migrations

    await migrations.upgrade_async(built.rt.versions_dir, database.app_url, built.rt.metadata)
    first = await rls.install_async(database.app_url)
    again = await rls.install_async(database.app_url)
    assert first == again and "checkins" in first and "outbox" in first
    engine = create_async_engine(database.admin_url)
    try:
        async with engine.connect() as conn:
            counts = dict((await conn.execute(text(
                "SELECT tablename, count(*) FROM pg_policies GROUP BY tablename"))).all())
    finally:
        await engine.dispose()
    assert counts == dict.fromkeys(first, 1)
