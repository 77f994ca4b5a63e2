"""Helpers of the retention tests (services.runtime.retention) on real PostgreSQL: a service's job
built twice on one database, as two replicas would run it, and every row of a table as PostgreSQL
prints it, so that untouched rows are compared byte for byte."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime import migrations
from services.runtime.retention import Retention, Run
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings

Build = Callable[[Settings], tuple[FastAPI, ServiceRuntime]]


async def replicas(build: Build, settings: Settings, metadata: MetaData, versions: Path,
                   count: int = 2) -> list[tuple[ServiceRuntime, Retention]]:
    """``count`` instances of a service built on one migrated database (not started: no Kafka), each
    with its retention job (``app.state.retention``), as replicas of one deployment."""
    await migrations.upgrade_async(versions, settings.database_url, metadata)
    built = [build(settings) for _ in range(count)]
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
