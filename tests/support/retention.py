"""Helpers of the retention tests (services.runtime.retention) on real PostgreSQL: a service's job
built twice on one database, as two replicas would run it, and every row of a table as PostgreSQL
prints it, so that untouched rows are compared byte for byte."""

from __future__ import annotations

import asyncio
import importlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime import migrations
from services.runtime.retention import Retention, Run
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings
from tests.support import infra


async def replicas(url: str, service: str, jwks: Path, *, count: int = 2, settings: type[Settings] = Settings,
                   **overrides: Any) -> list[tuple[ServiceRuntime, Retention]]:
    """``count`` instances of ``service`` built on the database ``url``, migrated (not started: no Kafka, no
    loop), each with its retention job (``app.state.retention``), as the replicas of one deployment."""
    package = importlib.import_module(f"services.{service}")
    metadata = importlib.import_module(f"services.{service}.store").Base.metadata
    build = importlib.import_module(f"services.{service}.app").build
    config = settings(service=f"{service}-retention-{uuid.uuid4().hex[:6]}", database_url=url, jwt_jwks_file=jwks,
                      kafka_bootstrap_servers="127.0.0.1:9", retention_interval_seconds=0, **overrides)
    await migrations.upgrade_async(Path(str(package.__file__)).parent / "migrations", url, metadata)
    built = [build(config) for _ in range(count)]
    return [(rt, app.state.retention) for app, rt in built]


async def side_by_side(jobs: Sequence[Retention], now: datetime) -> list[Run]:
    """One run of every job at once, at ``now``."""
    return list(await asyncio.gather(*(job.run_once(now) for job in jobs)))


def total(runs: Sequence[Run], kind: str) -> int:
    """Rows of ``kind`` the runs reduced between them."""
    return sum(run.reduced.get(kind, 0) for run in runs)


async def printed(session: AsyncSession, table: str, key: str) -> dict[str, str]:
    """Every row of ``table`` as PostgreSQL prints it (``row::text``), by ``key`` (a SQL expression
    over the row ``t``)."""
    rows = await session.execute(text(f"SELECT ({key})::text, t::text FROM {table} t"))  # noqa: S608 — test names
    return {k: v for k, v in rows}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    """Keys whose row differs (or is gone, or is new)."""
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


async def stop(pairs: Sequence[tuple[ServiceRuntime, Any]]) -> None:
    for rt, _ in pairs:
        await rt.engine.dispose()


def two_replicas(service: str) -> Any:
    """A fixture: two replicas of ``service`` (:func:`replicas`) on a fresh PostgreSQL database of their own."""

    @pytest.fixture
    async def two(postgres_server: infra.PostgresServer,
                  dev_keys: tuple[Path, Path]) -> AsyncIterator[list[tuple[ServiceRuntime, Retention]]]:
        pairs = await replicas(await postgres_server.create_database(f"{service}_retention"), service, dev_keys[1])
        yield pairs
        await stop(pairs)

    return two
