"""The migration that moves contact details out of the recipients keeps them, on PostgreSQL:
policy publishes contacts only when they change, so what notify held before is all it has."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.notify import store
from services.runtime import migrations

VERSIONS = Path(store.__file__).parent / "migrations"
BEFORE = "6216eb595b4e"  # privacy columns: recipients still hold email and phone


async def test_contact_details_move_to_their_own_table_and_back(pg_url: str) -> None:
    config = migrations.alembic_config(VERSIONS, pg_url, store.Base.metadata)
    await asyncio.to_thread(command.upgrade, config, BEFORE)
    engine = create_async_engine(pg_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO recipients (tenant, nip, name, unit_id, email, phone) VALUES "
                "('banten', '198001012005011001', 'Siti', 'bkd', 'siti@banten.go.id', NULL), "
                "('banten', '198001012005011002', 'Budi', 'bkd', NULL, '0812-1111-2222'), "
                "('banten', '198001012005011003', 'Eko', 'bkd', NULL, NULL)"))
        await asyncio.to_thread(command.upgrade, config, "head")
        async with engine.connect() as conn:
            moved = (await conn.execute(text("SELECT nip, email, phone FROM contacts ORDER BY nip"))).all()
            columns = (await conn.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'recipients'"))).scalars().all()
        assert [tuple(r) for r in moved] == [("198001012005011001", "siti@banten.go.id", None),
                                             ("198001012005011002", None, "0812-1111-2222")]
        assert "email" not in columns and "phone" not in columns, "the details live in one place"

        await asyncio.to_thread(command.downgrade, config, BEFORE)
        async with engine.connect() as conn:
            back = (await conn.execute(text("SELECT nip, email, phone FROM recipients ORDER BY nip"))).all()
        assert [tuple(r) for r in back] == [("198001012005011001", "siti@banten.go.id", None),
                                            ("198001012005011002", None, "0812-1111-2222"),
                                            ("198001012005011003", None, None)]
    finally:
        await engine.dispose()
