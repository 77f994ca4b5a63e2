"""Making a group commit's groups form deterministically: every worker is held busy with an
item of its own until the block ends, so the items submitted inside the block wait together
and the first worker set free takes them as one group. No sleeps, no timing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.runtime.group_commit import GroupCommit


class _Hold:
    """An item that keeps its worker until released (answered None, nothing written)."""

    def __init__(self, release: asyncio.Event) -> None:
        self.started = asyncio.Event()
        self.release = release


@asynccontextmanager
async def workers_held(gc: GroupCommit[Any, Any]) -> AsyncIterator[None]:
    """Hold each of ``gc``'s workers with an item (one at a time: a held worker cannot take the
    next, an idle one does) until the block ends; then let the holders commit."""
    release = asyncio.Event()
    apply = gc._apply

    async def holding(session: AsyncSession, items: Sequence[Any]) -> Sequence[Any]:
        if items and all(isinstance(i, _Hold) for i in items):
            for item in items:
                item.started.set()
            await release.wait()
            return [None] * len(items)
        return await apply(session, items)

    gc._apply = holding
    holders: list[asyncio.Task[Any]] = []
    try:
        for _ in range(gc.workers):
            hold = _Hold(release)
            holders.append(asyncio.create_task(gc.submit(hold)))
            await hold.started.wait()
        yield
    finally:
        release.set()
        await asyncio.gather(*holders)
        gc._apply = apply
