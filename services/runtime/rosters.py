"""A consumer's copy of the units' rosters: ``roster.published`` applied in the consumer's
transaction as :mod:`services.contracts.rules.rosters` decides.

:func:`define_roster_tables` gives a service its two tables: ``roster_days``, the entry of
each (employee, day) with the revision that wrote it, and ``roster_chunks``, the chunks of
``range`` revisions applied (which ranges newer generations replaced, and whether all of a
generation is in). :func:`apply` costs a fixed number of statements per event, whatever its
size, and returns what changed, so a service can act on it (notify moves its reminders).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Date, Index, Integer, MetaData, String, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import RosterAssignment, RosterPublished
from services.contracts.rules import rosters
from services.contracts.rules.rosters import ChunkSeen, Entry
from services.runtime import sql


@dataclass(frozen=True)
class RosterTables:
    days: Table
    chunks: Table


def define_roster_tables(metadata: MetaData) -> RosterTables:
    days = Table(
        "roster_days", metadata,
        Column("tenant", String(100), primary_key=True),
        Column("nip", String(18), primary_key=True),
        Column("day", Date, primary_key=True),
        Column("mode", String(3), nullable=False),
        Column("unit_id", String(100)),
        Column("revision", BigInteger, nullable=False, server_default="0"),
        Index("ix_roster_days_unit", "tenant", "unit_id", "day"),
    )
    chunks = Table(
        "roster_chunks", metadata,
        Column("tenant", String(100), primary_key=True),
        Column("unit_id", String(100), primary_key=True),
        Column("revision", BigInteger, primary_key=True, autoincrement=False),
        Column("chunk", Integer, primary_key=True, autoincrement=False),
        Column("start", Date, nullable=False),
        Column("end", Date, nullable=False),
    )
    return RosterTables(days, chunks)


@dataclass(frozen=True)
class Applied:
    written: dict[Entry, RosterAssignment]  # entries the event wrote
    dropped: list[Entry]  # entries its range no longer has (once all its chunks are in)


async def apply(session: AsyncSession, tables: RosterTables, tenant: str, event: RosterPublished) -> Applied:
    d, c = tables.days.c, tables.chunks.c
    if event.replaces == "range":
        await sql.insert_ignore(session, tables.chunks, [{
            "tenant": tenant, "unit_id": event.unit_id, "revision": event.revision, "chunk": event.chunk,
            "start": event.start, "end": event.end}], c.chunk)
    seen = (await session.execute(select(c.revision, c.start, c.end).where(
        c.tenant == tenant, c.unit_id == event.unit_id, c.revision >= event.revision,
        c.start <= event.end, c.end >= event.start))).all()
    held: dict[Entry, int] = {}
    if event.assignments:
        nips, days = sorted({a.employee_id for a in event.assignments}), [a.date for a in event.assignments]
        held = {(r.nip, r.day): r.revision for r in await session.execute(select(d.nip, d.day, d.revision).where(
            d.tenant == tenant, sql.among(session, d.nip, nips), d.day >= min(days), d.day <= max(days)))}
    decided = rosters.outcome(event, held, [ChunkSeen(r.revision, r.start, r.end) for r in seen])
    # keep_newer: an entry a concurrent transaction wrote at a higher revision since the read stays
    await sql.upsert(session, tables.days, [
        {"tenant": tenant, "nip": nip, "day": day, "mode": a.mode, "unit_id": event.unit_id,
         "revision": event.revision} for (nip, day), a in sorted(decided.write.items())],
        ("tenant", "nip", "day"), keep_newer="revision")
    dropped: list[Entry] = []
    if (drop := decided.drop) is not None:
        dropped = [(r.nip, r.day) for r in await session.execute(delete(tables.days).where(
            d.tenant == tenant, d.unit_id == drop.unit_id, d.day >= drop.start, d.day <= drop.end,
            d.revision < drop.below).returning(d.nip, d.day))]
    return Applied(decided.write, dropped)
