"""The SQL helper and the outbox's staging on SQLite (PostgreSQL runs them in the service tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.contracts.events import ReportOverdue
from services.runtime import db, outbox, sql

metadata = MetaData()
things = Table("things", metadata, Column("k", String(10), primary_key=True), Column("v", Integer),
               Column("note", String(20)))
box = outbox.define_outbox(metadata)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = db.make_engine(f"sqlite+aiosqlite:///{tmp_path / 'sql.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield db.make_sessions(engine)
    await engine.dispose()


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, int, str | None]]:
    async with sessions() as session:
        return [tuple(r) for r in (await session.execute(select(things).order_by(things.c.k))).all()]


async def test_insert_ignore_returns_only_what_went_in(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        assert await sql.insert_ignore(session, things, [{"k": "a", "v": 1}], things.c.k) == ["a"]
        again = await sql.insert_ignore(session, things, [{"k": "a", "v": 9}, {"k": "b", "v": 2}], things.c.k,
                                        keys=["k"])
    assert again == ["b"]
    assert await rows(sessions) == [("a", 1, None), ("b", 2, None)]


async def test_upsert_overwrites_every_other_column_or_the_ones_named(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await sql.upsert(session, things, [{"k": "a", "v": 1, "note": "x"}], ["k"])
        await sql.upsert(session, things, [{"k": "a", "v": 2, "note": "y"}], ["k"])
        await sql.upsert(session, things, [{"k": "a", "v": 3, "note": "z"}], ["k"], update=["v"])
    assert await rows(sessions) == [("a", 3, "y")]


async def test_insert_rows_in_chunks_and_copy_rows(sessions: async_sessionmaker[AsyncSession]) -> None:
    many = [{"k": f"{i:05}", "v": i, "note": None} for i in range(sql.SQLITE_CHUNK * 2 + 7)]
    async with sessions() as session, session.begin():
        await sql.insert_rows(session, things, many)
        await sql.insert_rows(session, things, many[:3], ignore_conflicts=True)
        await sql.copy_rows(session, things, ("k", "v", "note"), [("zz", 1, "c")])
    found = await rows(sessions)
    assert len(found) == len(many) + 1 and found[-1] == ("zz", 1, "c")


async def test_one_and_many_events_are_staged_with_the_same_row_layout(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    event = ReportOverdue(employee_id="198503122010011003", unit_id="bkd", local_date="2026-03-02",  # type: ignore[arg-type]
                          window_id="apel", window_name="Apel", deadline="2026-03-02T01:00:00Z",  # type: ignore[arg-type]
                          timezone="Asia/Jakarta")
    encoded = outbox.Encoded(ReportOverdue, event.subject(), event.model_dump_json().encode())
    async with sessions() as session, session.begin():
        one = await outbox.stage(session, box, event, tenant="t", source="/s", traceparent="00-a-b-01")
        many = await outbox.stage_many(session, box, [event, encoded], tenant="t", source="/s")
    async with sessions() as session:
        staged = (await session.execute(select(box).order_by(box.c.id))).all()
    assert [r.event_id for r in staged] == [one.id] + [e.id for e in many]
    assert {(r.topic, r.ce_type, r.tenant, r.subject, r.payload) for r in staged} == {
        (ReportOverdue.TOPIC, ReportOverdue.TYPE, "t", event.subject(), event.model_dump_json().encode())}
    assert staged[0].traceparent == "00-a-b-01" and all(r.published_at is None for r in staged)
