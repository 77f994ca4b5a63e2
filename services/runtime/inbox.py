"""Inbox: the ids of events a consumer group has applied, written in the same
transaction as the effect, so a redelivered event is applied once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Column, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime import sql
from services.runtime.db import UTCDateTime


def define_inbox(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer_group", String(100), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("processed_at", UTCDateTime(), nullable=False),
    )


async def claim(
    session: AsyncSession, inbox: Table, group: str, event_ids: Sequence[str]
) -> set[str]:
    """Record the ids; return those seen for the first time (the ones to apply)."""
    if not event_ids:
        return set()
    now = datetime.now(UTC)
    rows = [{"consumer_group": group, "event_id": i, "processed_at": now} for i in dict.fromkeys(event_ids)]
    return set(await sql.insert_ignore(session, inbox, rows, inbox.c.event_id))
