"""Group commit: concurrent jobs (e.g. one per request) share one database transaction, so
a burst of small writes costs a few commits instead of one each.

Guarantee: a caller gets its job's result only once the job's effects are committed, and a
caller that gets an error has nothing of its job stored (but for a commit whose answer the
connection lost, as with any transaction). A job runs in its own savepoint: one that raises
is rolled back alone and its caller gets its own exception, its neighbours unaffected. The
group commits once. When the transaction or its commit fails (a database gone, a deferred
constraint), nothing of the group is stored and every job that had succeeded in it gets that
error (a job that failed on its own keeps its own). Row-level security holds per job: each
job's statements are confined to its tenant (:func:`services.runtime.rls.confine`), and each
job starts with an empty identity map, so a row loaded for one tenant is never handed to
another without the database's check. A job runs in a copy of its caller's context (its
language, trace and logging context).

Natural batching, no gathering delay: a job is queued; an idle worker takes every queued job
(up to ``max_jobs``) as one group; while groups run, new jobs queue up. Groups therefore grow
only under load, and a lone job starts at once. ``workers`` groups run at a time, each on a
connection of its own. A caller that goes away before its job started (cancelled) has it
skipped; once started, a job runs and commits with its group. The queue holds what callers
await, so it is bounded by their number (the HTTP server's concurrency).

A job receives a session already in a transaction: it must not begin or commit, nor call
:meth:`GroupCommit.run` itself.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime import db, rls
from services.runtime.metrics import RuntimeMetrics

log = structlog.get_logger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]

MAX_WORKERS = 32
MAX_JOBS = 5000


class GroupCommitClosed(RuntimeError):
    """The group commit was closed (the service is stopping) before the job could run."""


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: hashed by identity
class _Job:
    tenant: str | None
    work: Work
    context: contextvars.Context
    future: asyncio.Future[Any]

    async def call(self, session: AsyncSession) -> Any:
        return await self.work(session)


@dataclass(frozen=True, slots=True)
class _Outcome:
    value: Any = None
    error: Exception | None = None


class GroupCommit:
    """``await run(tenant, work)``: run ``work(session)`` in a shared transaction, return its
    result once committed. Workers start on first use in the running loop; ``close()`` them."""

    def __init__(self, sessions: Callable[[], AsyncSession], *, workers: int = 4, max_jobs: int = 200,
                 metrics: RuntimeMetrics) -> None:
        if not 1 <= workers <= MAX_WORKERS:
            raise ValueError(f"workers must be 1..{MAX_WORKERS}, not {workers}")
        if not 1 <= max_jobs <= MAX_JOBS:
            raise ValueError(f"max_jobs must be 1..{MAX_JOBS}, not {max_jobs}")
        self._sessions = sessions
        self.workers = workers
        self._max_jobs = max_jobs
        self._metrics = metrics
        self._queue: deque[_Job] = deque()
        self._arrived = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    @property
    def queued(self) -> int:
        """Jobs waiting for a worker."""
        return len(self._queue)

    async def run(self, tenant: str | None, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in a savepoint of a group's transaction, confined to ``tenant`` (None:
        every tenant); its result once the group committed, or its exception."""
        if self._closed:
            raise GroupCommitClosed("group commit is closed")
        loop = asyncio.get_running_loop()
        self._start(loop)
        job = _Job(tenant, work, contextvars.copy_context(), loop.create_future())
        self._queue.append(job)
        self._arrived.set()
        result: T = await job.future  # cancelled with its caller: the job is skipped if not started
        return result

    async def close(self, grace: float = 5.0) -> None:
        """Take no more jobs; let the workers finish what is queued for at most ``grace``
        seconds, then cancel them. A job that did not run gets :class:`GroupCommitClosed`."""
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
            _fail(self._queue.popleft().future, GroupCommitClosed("group commit closed before the job ran"))

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
                try:
                    await self._commit(group)
                finally:  # cancelled (closing): nobody is left waiting for ever
                    for job in group:
                        _fail(job.future, GroupCommitClosed("group commit closed while the job ran"))
                continue
            if self._closed:
                return
            self._arrived.clear()
            await self._arrived.wait()

    def _take(self) -> list[_Job]:
        group: list[_Job] = []
        while self._queue and len(group) < self._max_jobs:
            job = self._queue.popleft()
            if not job.future.done():  # a caller gone before its job started: skipped
                group.append(job)
        return group

    async def _commit(self, group: list[_Job]) -> None:
        self._metrics.group_commit_size.observe(len(group))
        outcomes: list[tuple[_Job, _Outcome]] = []
        try:
            async with self._sessions() as session, session.begin():
                await db.begin_now(session)
                for job in group:
                    if not job.future.done():
                        outcomes.append((job, await self._run_job(session, job)))
        except Exception as exc:  # the transaction or its commit failed: nothing of the group is stored
            self._metrics.group_commit_failures.inc()
            log.warning("group commit failed", jobs=len(group), error=repr(exc))
            own = {job: outcome.error for job, outcome in outcomes if outcome.error is not None}
            for job in group:
                _fail(job.future, own.get(job) or exc)
            return
        for job, outcome in outcomes:
            if outcome.error is not None:
                _fail(job.future, outcome.error)
            elif not job.future.done():
                job.future.set_result(outcome.value)

    async def _run_job(self, session: AsyncSession, job: _Job) -> _Outcome:
        session.expunge_all()  # nothing loaded for an earlier job (maybe another tenant's) is reused
        try:
            async with session.begin_nested():
                await rls.confine(session, job.tenant)
                value = await asyncio.create_task(job.call(session), context=job.context)
        except Exception as exc:  # rolled back to the savepoint: this job alone
            return _Outcome(error=exc)
        return _Outcome(value=value)


def _fail(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
