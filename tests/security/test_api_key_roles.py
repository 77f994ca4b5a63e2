"""An API key belongs to one tenant: it never holds a role that reads across tenants
(``national_viewer``, ``platform_admin``). Creating one is refused, by the library and by
``hadir apikey create``; a key row that holds one anyway (written by hand or by an older
version) is refused when presented, so it neither reads the national view nor escapes
row-level security."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from services.runtime import apikeys
from services.runtime.roles import CROSS_TENANT_ROLES
from tests.security.apps import build
from tools.cli import app as cli


@pytest.mark.parametrize("role", sorted(CROSS_TENANT_ROLES))
def test_creating_a_key_with_a_cross_tenant_role_is_refused(tmp_path: Path, role: str) -> None:
    path = tmp_path / "api-keys.json"
    with pytest.raises(apikeys.ApiKeyError, match=f"reads across tenants: {role}"):
        apikeys.create(path, tenant="bekasi", roles=("integrator", role))
    assert apikeys.load(path) == []

    created = CliRunner().invoke(cli, ["apikey", "create", "--tenant", "bekasi", "--role", role,
                                       "--var-dir", str(tmp_path)], env={"HADIR_API_KEYS_FILE": str(path)})
    assert created.exit_code != 0 and "reads across tenants" in created.output, created.output
    assert apikeys.load(path) == []


async def test_a_stored_key_with_a_national_role_is_refused_when_presented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "api-keys.json"
    monkeypatch.setenv("HADIR_API_KEYS_FILE", str(path))
    national, national_secret = apikeys.create(path, tenant="bekasi", roles=("integrator",))
    tenant_key, tenant_secret = apikeys.create(path, tenant="bekasi", roles=("tenant_admin",))
    stored = json.loads(path.read_text())
    for row in stored["keys"]:  # as an older version (or a hand edit) left it
        if row["id"] == national.id:
            row["roles"] = ["national_viewer"]
    path.write_text(json.dumps(stored))

    built = build("reporting", tmp_path, kafka_bootstrap_servers="127.0.0.1:1")
    async with built.app.router.lifespan_context(built.app):
        transport = httpx.ASGITransport(app=built.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reporting") as client:
            params = {"date": date(2026, 3, 10).isoformat()}
            refused = await client.get("/v1/reports/national", params=params, headers={"X-API-Key": national_secret})
            assert refused.status_code == 401, refused.text
            other = await client.get("/v1/reports/national", params=params, headers={"X-API-Key": tenant_secret})
            assert other.status_code == 403, other.text  # a tenant role: authenticated, not national
    store = apikeys.ApiKeyStore(path)
    assert store.verify(national_secret) is None
    assert store.verify(tenant_secret) == tenant_key  # the other keys still work
