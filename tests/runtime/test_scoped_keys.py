"""Scoped API keys in the store and in the one admission check: a scoped key is an integrator key
with known scopes only; a keys file of an older version (no ``scopes``) still loads, its keys
unscoped; a scoped key passes only on the routes its scopes open, acting there as the scope says,
and an unscoped principal passes unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import HTTPException

from services.runtime import apikeys, scopes
from services.runtime.auth import Principal
from services.runtime.roles import CROSS_TENANT_ROLES


def test_a_scoped_key_is_an_integrator_key_with_known_scopes(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    key, secret = apikeys.create(path, tenant="banten", scopes=("reports:read", "exports:read", "reports:read"))
    assert (key.roles, key.scopes) == (("integrator",), ("exports:read", "reports:read"))
    assert apikeys.ApiKeyStore(path).verify(secret) == key
    assert secret not in path.read_text() and apikeys.digest(secret) in path.read_text()
    for bad in ((), ("reports:write",)):
        with pytest.raises(apikeys.ApiKeyError, match="scopes must be among"):
            apikeys.create(path, tenant="banten", scopes=bad)
    with pytest.raises(apikeys.ApiKeyError, match="integrator only"):
        apikeys.create(path, tenant="banten", roles=("tenant_admin",), scopes=("reports:read",))
    assert [k.id for k in apikeys.load(path)] == [key.id]


def test_revoking_within_a_tenant_finds_only_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    key, secret = apikeys.create(path, tenant="banten", scopes=("reports:read",))
    with pytest.raises(apikeys.UnknownKey):
        apikeys.revoke(path, key.id, tenant="bekasi")
    assert apikeys.ApiKeyStore(path).verify(secret) == key
    assert apikeys.revoke(path, key.id, tenant="banten").revoked_at is not None
    assert apikeys.ApiKeyStore(path).verify(secret) is None


def test_a_keys_file_without_scopes_loads_its_keys_unscoped(tmp_path: Path) -> None:
    path = tmp_path / "api-keys.json"
    path.write_text(json.dumps({"keys": [{"id": "3f9c2a1b7d40", "sha256": "0" * 64, "tenant": "banten",
                                          "roles": ["tenant_admin"], "description": "", "created_at": "",
                                          "revoked_at": None}]}))
    [key] = apikeys.load(path)
    assert key.scopes is None and key.roles == ("tenant_admin",)


def test_admission_opens_only_the_scopes_routes() -> None:
    key = Principal(subject="apikey:1", tenant="banten", roles=frozenset({"integrator"}),
                    scopes=frozenset({"reports:read"}))
    admitted = scopes.admit(key, "GET", "/v1/reports/daily")
    assert admitted.roles == {"integrator", "tenant_admin"} and admitted.tenant == "banten"
    assert scopes.admit(key, "HEAD", "/v1/reports/monthly").roles == admitted.roles
    for method, path in (("GET", "/v1/reports/daily/export"), ("PUT", "/v1/reports/daily"),
                         ("GET", "/v1/reports/national"), ("GET", "/v1/webhooks"), ("GET", None)):
        with pytest.raises(HTTPException) as refused:
            scopes.admit(key, method, path)
        assert refused.value.status_code == 403
    bearer = Principal(subject="x", tenant="banten", roles=frozenset({"tenant_admin"}))
    assert scopes.admit(bearer, "PUT", "/v1/anything") is bearer


def test_no_scope_acts_as_a_cross_tenant_role_and_every_route_is_a_path_template() -> None:
    for scope in scopes.SCOPES.values():
        assert scope.acts_as not in CROSS_TENANT_ROLES
        assert all(path.startswith("/v1/") and method in {"GET", "POST", "PATCH", "DELETE"}
                   for method, path in scope.routes)
