"""The check-in service in process (its real app, lifespan, consumers and outbox relay)
on real Kafka and PostgreSQL, reached through httpx's ASGI transport.

One instance (``checkin``) serves the tests of this package; each test works in a tenant
of its own, on a broker of the package's own (``kafka_bootstrap`` below): services that
other packages start stay subscribed to the session broker and would judge these check-ins.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.checkin.app import build
from services.checkin.store import (
    Checkin,
    DirectoryEmployee,
    DirectoryTenant,
    PolicyVersion,
    outbox,
    read_models_changed,
)
from services.checkin.submission import Result, Submission
from services.runtime.group_commit import GroupCommit
from services.runtime.service import ServiceRuntime
from services.runtime.settings import load_settings
from tests.support import infra
from tests.support.tokens import Tokens

UNIT = "bkd"


def nip(n: int) -> str:
    """A well-formed 18-digit NIP (born 1990-01-01, appointed 2015-03, male, number n)."""
    return f"199001012015031{n:03d}"


def new_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@dataclass
class CheckinService:
    """A running check-in service and helpers to seed and inspect its database."""

    rt: ServiceRuntime
    client: httpx.AsyncClient
    tokens: Tokens
    acceptance: GroupCommit[Submission, Result]

    # --- tokens -------------------------------------------------------------------

    def employee(self, tenant: str, nip_: str, unit: str = UNIT) -> dict[str, str]:
        return self.tokens.employee(tenant, nip_, unit)

    def head(self, tenant: str, unit: str, nip_: str | None = None) -> dict[str, str]:
        return self.tokens.headers(tenant=tenant, roles=["unit_head"], nip=nip_, unit=unit,
                                   subject=f"head-{unit}")

    # --- read models written directly (tests that are not about events) ----------

    async def seed_employees(self, tenant: str, nips: Sequence[str], *, unit: str = UNIT, active: bool = True,
                             timezone: str | None = None) -> None:
        async with self.rt.sessions() as session, session.begin():
            if timezone is not None:
                await session.merge(DirectoryTenant(id=tenant, timezone=timezone))
            for n in nips:
                await session.merge(DirectoryEmployee(tenant=tenant, nip=n, name=f"Pegawai {n[-3:]}",
                                                      unit_id=unit, active=active, is_unit_head=False))
            await read_models_changed(session)  # as the service's own consumer does

    async def seed_policy(self, tenant: str, *, limit_hours: int, valid_from: date, version: int = 1,
                          valid_until: date | None = None, effective_at: datetime | None = None) -> None:
        async with self.rt.sessions() as session, session.begin():
            await session.merge(PolicyVersion(
                tenant=tenant, policy_id="800-1-bkd-2026", version=version, number="800/1-BKD/2026",
                valid_from=valid_from, valid_until=valid_until,
                effective_at=effective_at or datetime(2000, 1, 1, tzinfo=UTC),
                timezone="Asia/Jakarta", late_submission_limit_hours=limit_hours))
            await read_models_changed(session)

    # --- inspection ------------------------------------------------------------------

    async def rows(self, tenant: str) -> list[Checkin]:
        async with self.rt.sessions() as session:
            return list((await session.scalars(
                select(Checkin).where(Checkin.tenant == tenant).order_by(Checkin.received_at))).all())

    async def outbox_rows(self, tenant: str) -> list[Any]:
        async with self.rt.sessions() as session:
            return list((await session.execute(
                select(outbox).where(outbox.c.tenant == tenant).order_by(outbox.c.id))).all())

    async def pending(self) -> int:
        async with self.rt.sessions() as session:
            return int(await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))) or 0)

    async def backlog_gauge(self) -> float:
        text = (await self.client.get("/metrics")).text
        line = next(x for x in text.splitlines() if x.startswith("hadir_outbox_backlog "))
        return float(line.split()[1])


@asynccontextmanager
async def running_checkin(database_url: str, bootstrap: str, jwks: Path, tokens: Tokens,
                          **overrides: Any) -> AsyncIterator[CheckinService]:
    """Start the service (migrations, Kafka connection, consumers, relay) and stop it after."""
    settings = load_settings(
        f"checkin-test-{uuid.uuid4().hex[:8]}", 0, database_url=database_url, kafka_bootstrap_servers=bootstrap,
        jwt_jwks_file=jwks, outbox_poll_seconds=0.1, log_level="WARNING", **overrides,
    )
    app, rt = build(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://checkin", timeout=30) as client:
            yield CheckinService(rt, client, tokens, app.state.acceptance)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """A broker of the check-in tests' own. Services started by other packages (the policy API
    tests', the end-to-end suite's) stay subscribed to the session broker until the session ends;
    in a random order they would judge these check-ins before the tests' own verdicts arrive."""
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


@pytest.fixture(scope="session")
async def checkin(postgres_server: infra.PostgresServer, kafka_bootstrap: str, dev_keys: tuple[Path, Path],
                  tokens: Tokens) -> AsyncIterator[CheckinService]:
    url = await postgres_server.create_database("checkin")
    async with running_checkin(url, kafka_bootstrap, dev_keys[1], tokens) as service:
        yield service
