"""Group commit: concurrent submissions (e.g. one per request) are applied together, set-based,
in one database transaction, so a burst of small writes costs a few statements and one commit
instead of a dozen statements and a commit each.

Guarantee: a caller gets its item's result only once the group's effects are committed, and a
caller that gets an error has nothing of its item stored (but for a commit whose answer the
connection lost, as with any transaction). ``apply(session, items)`` is called once per group
and answers one result per item, in order; an item it refuses is answered by a result that
says so (it writes nothing for it), never by an exception. When the group's transaction fails
(a statement the database refuses, a deferred constraint at commit), nothing of the group is
stored and the group is split in halves, each applied again in a transaction of its own, down
to single items: one bad item fails alone with its own error, its neighbours are stored. A
database that cannot be reached fails the whole group at once (retryable: nothing stored).

``apply`` runs in the worker's context, not the callers': it returns data, and each caller
turns its result into words in its own context (its language). It receives a session already
in a transaction, bound to no tenant (it sees every tenant, as background work does): each
row it reads or writes is keyed by the tenant its own item carries (taken by the caller from
its credentials), as a consumer keys each record of a batch. It must not begin or commit.

Natural batching, no gathering delay: an item is queued; an idle worker takes every queued item
(up to ``max_jobs``) as one group; while groups run, new items queue up. Groups therefore grow
only under load, and a lone item is applied at once. ``workers`` groups run at a time, each on a
connection of its own. A caller that goes away before its item was taken (cancelled) has it
skipped; once taken, an item is applied and committed with its group. The queue holds what
callers await, so it is bounded by their number (the HTTP server's concurrency).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime import db
from services.runtime.metrics import RuntimeMetrics

log = structlog.get_logger(__name__)

I = TypeVar("I")  # noqa: E741 — an item
R = TypeVar("R")
Apply = Callable[[AsyncSession, Sequence[I]], Awaitable[Sequence[R]]]

MAX_WORKERS = 32
MAX_JOBS = 5000
# The database is not there (or not answering): applying the items one by one cannot help.
UNREACHABLE = (OperationalError, InterfaceError, PoolTimeoutError, OSError, TimeoutError)


class GroupCommitClosed(RuntimeError):
    """The group commit was closed (the service is stopping) before the item could be applied."""


@dataclass(frozen=True, slots=True, eq=False)
class _Job(Generic[I]):
    item: I
    future: asyncio.Future[Any]


class GroupCommit(Generic[I, R]):
    """``await submit(item)``: the item's result from ``apply``, once its group committed. Workers
    start on first use in the running loop; ``close()`` them."""

    def __init__(self, sessions: Callable[[], AsyncSession], apply: Apply[I, R], *, workers: int = 4,
                 max_jobs: int = 200, metrics: RuntimeMetrics) -> None:
        if not 1 <= workers <= MAX_WORKERS:
            raise ValueError(f"workers must be 1..{MAX_WORKERS}, not {workers}")
        if not 1 <= max_jobs <= MAX_JOBS:
            raise ValueError(f"max_jobs must be 1..{MAX_JOBS}, not {max_jobs}")
        self._sessions = sessions
        self._apply = apply
        self.workers = workers
        self._max_jobs = max_jobs
        self._metrics = metrics
        self._queue: deque[_Job[I]] = deque()
        self._arrived = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @property
    def queued(self) -> int:
        """Items waiting for a worker."""
        return len(self._queue)

    async def submit(self, item: I) -> R:
        """Apply ``item`` with the others queued beside it; its result once committed, or the
        error that kept it from being stored."""
        if self._closed:
            raise GroupCommitClosed("group commit is closed")
        loop = asyncio.get_running_loop()
        self._start(loop)
        job: _Job[I] = _Job(item, loop.create_future())
        self._queue.append(job)
        self._arrived.set()
        result: R = await job.future  # cancelled with its caller: the item is skipped if not taken
        return result

    async def close(self, grace: float = 5.0) -> None:
        """Take no more items; let the workers finish what is queued for at most ``grace``
        seconds, then cancel them. An item that was not applied gets :class:`GroupCommitClosed`."""
        self._closed = True
        if self._loop is not asyncio.get_running_loop():  # unused here (what ran on another loop died with it)
            self._queue.clear()
            return
        self._arrived.set()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=grace)
        while self._queue:
            _fail(self._queue.popleft().future, GroupCommitClosed("group commit closed before the item was applied"))

    # --- workers -------------------------------------------------------------

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            return
        self._loop = loop  # a first use, or a new event loop (the old one's workers are gone)
        self._arrived = asyncio.Event()
        self._queue.clear()
        # An empty context: a worker's transaction must not inherit the first caller's tenant.
        self._tasks = [loop.create_task(self._work(), name=f"group-commit-{i}", context=contextvars.Context())
                       for i in range(self.workers)]

    async def _work(self) -> None:
        while True:
            group = self._take()
            if group:
                self._metrics.group_commit_size.observe(len(group))
                try:
                    await self._commit(group)
                finally:  # cancelled (closing): nobody is left waiting for ever
                    for job in group:
                        _fail(job.future, GroupCommitClosed("group commit closed while the item was applied"))
                continue
            if self._closed:
                return
            self._arrived.clear()
            await self._arrived.wait()

    def _take(self) -> list[_Job[I]]:
        group: list[_Job[I]] = []
        while self._queue and len(group) < self._max_jobs:
            job = self._queue.popleft()
            if not job.future.done():  # a caller gone before its item was taken: skipped
                group.append(job)
        return group

    async def _commit(self, group: list[_Job[I]]) -> None:
        try:
            async with self._sessions() as session, session.begin():
                await db.begin_now(session)
                results = await self._apply(session, [job.item for job in group])
                if len(results) != len(group):
                    raise RuntimeError(f"apply answered {len(results)} results for {len(group)} items")
        except Exception as exc:  # nothing of the group is stored
            self._metrics.group_commit_failures.inc()
            if len(group) > 1 and not _unreachable(exc):
                log.info("group commit failed; applying its halves apart", items=len(group), error=repr(exc))
                half = len(group) // 2
                await self._commit(group[:half])
                await self._commit(group[half:])
                return
            log.warning("group commit failed", items=len(group), error=repr(exc))
            for job in group:
                _fail(job.future, exc)
            return
        for job, result in zip(group, results, strict=True):
            if not job.future.done():
                job.future.set_result(result)


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, UNREACHABLE)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
