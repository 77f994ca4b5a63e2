"""Group commit (services.runtime.group_commit) on real PostgreSQL and on SQLite: items queued
together are applied set-based in one transaction, an item the database refuses fails alone
(the group is applied again in halves), a failed commit is isolated the same way, a database
that cannot be reached fails the group at once, a caller that went away has its item skipped,
and ``apply`` runs unbound to the callers' tenants (row-level security is its own to set).

Groups form deterministically: the workers are held busy (tests.support.group_commit) while
the items queue, so no test depends on timing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

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



@dataclass(frozen=True)
class Item:
    """What a test submits: a note to insert (``body``), an orphan child (only the commit
    notices), or a look at the notes visible to ``apply`` (``look``)."""

    tenant: str = "t"
    body: str | None = None
    orphan: bool = False
    look: bool = False
    wait: asyncio.Event | None = field(default=None, compare=False)
    started: asyncio.Event | None = field(default=None, compare=False)


async def apply(session: AsyncSession, items: Sequence[Item]) -> list[Any]:
    """Set-based: every note of the group in one multi-row insert; each answered by its row id."""
    for item in items:
        if item.started is not None:
            item.started.set()
        if item.wait is not None:
            await item.wait.wait()
    results: list[Any] = [None] * len(items)
    notes = [(i, item) for i, item in enumerate(items) if item.body is not None]
    if notes:
        ids = (await session.execute(insert(NOTES).returning(NOTES.c.id, NOTES.c.body, sort_by_parameter_order=True),
                                     [{"tenant": item.tenant, "body": item.body} for _, item in notes])).all()
        for (i, _), (row_id, _) in zip(notes, ids, strict=True):
            results[i] = row_id
    if any(item.orphan for item in items):
        await session.execute(insert(CHILDREN).values(parent_id=404))
    for i, item in enumerate(items):
        if item.look:
            results[i] = set((await session.scalars(select(NOTES.c.body))).all())
    return results


@dataclass
class Store:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    metrics: RuntimeMetrics

    def group_commit(self, workers: int = 1) -> GroupCommit[Item, Any]:
        return GroupCommit(self.sessions, apply, workers=workers, metrics=self.metrics)

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
async def closing() -> AsyncIterator[list[GroupCommit[Item, Any]]]:
    """Group commits a test opens, closed after it."""
    opened: list[GroupCommit[Item, Any]] = []
    yield opened
    for gc in opened:
        await gc.close()


async def queue(gc: GroupCommit[Item, Any], items: Sequence[Item]) -> list[asyncio.Task[Any]]:
    """Submit ``items`` (each by a caller of its own) and return once all of them wait in the queue."""
    callers = [asyncio.create_task(gc.submit(item)) for item in items]
    for _ in range(100):  # each caller queues its item in its first step
        if gc.queued == len(items):
            break
        await asyncio.sleep(0)
    assert gc.queued == len(items)
    return callers


async def outcomes(callers: Sequence[asyncio.Task[Any]]) -> list[Any]:
    return await asyncio.gather(*callers, return_exceptions=True)


def count_commits(engine: AsyncEngine) -> list[int]:
    commits = [0]

    @event.listens_for(engine.sync_engine, "commit")
    def committed(_: Any) -> None:
        commits[0] += 1

    return commits


Closing = list[GroupCommit[Item, Any]]


# --- one transaction per group ----------------------------------------------------------


async def test_items_queued_together_commit_once_and_each_caller_gets_its_own_result(
        store: Store, closing: Closing) -> None:
    gc = store.group_commit()
    closing.append(gc)
    commits = count_commits(store.engine)
    async with workers_held(gc):
        callers = await queue(gc, [Item(f"t{i}", f"note {i}") for i in range(5)])
    ids = await outcomes(callers)

    assert commits[0] == 2, "the holder's group and the five queued items' group"
    assert store.metric("hadir_group_commit_size_count") == 2
    assert store.metric("hadir_group_commit_size_sum") == 6
    async with store.engine.connect() as conn:
        stored = dict((await conn.execute(select(NOTES.c.id, NOTES.c.body))).all())
    assert [stored[i] for i in ids] == [f"note {i}" for i in range(5)], "each caller gets its own row's id"


async def test_a_lone_item_commits_without_waiting_for_company(store: Store, closing: Closing) -> None:
    gc = store.group_commit(workers=2)
    closing.append(gc)
    assert await gc.submit(Item(body="alone")) > 0
    assert await store.bodies() == {"alone"}
    assert store.metric("hadir_group_commit_size_sum") == 1


# --- an item the database refuses ----------------------------------------------------------


async def test_an_item_the_database_refuses_fails_alone(store: Store, closing: Closing) -> None:
    gc = store.group_commit()
    closing.append(gc)
    async with workers_held(gc):
        callers = await queue(gc, [Item(body="a"), Item(body="b"), Item(body="a"), Item(body="d")])
    first, second, duplicate, last = await outcomes(callers)

    assert all(isinstance(o, int) for o in (first, second, last)), (first, second, last)
    assert isinstance(duplicate, IntegrityError), "a unique violation: the database refuses the statement"
    assert await store.bodies() == {"a", "b", "d"}
    # the group of four, its second half [a, d] (a is taken by the first half), then that half's [a]
    assert store.metric("hadir_group_commit_failures_total") == 3


async def test_a_commit_the_database_refuses_is_isolated_too(store: Store, closing: Closing) -> None:
    gc = store.group_commit()
    closing.append(gc)
    async with workers_held(gc):
        callers = await queue(gc, [Item(body="x"), Item(orphan=True), Item(body="y")])
    innocent, guilty, other = await outcomes(callers)

    assert isinstance(guilty, IntegrityError), "the deferred foreign key fails the orphan's commit"
    assert isinstance(innocent, int) and isinstance(other, int)
    assert await store.bodies() == {"x", "y"} and await store.children() == 0
    assert isinstance(await gc.submit(Item(body="after")), int), "the next group works"


async def test_an_unreachable_database_fails_every_item_at_once(closing: Closing) -> None:
    dead = db.make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/gone")
    metrics = RuntimeMetrics(CollectorRegistry())
    ran: list[int] = []

    async def counting(session: AsyncSession, items: Sequence[Item]) -> list[Any]:
        ran.append(len(items))
        return await apply(session, items)

    gc = GroupCommit(db.make_sessions(dead), counting, workers=1, metrics=metrics)
    closing.append(gc)
    try:
        first, second = await outcomes(await queue(gc, [Item("t", "a"), Item("u", "b")]))
    finally:
        await dead.dispose()
    assert isinstance(first, OSError | DBAPIError) and first is second
    assert ran == [], "nothing is applied without a connection"
    assert metrics.registry.get_sample_value("hadir_group_commit_failures_total") == 1, "not retried in halves"


# --- callers that went away, and closing ---------------------------------------------------


async def test_a_cancelled_waiting_caller_has_its_item_skipped(store: Store, closing: Closing) -> None:
    gc = store.group_commit()
    closing.append(gc)
    async with workers_held(gc):
        first, gone, last = await queue(gc, [Item(body="a"), Item(body="b"), Item(body="c")])
        gone.cancel()
    assert [type(o) for o in await outcomes([first, gone, last])] == [int, asyncio.CancelledError, int]
    assert await store.bodies() == {"a", "c"}


async def test_a_caller_cancelled_while_its_group_runs_leaves_the_worker_working(
        store: Store, closing: Closing) -> None:
    gc = store.group_commit()
    closing.append(gc)
    started, carry_on = asyncio.Event(), asyncio.Event()
    caller = asyncio.create_task(gc.submit(Item(body="started", wait=carry_on, started=started)))
    await started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    carry_on.set()
    async with asyncio.timeout(30):  # a worker that crashed on the cancelled future would never answer
        await gc.submit(Item(body="next"))
    assert await store.bodies() == {"started", "next"}, "a started item commits with its group"


async def test_close_applies_what_is_queued_then_refuses_items(store: Store) -> None:
    gc = store.group_commit()
    async with workers_held(gc):
        [queued] = await queue(gc, [Item(body="queued")])
        closed = asyncio.create_task(gc.close())
        await asyncio.sleep(0)
        assert not closed.done()
    await closed
    assert isinstance(await queued, int)
    assert await store.bodies() == {"queued"}
    with pytest.raises(GroupCommitClosed):
        await gc.submit(Item(body="late"))


# --- row-level security -------------------------------------------------------------------


async def test_apply_runs_bound_to_no_caller_and_confines_what_it_writes(owned_database: Any,
                                                                          closing: Closing) -> None:
    database: security.Database = await owned_database("gc_rls")
    store = await open_store(database.app_url)  # an ordinary role: row-level security applies
    try:
        async with store.engine.begin() as conn:
            assert await conn.run_sync(rls.install) == ["gc_notes"]
            await conn.execute(insert(NOTES), [{"tenant": "a", "body": "a1"}, {"tenant": "b", "body": "b1"}])

        async def confined(session: AsyncSession, items: Sequence[Item]) -> list[Any]:
            await rls.confine(session, "b")
            return await apply(session, items)

        gc = GroupCommit(store.sessions, apply, workers=1, metrics=store.metrics)
        strict = GroupCommit(store.sessions, confined, workers=1, metrics=store.metrics)
        closing += [gc, strict]
        rls.bind("a")  # the caller's own scope: not the worker's
        try:
            seen = await gc.submit(Item(look=True))
            planted = await outcomes([asyncio.create_task(strict.submit(Item("a", "planted by b's part")))])
        finally:
            rls.bind(None)
    finally:
        await store.engine.dispose()

    assert seen == {"a1", "b1"}, "apply sees every tenant, as background work does, whoever submitted"
    assert isinstance(planted[0], DBAPIError) and "row-level security" in str(planted[0]), planted
