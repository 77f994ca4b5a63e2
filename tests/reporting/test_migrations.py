"""The ledger migration keeps the walking skeleton's overdue records, on PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.reporting import store
from services.reporting.app import MIGRATIONS
from services.runtime import migrations

VERSIONS = MIGRATIONS
SKELETON = "3efa765db997"


async def test_overdue_records_become_ledger_rows(pg_url: str) -> None:
    config = migrations.alembic_config(VERSIONS, pg_url, store.Base.metadata)
    await asyncio.to_thread(command.upgrade, config, SKELETON)
    engine = create_async_engine(pg_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO units (tenant, id, name, effective_sector) "
                                    "VALUES ('banten', 'dinkes', 'Dinas Kesehatan', 'critical')"))
            await conn.execute(text(
                "INSERT INTO overdue (tenant, nip, day, window_id, unit_id, status, deadline) VALUES "
                "('banten', '198001012005011001', '2026-03-10', 'apel', 'dinkes', 'missing', "
                "'2026-03-10T00:45:00+00:00'), "
                "('banten', '198001012005011002', '2026-03-10', 'apel', 'bkd', 'late', '2026-03-10T00:45:00+00:00')"))
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT nip, sector, status, overdue FROM expectations ORDER BY nip"))).all()
        assert [tuple(r) for r in rows] == [("198001012005011001", "critical", "missing", True),
                                            ("198001012005011002", "non_essential", "late", True)]
        await asyncio.to_thread(command.downgrade, config, SKELETON)
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT nip, status FROM overdue ORDER BY nip"))).all()
        assert [tuple(r) for r in back] == [("198001012005011001", "missing"), ("198001012005011002", "late")]
    finally:
        await engine.dispose()
