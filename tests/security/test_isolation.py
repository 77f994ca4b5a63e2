"""Tenant B calls every endpoint of every service, as discovered from each service's OpenAPI
document at run time, with tenant A's real ids in paths, queries and bodies, holding each of
its roles (JWTs, an API key with roles and a scoped integrator key with every scope). None may
read or change A's data: a 2xx is allowed only when the response holds none of A's strings that
B did not send itself, and A's rows in every database are byte for byte the same afterwards.

Twice, each time as a fresh tenant B: with row-level security not forced (the services' role
owns the tables, so only the queries' own tenant filters stand between the tenants), then
forced (both walls, as in production)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from services.runtime import apikeys
from tests.security.barrage import Call, Result, Snapshot, Spec, attack, calls
from tests.security.conftest import FIGURES, RLS_BYPASSED, SERVICES, Database, Tenants
from tests.security.world import Seeder, World
from tests.support.tokens import Tokens
from tools.suite import Suite


def credentials(tokens: Tokens, a: World, b: World) -> dict[str, tuple[dict[str, str], str]]:
    """B's credentials; some claim A's unit or NIP (B's identity provider can say anything
    about people, never about the tenant): (headers, the claims B chose)."""
    return {
        "tenant_admin": (tokens.admin(b.tenant), ""),
        "unit_head": (tokens.headers(tenant=b.tenant, roles=["unit_head"], nip=b.nips[0], unit=a.units[0]),
                      f"{b.nips[0]} {a.units[0]}"),
        "employee": (tokens.headers(tenant=b.tenant, roles=["employee"], nip=a.nips[0], unit=a.units[0]),
                     f"{a.nips[0]} {a.units[0]}"),
        "integrator": (tokens.headers(tenant=b.tenant, roles=["integrator"]), ""),
        "integrator_api_key": ({"X-API-Key": b.api_key}, ""),
        "scoped_api_key": ({"X-API-Key": b.scoped_key}, ""),
        "all_four_roles": (tokens.headers(tenant=b.tenant, roles=["tenant_admin", "unit_head", "employee",
                                                                  "integrator"], nip=a.nips[0], unit=a.units[0]),
                           f"{a.nips[0]} {a.units[0]}"),
    }


async def force_rls(engines: dict[str, AsyncEngine], on: bool) -> None:
    """Switch FORCE ROW LEVEL SECURITY on every tenant table; off, the services' role (the
    owner) is not subject to row-level security, and only the queries' own filters remain."""
    for name, engine in engines.items():
        if name in RLS_BYPASSED:
            continue
        async with engine.begin() as conn:
            tables = (await conn.execute(text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"))).scalars().all()
            for table in tables:
                await conn.execute(text(f'ALTER TABLE "{table}" {"" if on else "NO "}FORCE ROW LEVEL SECURITY'))


# Two passes of ~3,500 calls: ~2 minutes on an idle 2-core machine, ten under a load of 30.
@pytest.mark.timeout(1500)
async def test_no_cross_tenant_call_succeeds(security_suite: Suite, tenants: Tenants, security_tokens: Tokens,
                                             security_databases: dict[str, Database], webhook_receiver: str,
                                             api_keys_file: Path) -> None:
    a = tenants.a
    engines = {name: create_async_engine(db.admin_url) for name, db in security_databases.items()}
    snapshot = Snapshot(engines)
    results: dict[str, Result] = {}
    endpoints: dict[str, set[tuple[str, str]]] = defaultdict(set)
    try:
        # Connections idle for a second are not reused: the services close idle keep-alive connections after
        # 5 s (uvicorn), and a request sent on one as it closes fails with ReadError on a loaded machine.
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(keepalive_expiry=1.0)) as client:
            plan: dict[tuple[str, str, str], list[Call]] = defaultdict(list)
            for service in SERVICES:
                url = security_suite[service].url
                spec = Spec((await client.get(f"{url}/openapi.json")).json())
                for call in calls(service, url, spec, a):
                    plan[(service, call.method, call.template)].append(call)
                    endpoints[service].add((call.method, call.template))
            # A fresh tenant B per pass: the first wall alone, then both walls (production).
            charlie = await Seeder(security_suite, security_tokens, client).seed(
                "charlie", ["199105052016021007", "199105052016021008"], webhook_url=webhook_receiver,
                keys_file=api_keys_file)
            await force_rls(engines, on=False)
            try:
                results["query filters only"] = await attack(
                    client, plan, credentials(security_tokens, a, tenants.b), a, snapshot)
            finally:
                await force_rls(engines, on=True)
            results["query filters + row-level security"] = await attack(
                client, plan, credentials(security_tokens, a, charlie), a, snapshot)
    finally:
        for engine in engines.values():
            await engine.dispose()

    total = sum(sum(r.tried.values()) for r in results.values())
    successes = [s for r in results.values() for s in r.successes]
    # A's API keys live in the keys file, not in a database the snapshot covers: none was revoked.
    keys = {k.id: k for k in apikeys.load(api_keys_file)}
    successes += [f"A's API key {i} revoked" for i in a.api_key_ids if not keys[i].active]
    server_errors = sorted({e for r in results.values() for e in r.server_errors})
    FIGURES["isolation"] = {
        "cross_tenant_calls_tried": total, "succeeded": len(successes),
        "endpoints": {s: len(e) for s, e in endpoints.items()}, "credentials_per_pass": 7,
        "passes": {name: {"tried": r.tried, "status_codes": dict(sorted(r.statuses.items())),
                          "2xx_without_A_data": r.ok_without_victim_data, "succeeded": len(r.successes)}
                   for name, r in results.items()},
        "server_errors": server_errors,
    }
    lines = [f"isolation: {total} cross-tenant calls tried over {sum(map(len, endpoints.values()))} endpoints "
             f"({', '.join(f'{s} {len(e)}' for s, e in endpoints.items())}), 7 credentials of tenant B, 2 passes; "
             f"succeeded: {len(successes)}"]
    lines += [f"  {name}: tried {sum(r.tried.values())} {r.tried}, statuses {dict(sorted(r.statuses.items()))}, "
              f"succeeded {len(r.successes)}" for name, r in results.items()]
    lines += [f"  5xx (no cross-tenant success; the fuzz test owns these): {e}" for e in server_errors]
    FIGURES["isolation"]["lines"] = lines
    print("\n" + "\n".join(lines))
    assert not successes, "cross-tenant calls that read or changed A's data:\n" + "\n".join(successes[:50])
    assert all(endpoints[s] for s in SERVICES)
