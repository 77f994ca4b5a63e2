"""The policy service in-process on real PostgreSQL and Kafka, for the API tests.

One service instance per test session (startup runs the migrations and joins
Kafka); every test uses its own tenant, so tests do not see each other's data.
The consumer group gets a unique name so that other policy instances on the same
broker (the end-to-end suite) do not share its partitions.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.policy import store
from services.policy.app import build
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings
from tests.support import infra
from tests.support.tokens import Tokens
from tools.seed import Seeder


@dataclass
class PolicyService:
    app: FastAPI
    rt: ServiceRuntime
    client: httpx.AsyncClient
    tokens: Tokens

    async def outbox(self, tenant: str, ce_type: str | None = None) -> list[dict[str, Any]]:
        """Payloads staged for ``tenant`` (optionally of one type), oldest first."""
        table = store.outbox
        query = select(table.c.ce_type, table.c.payload).where(table.c.tenant == tenant).order_by(table.c.id)
        if ce_type is not None:
            query = query.where(table.c.ce_type == ce_type)
        async with self.rt.sessions() as session:
            rows = (await session.execute(query)).all()
        return [json.loads(r.payload) for r in rows]

    async def outbox_count(self, tenant: str) -> int:
        async with self.rt.sessions() as session:
            return int(await session.scalar(
                select(func.count()).select_from(store.outbox).where(store.outbox.c.tenant == tenant)) or 0)


@pytest.fixture(scope="session")
async def policy(postgres_server: infra.PostgresServer, kafka_bootstrap: str,
                 dev_keys: tuple[Path, Path]) -> AsyncIterator[PolicyService]:
    url = await postgres_server.create_database("hadir_policy_api")
    settings = Settings(
        service=f"policy-test-{uuid.uuid4().hex[:6]}", database_url=url, kafka_bootstrap_servers=kafka_bootstrap,
        jwt_jwks_file=dev_keys[1], outbox_poll_seconds=0.2, log_level="WARNING",
    )
    app, rt = build(settings, scheduler_seconds=0.5)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://policy.test", timeout=60) as client:
            yield PolicyService(app, rt, client, Tokens(dev_keys[0]))


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


def nip_for(i: int, *, born: date = date(1975, 1, 1), gender: int = 1) -> str:
    """A valid NIP, different for every ``i`` below 999 * 3650."""
    birth = born + timedelta(days=i // 999)
    return f"{birth:%Y%m%d}{birth.year + 25:04d}{(i % 12) + 1:02d}{gender}{i % 999 + 1:03d}"


async def setup_tenant(svc: PolicyService, tenant: str, tz: str = "Asia/Jakarta", *,
                       national_days: bool = True) -> dict[str, str]:
    """Create ``tenant`` through the shared seeding client; returns its administrator's headers.
    ``national_days=False``: a calendar without national days and cuti bersama, for tests whose days
    come from today's date (every weekday the letter lists is then a working day)."""
    admin = svc.tokens.admin(tenant)
    seeder = Seeder(svc.client, str(svc.client.base_url), admin)
    await seeder.tenant("Pemerintah Provinsi Uji", tz, national_days=national_days)
    return admin
