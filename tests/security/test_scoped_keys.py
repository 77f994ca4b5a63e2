"""Integrator keys over the API, on the running suite (real PostgreSQL and Kafka, four services).

A tenant admin creates a scoped key on policy: its secret is in that answer only; the list
holds no secret and no hash; another tenant neither lists nor revokes it; a revocation holds at
the next request on another service. A key with ``reports:read`` and ``exports:read`` reaches
exactly the routes :mod:`services.runtime.scopes` gives those scopes, on every service, as each
service's OpenAPI document lists its routes: 200 there, 403 everywhere else (writes included).
The platform operator creates a tenant (201, then 409 for the same id, 422 for a bad body), the
tenant reaches the other services as ``PUT /v1/tenant`` would publish it, and its first admin
key works.
"""

from __future__ import annotations

import uuid
from collections import Counter

import httpx

from services.runtime.auth import PUBLIC_PATHS
from services.runtime.scopes import SCOPES
from tests.security.barrage import Call, Spec, calls
from tests.security.conftest import SERVICES, Tenants
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools.suite import Suite

KEYS = "/v1/api-keys"


async def test_a_key_is_shown_once_listed_without_secrets_and_revoked_everywhere(
        security_suite: Suite, tenants: Tenants, security_tokens: Tokens) -> None:
    a, b = tenants.a, tenants.b
    policy, reporting = security_suite["policy"].url, security_suite["reporting"].url
    admin_a, admin_b = security_tokens.admin(a.tenant), security_tokens.admin(b.tenant)
    async with httpx.AsyncClient(timeout=30) as http:
        made = await http.post(policy + KEYS, headers=admin_a,
                               json={"description": "SIKAP tarik laporan", "scopes": ["reports:read"]})
        assert made.status_code == 201, made.text
        created = made.json()
        secret, key_id = created["key"], created["id"]
        assert secret.startswith(f"hadir_{key_id}_") and created["scopes"] == ["reports:read"]
        assert created["roles"] == ["integrator"] and created["revoked_at"] is None

        listed = await http.get(policy + KEYS, headers=admin_a, params={"limit": 1000})
        assert listed.status_code == 200, listed.text
        mine = {k["id"]: k for k in listed.json()["items"]}
        assert mine[key_id]["description"] == "SIKAP tarik laporan"
        assert secret not in listed.text and secret.rsplit("_", 1)[1] not in listed.text
        assert all("key" not in k and "sha256" not in k for k in mine.values())
        assert set(mine) >= set(a.api_key_ids) and not set(mine) & set(b.api_key_ids)

        other = await http.get(policy + KEYS, headers=admin_b, params={"limit": 1000})
        assert key_id not in other.text and not set(a.api_key_ids) & {k["id"] for k in other.json()["items"]}
        assert (await http.delete(f"{policy}{KEYS}/{key_id}", headers=admin_b)).status_code == 404

        daily = f"{reporting}/v1/reports/daily"
        reads = await http.get(daily, headers={"X-API-Key": secret}, params={"date": str(a.today)})
        assert reads.status_code == 200 and reads.json()["tenant"] == a.tenant, reads.text
        assert (await http.delete(f"{policy}{KEYS}/{key_id}", headers=admin_a)).status_code == 204
        refused = await http.get(daily, headers={"X-API-Key": secret}, params={"date": str(a.today)})
        assert refused.status_code == 401, refused.text  # the very next request, on another service
        after = {k["id"]: k for k in (await http.get(policy + KEYS, headers=admin_a,
                                                     params={"limit": 1000})).json()["items"]}
        assert after[key_id]["revoked_at"] is not None
        assert (await http.delete(f"{policy}{KEYS}/{key_id}", headers=admin_a)).status_code == 204  # idempotent


async def test_a_key_with_a_bad_scope_or_from_a_non_admin_is_refused(
        security_suite: Suite, tenants: Tenants, security_tokens: Tokens) -> None:
    a = tenants.a
    policy = security_suite["policy"].url
    admin = security_tokens.admin(a.tenant)
    async with httpx.AsyncClient(timeout=30) as http:
        for body in ({"description": "x", "scopes": ["reports:write"]}, {"description": "x", "scopes": []},
                     {"description": "", "scopes": ["reports:read"]},
                     {"description": "x", "scopes": ["reports:read"], "tenant": "other"}):
            assert (await http.post(policy + KEYS, headers=admin, json=body)).status_code == 422, body
        body = {"description": "x", "scopes": ["reports:read"]}
        head = security_tokens.headers(tenant=a.tenant, roles=["unit_head"], nip=a.nips[0], unit=a.units[0])
        assert (await http.post(policy + KEYS, headers=head, json=body)).status_code == 403
        scoped = await http.post(policy + KEYS, headers={"X-API-Key": a.scoped_key}, json=body)
        assert scoped.status_code == 403 and "scope" in scoped.text  # a key never makes keys


async def test_a_scoped_key_reaches_its_routes_and_nothing_else(
        security_suite: Suite, tenants: Tenants, security_tokens: Tokens) -> None:
    a = tenants.a
    scopes = ["exports:read", "reports:read"]
    allowed = set().union(*(SCOPES[s].routes for s in scopes))
    async with httpx.AsyncClient(timeout=60) as http:
        made = await http.post(security_suite["policy"].url + KEYS, headers=security_tokens.admin(a.tenant),
                               json={"description": "Dasbor BKD", "scopes": scopes})
        headers = {"X-API-Key": made.json()["key"]}
        first: dict[tuple[str, str, str], Call] = {}
        for service in SERVICES:
            url = security_suite[service].url
            spec = Spec((await http.get(f"{url}/openapi.json")).json())
            for call in calls(service, url, spec, a):
                if call.template not in PUBLIC_PATHS:  # probes and interface descriptions: no credentials
                    first.setdefault((service, call.method, call.template), call)
        statuses: Counter[int] = Counter()
        wrong: list[str] = []
        reached: set[tuple[str, str]] = set()
        for (service, method, template), call in sorted(first.items()):
            response = await call.send(http, headers)
            statuses[response.status_code] += 1
            if (method, template) in allowed:
                reached.add((method, template))
                if response.status_code != 200:
                    wrong.append(f"{service} {method} {template}: {response.status_code} (allowed)")
            elif response.status_code != 403:
                wrong.append(f"{service} {method} {template}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
    assert reached == allowed  # every route the scopes open is among the services' routes
    assert statuses[200] == len(allowed) and statuses[403] == len(first) - len(allowed) > 100, statuses


async def test_the_platform_operator_creates_a_tenant_once(security_suite: Suite, security_tokens: Tokens) -> None:
    policy, reporting = security_suite["policy"].url, security_suite["reporting"].url
    operator = security_tokens.headers(tenant=None, roles=["platform_admin"], subject="operator")
    tenant = f"t-delta{uuid.uuid4().hex[:8]}"
    body = {"id": tenant, "name": "Pemerintah Kabupaten Delta", "kind": "regency", "timezone": "Asia/Makassar"}
    async with httpx.AsyncClient(timeout=30) as http:
        url = f"{policy}/v1/platform/tenants"
        for bad in ({**body, "id": "Delta Kab"}, {**body, "timezone": "Europe/Berlin"}, {**body, "kind": "country"},
                    {**body, "name": ""}, {k: v for k, v in body.items() if k != "kind"}):
            assert (await http.post(url, headers=operator, json=bad)).status_code == 422, bad
        assert (await http.post(url, headers=security_tokens.admin(tenant), json=body)).status_code == 403

        made = await http.post(url, headers=operator, json={**body, "admin_key": {"description": "BKD Delta"}})
        assert made.status_code == 201, made.text
        assert made.json()["tenant"] == {**body, "retention": None, "calendar": None}
        admin_key = {"X-API-Key": made.json()["admin_key"]["key"]}
        again = await http.post(url, headers=operator, json={**body, "name": "Pemerintah Kabupaten Lain"})
        assert again.status_code == 409, again.text

        own = await http.get(f"{policy}/v1/tenant", headers=admin_key)
        assert own.status_code == 200 and own.json()["name"] == "Pemerintah Kabupaten Delta", own.text

        async def published() -> bool:
            response = await http.get(f"{reporting}/v1/reports/daily", headers=admin_key,
                                      params={"date": "2026-12-01"})
            return response.status_code == 200
        await eventually(published, timeout=120, what="reporting learns the new tenant from directory.updated")
