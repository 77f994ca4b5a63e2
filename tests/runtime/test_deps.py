"""Module-level routes reach the runtime and the caller through services.runtime.deps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy import MetaData

from services.runtime import deps
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime
from services.runtime.settings import load_settings
from tests.support.tokens import Tokens

router = APIRouter()


@router.get("/whoami")
async def whoami(rt: deps.Runtime,
                 principal: Annotated[Principal, Depends(deps.role("unit_head"))]) -> dict[str, str | None]:
    return {"service": rt.settings.service, "tenant": principal.tenant}


@router.get("/anyone")
async def anyone(principal: deps.Caller) -> dict[str, list[str]]:
    return {"roles": sorted(principal.roles)}


def _client(tmp_path: Path, keys: tuple[Path, Path]) -> TestClient:
    settings = load_settings("deps-test", 0).model_copy(update={
        "database_url": f"sqlite+aiosqlite:///{tmp_path}/db.sqlite",
        "jwt_jwks_file": keys[1]})
    rt = ServiceRuntime(settings, MetaData(), tmp_path)
    app = rt.app(title="t", description="t")
    app.include_router(router)
    return TestClient(app)  # no lifespan: routes only


def test_a_module_level_route_gets_the_runtime_and_the_tenant(tmp_path: Path, dev_keys: tuple[Path, Path]) -> None:
    client, tokens = _client(tmp_path, dev_keys), Tokens(dev_keys[0])
    reply = client.get("/whoami", headers=tokens.headers(tenant="t1", roles=["unit_head"]))
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"service": "deps-test", "tenant": "t1"}


def test_a_role_dependency_refuses_a_caller_without_the_role(tmp_path: Path, dev_keys: tuple[Path, Path]) -> None:
    client, tokens = _client(tmp_path, dev_keys), Tokens(dev_keys[0])
    reply = client.get("/whoami", headers=tokens.headers(tenant="t1", roles=["employee"]))
    assert reply.status_code == 403
    assert reply.json()["detail"][0]["type"] == "role_required"


def test_the_caller_dependency_needs_credentials_but_no_role(tmp_path: Path, dev_keys: tuple[Path, Path]) -> None:
    client, tokens = _client(tmp_path, dev_keys), Tokens(dev_keys[0])
    assert client.get("/anyone").status_code == 401
    reply = client.get("/anyone", headers=tokens.headers(tenant="t1", roles=["employee"]))
    assert reply.json() == {"roles": ["employee"]}
