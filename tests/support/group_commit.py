"""Making a group commit's groups form deterministically: every worker is held busy with a
job of its own until the block ends, so the jobs queued inside the block wait together and
the first worker set free takes them as one group. No sleeps, no timing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime.group_commit import GroupCommit


@asynccontextmanager
async def workers_held(gc: GroupCommit) -> AsyncIterator[None]:
    """Hold each of ``gc``'s workers with a job (one at a time: a held worker cannot take the
    next, an idle one does) until the block ends; then let the holders commit."""
    release = asyncio.Event()
    holders: list[asyncio.Task[None]] = []

    for _ in range(gc.workers):
        started = asyncio.Event()

        async def hold(_: AsyncSession, started: asyncio.Event = started) -> None:
            started.set()
            await release.wait()

        holders.append(asyncio.create_task(gc.run(None, hold)))
        await started.wait()
    try:
        yield
    finally:
        release.set()
        await asyncio.gather(*holders)
