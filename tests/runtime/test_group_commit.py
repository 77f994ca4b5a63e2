"""Group commit (services.runtime.group_commit) on real PostgreSQL and on SQLite: jobs queued
together share one transaction, a failing job is rolled back alone, a failed commit fails
its group and stores nothing, row-level security confines each job of a mixed group, a
caller that went away has its job skipped.

Groups form deterministically: the workers are held busy (tests.support.group_commit) while
the jobs queue, so no test depends on timing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import HTTPException
from prometheus_client import CollectorRegistry
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import registry

from services.runtime import db, rls
from services.runtime.group_commit import GroupCommit, GroupCommitClosed
from services.runtime.metrics import RuntimeMetrics
from tests.security import conftest as security
from tests.support import infra
from tests.support.group_commit import workers_held

pytestmark = pytest.mark.infra

# The security suite's fixtures: a fresh database owned by an ordinary role (no SUPERUSER, no
# BYPASSRLS), so that row-level security applies to what runs as that role.
app_role = security.app_role
owned_database = security.owned_database

METADATA = MetaData()
NOTES = Table(
    "gc_notes", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(40), nullable=False),
    Column("body", String(100), nullable=False, unique=True),
)
PARENTS = Table("gc_parents", METADATA, Column("id", Integer, primary_key=True))
CHILDREN = Table(
    "gc_children", METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Checked at commit, not at the insert: a job can leave a violation that only the commit finds.
    Column("parent_id", Integer, ForeignKey("gc_parents.id", deferrable=True, initially="DEFERRED"), nullable=False),
)



class Note:
    """``gc_notes`` as an ORM class: a row loaded by one job sits in the session's identity map."""

    id: int
    tenant: str
    body: str


registry().map_imperatively(Note, NOTES)

Job = tuple[str | None, Callable[[AsyncSession], Awaitable[Any]]]


@dataclass
class Store:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    metrics: RuntimeMetrics

    def group_commit(self, workers: int = 1) -> GroupCommit:
        return GroupCommit(self.sessions, workers=workers, metrics=self.metrics)

    async def bodies(self) -> set[str]:
        async with self.engine.connect() as conn:
            return set((await conn.scalars(select(NOTES.c.body))).all())

    async def children(self) -> int:
        async with self.engine.connect() as conn:
            return len((await conn.scalars(select(CHILDREN.c.id))).all())

    def metric(self, name: str) -> float:
        return self.metrics.registry.get_sample_value(name) or 0.0


async def open_store(url: str) -> Store:
    engine = db.make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    return Store(engine, db.make_sessions(engine), RuntimeMetrics(CollectorRegistry()))


@pytest.fixture(params=["postgresql", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "postgresql":
        server: infra.PostgresServer = request.getfixturevalue("postgres_server")
        url = await server.create_database("gc")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path}/gc.db"
    opened = await open_store(url)
    try:
        yield opened
    finally:
        await opened.engine.dispose()


@pytest.fixture
async def closing() -> AsyncIterator[list[GroupCommit]]:
    """Group commits a test opens, closed after it."""
    opened: list[GroupCommit] = []
    yield opened
    for gc in opened:
        await gc.close()


def note(tenant: str | None, body: str) -> Callable[[AsyncSession], Awaitable[int]]:
    """A job that inserts a note and answers its id."""

    async def work(session: AsyncSession) -> int:
        return int((await session.execute(insert(NOTES).values(tenant=tenant or "-", body=body)
                                          .returning(NOTES.c.id))).scalar_one())

    return work


def failing(error: Exception, body: str) -> Callable[[AsyncSession], Awaitable[None]]:
    """A job that inserts a note, then raises ``error``."""

    async def work(session: AsyncSession) -> None:
        await note(None, body)(session)
        raise error

    return work


async def queue(gc: GroupCommit, jobs: Sequence[Job]) -> list[asyncio.Task[Any]]:
    """Submit ``jobs`` (each by a caller of its own) and return once all of them wait in the queue."""
    callers = [asyncio.create_task(gc.run(tenant, work)) for tenant, work in jobs]
    for _ in range(100):  # each caller queues its job in its first step
        if gc.queued == len(jobs):
            break
        await asyncio.sleep(0)
    assert gc.queued == len(jobs)
    return callers


async def outcomes(callers: Sequence[asyncio.Task[Any]]) -> list[Any]:
    return await asyncio.gather(*callers, return_exceptions=True)


def count_commits(engine: AsyncEngine) -> list[int]:
    commits = [0]

    @event.listens_for(engine.sync_engine, "commit")
    def committed(_: Any) -> None:
        commits[0] += 1

    return commits


# --- one transaction per group ----------------------------------------------------------


async def test_jobs_queued_together_commit_once_and_each_caller_gets_its_own_result(
        store: Store, closing: list[GroupCommit]) -> None:
    gc = store.group_commit()
    closing.append(gc)
    commits = count_commits(store.engine)
    async with workers_held(gc):
        callers = await queue(gc, [(f"t{i}", note(f"t{i}", f"note {i}")) for i in range(5)])
    ids = await outcomes(callers)

    assert commits[0] == 2, "the holder's group and the five queued jobs' group"
    assert store.metric("hadir_group_commit_size_count") == 2
    assert store.metric("hadir_group_commit_size_sum") == 6
    async with store.engine.connect() as conn:
        stored = dict((await conn.execute(select(NOTES.c.id, NOTES.c.body))).all())
    assert [stored[i] for i in ids] == [f"note {i}" for i in range(5)], "each caller gets its own row's id"


async def test_a_lone_job_commits_without_waiting_for_company(store: Store, closing: list[GroupCommit]) -> None:
    gc = store.group_commit(workers=2)
    closing.append(gc)
    assert await gc.run("t", note("t", "alone")) > 0
    assert await store.bodies() == {"alone"}
    assert store.metric("hadir_group_commit_size_sum") == 1


# --- a failing job ----------------------------------------------------------------------


async def test_a_job_that_raises_is_rolled_back_alone(store: Store, closing: list[GroupCommit]) -> None:
    gc = store.group_commit()
    closing.append(gc)
    forbidden = HTTPException(403, "not yours")
    async with workers_held(gc):
        callers = await queue(gc, [
            ("t", note("t", "a")),
            ("t", failing(forbidden, "b")),
            ("t", note("t", "a")),  # unique violation: the database refuses the statement
            ("t", note("t", "d")),
        ])
    first, second, duplicate, last = await outcomes(callers)

    assert isinstance(first, int) and isinstance(last, int)
    assert second is forbidden, "the caller gets its own exception (a 403 stays a 403)"
    assert isinstance(duplicate, IntegrityError)
    assert await store.bodies() == {"a", "d"}
    assert store.metric("hadir_group_commit_failures_total") == 0


# --- a failing group --------------------------------------------------------------------


async def orphan(session: AsyncSession) -> str:
    """Inserts a child of a parent that does not exist: only the commit notices."""
    await session.execute(insert(CHILDREN).values(parent_id=404))
    return "inserted"


async def test_a_failed_commit_fails_the_group_and_stores_nothing(store: Store,
                                                                   closing: list[GroupCommit]) -> None:
    gc = store.group_commit()
    closing.append(gc)
    own = ValueError("invalid on its own")
    async with workers_held(gc):
        callers = await queue(gc, [("t", note("t", "x")), ("t", orphan), ("t", failing(own, "y"))])
    innocent, guilty, failed_alone = await outcomes(callers)

    assert isinstance(innocent, IntegrityError) and innocent is guilty, "both get the commit's error"
    assert failed_alone is own, "a job that failed on its own keeps its own error"
    assert await store.bodies() == set() and await store.children() == 0
    assert store.metric("hadir_group_commit_failures_total") == 1

    assert isinstance(await gc.run("t", note("t", "after")), int), "the next group works"
    assert await store.bodies() == {"after"}


async def test_an_unreachable_database_fails_every_job_before_any_runs(closing: list[GroupCommit]) -> None:
    dead = db.make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/gone")
    metrics = RuntimeMetrics(CollectorRegistry())
    ran: list[str] = []

    async def work(_: AsyncSession) -> None:
        ran.append("ran")

    gc = GroupCommit(db.make_sessions(dead), workers=1, metrics=metrics)
    closing.append(gc)
    try:
        first, second = await outcomes(await queue(gc, [("t", work), ("u", work)]))
    finally:
        await dead.dispose()
    assert isinstance(first, OSError | DBAPIError) and first is second
    assert ran == []
    assert metrics.registry.get_sample_value("hadir_group_commit_failures_total") == 1


# --- callers that went away, and closing ---------------------------------------------------


async def test_a_cancelled_waiting_caller_has_its_job_skipped(store: Store, closing: list[GroupCommit]) -> None:
    gc = store.group_commit()
    closing.append(gc)
    async with workers_held(gc):
        first, gone, last = await queue(gc, [("t", note("t", "a")), ("t", note("t", "b")), ("t", note("t", "c"))])
        gone.cancel()
    assert [type(o) for o in await outcomes([first, gone, last])] == [int, asyncio.CancelledError, int]
    assert await store.bodies() == {"a", "c"}


async def test_a_caller_cancelled_while_its_job_runs_leaves_the_worker_working(
        store: Store, closing: list[GroupCommit]) -> None:
    gc = store.group_commit()
    closing.append(gc)
    started, carry_on = asyncio.Event(), asyncio.Event()

    async def slow(session: AsyncSession) -> int:
        started.set()
        await carry_on.wait()
        return await note("t", "started")(session)

    caller = asyncio.create_task(gc.run("t", slow))
    await started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    carry_on.set()
    async with asyncio.timeout(30):  # a worker that crashed on the cancelled future would never answer
        await gc.run("t", note("t", "next"))
    assert await store.bodies() == {"started", "next"}, "a started job commits with its group"


async def test_close_runs_what_is_queued_then_refuses_jobs(store: Store) -> None:
    gc = store.group_commit()
    async with workers_held(gc):
        [queued] = await queue(gc, [("t", note("t", "queued"))])
        closed = asyncio.create_task(gc.close())
        await asyncio.sleep(0)
        assert not closed.done()
    await closed
    assert isinstance(await queued, int)
    assert await store.bodies() == {"queued"}
    with pytest.raises(GroupCommitClosed):
        await gc.run("t", note("t", "late"))


# --- row-level security -------------------------------------------------------------------


async def test_row_level_security_confines_each_job_of_a_mixed_group(owned_database: Any,
                                                                       closing: list[GroupCommit]) -> None:
    database: security.Database = await owned_database("gc_rls")
    store = await open_store(database.app_url)  # an ordinary role: row-level security applies
    try:
        async with store.engine.begin() as conn:
            assert await conn.run_sync(rls.install) == ["gc_notes"]
            await conn.execute(insert(NOTES), [{"tenant": "a", "body": "a1"}, {"tenant": "b", "body": "b1"}])
        gc = store.group_commit()
        closing.append(gc)

        async def visible(session: AsyncSession) -> set[str]:
            return set((await session.scalars(select(NOTES.c.body))).all())  # no tenant filter

        async def by_id(session: AsyncSession) -> Note | None:  # by primary key: the identity map first
            return await session.get(Note, a1)  # (returned: kept alive, so kept in the identity map)

        async with store.sessions() as session:
            a1 = await session.scalar(select(NOTES.c.id).where(NOTES.c.body == "a1"))

        async with workers_held(gc):
            callers = await queue(gc, [
                ("b", visible), ("a", visible), ("a", note("b", "planted by a")),
                (None, visible), ("b", note("b", "b2")), ("b", visible), ("a", by_id), ("b", by_id),
            ])
        b_sees, a_sees, planted, background_sees, b_wrote, b_sees_after, a_gets, b_gets = await outcomes(callers)
    finally:
        await store.engine.dispose()

    assert b_sees == {"b1"} and a_sees == {"a1"}
    assert isinstance(planted, DBAPIError) and "row-level security" in str(planted), planted
    assert background_sees == {"a1", "b1"}, "a job of no tenant sees every tenant, as background work does"
    assert isinstance(b_wrote, int) and b_sees_after == {"b1", "b2"}
    assert a_gets.body == "a1" and b_gets is None, "a row a's job loaded is not handed to b's job from the session"
