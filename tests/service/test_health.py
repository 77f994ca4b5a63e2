"""Every service's /healthz, /readyz and /metrics, against a real broker and a dead one."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from services.runtime.settings import load_settings
from tests.support.waiting import eventually

SERVICES = ("checkin", "policy", "notify", "reporting")


@asynccontextmanager
async def running(service: str, tmp_path: Path, bootstrap: str) -> AsyncIterator[httpx.AsyncClient]:
    module = importlib.import_module(f"services.{service}.app")
    settings = load_settings(service, 0, kafka_bootstrap_servers=bootstrap,
                             database_url=f"sqlite+aiosqlite:///{tmp_path / service}.db",
                             var_dir=tmp_path, log_json=True)
    app, _rt = module.build(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            yield client


@pytest.mark.parametrize("service", SERVICES)
async def test_ready_with_kafka_and_database(service: str, tmp_path: Path, kafka_bootstrap: str) -> None:
    async with running(service, tmp_path, kafka_bootstrap) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}

        async def ready() -> dict | None:
            response = await client.get("/readyz")
            return response.json() if response.status_code == 200 else None

        body = await eventually(ready, timeout=60, what=f"{service} ready")
        assert body["checks"] == {"database": "ok", "kafka": "ok"}
        metrics = (await client.get("/metrics")).text
        assert "hadir_outbox_backlog" in metrics
        assert "hadir_http_requests_total" in metrics


async def test_not_ready_while_kafka_is_unreachable(tmp_path: Path) -> None:
    async with running("checkin", tmp_path, "127.0.0.1:1") as client:
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == "ok"
        assert response.json()["checks"]["kafka"] != "ok"


async def test_protected_endpoints_need_a_token(tmp_path: Path) -> None:
    async with running("policy", tmp_path, "127.0.0.1:1") as client:
        response = await client.put("/v1/tenant", json={"name": "x", "kind": "city", "timezone": "Asia/Jakarta"})
        assert response.status_code == 401
        assert "Bearer" in response.headers.get("www-authenticate", "")
