"""Watermark marks sent by the outbox relay (what a mark means: :mod:`services.contracts.marks`).

A service that stamps a topic gives its relay a :class:`MarkSource`. In a relay round the
source is read *before* the round reads its outbox rows, so every row committed before the
source's facts is among the rows that round (or an earlier one) published. When the round
found the outbox caught up (fewer rows than a batch) and Kafka has acknowledged all of them,
the marks are sent, one to every partition of the source's topic.

Guarantee: on each partition a mark follows every record the relay published before it. At
most one mark round per ``interval`` seconds; a mark that cannot be sent is dropped, not
retried (the next one supersedes it), and never delays the outbox's own rows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.contracts.marks import MARK_TENANT

log = structlog.get_logger(__name__)

MarkFor = Callable[[int, int], Event]  # (partition, partitions) -> the mark to put on that partition
SendToPartition = Callable[[str, Envelope, int], Awaitable["asyncio.Future[Any]"]]  # (topic, event, partition)


class MarkSource(Protocol):
    """What a service's relay stamps its topic with."""

    topic: str

    async def read(self, session: AsyncSession) -> Sequence[MarkFor]:
        """The marks due now, read in the relay round's transaction before its rows."""
        ...


class Stamping:
    """A relay's marks: the source, how often, and how to reach every partition of its topic."""

    def __init__(self, source: MarkSource, send: SendToPartition, partitions: Callable[[str], Awaitable[int]], *,
                 ce_source: str, interval: float, timeout: float) -> None:
        self.source, self._send, self._partitions = source, send, partitions
        self._ce_source, self._interval, self._timeout = ce_source, interval, timeout
        self._count: int | None = None
        self._last = -float("inf")

    async def read(self, session: AsyncSession) -> Sequence[MarkFor]:
        """The source's marks if a mark round is due (at most one per interval), else none."""
        now = time.monotonic()
        if now - self._last < self._interval:
            return ()
        self._last = now
        return await self.source.read(session)

    async def send(self, marks: Sequence[MarkFor]) -> int:
        if self._count is None:
            self._count = await self._partitions(self.source.topic)
        return await send_marks(marks, self.source.topic, self._count, self._send, source=self._ce_source,
                                timeout=self._timeout)


async def send_marks(marks: Sequence[MarkFor], topic: str, partitions: int, send: SendToPartition, *,
                     source: str, timeout: float) -> int:
    """Send each mark to every partition and wait for Kafka; returns how many were acknowledged."""
    futures = []
    try:
        async with asyncio.timeout(timeout):
            for mark in marks:
                for partition in range(partitions):
                    event = mark(partition, partitions)
                    envelope = Envelope(type=event.TYPE, source=source, tenant=MARK_TENANT, subject=event.subject(),
                                        data=event.model_dump_json().encode())
                    futures.append(await send(topic, envelope, partition))
            await asyncio.gather(*futures)
    except Exception as exc:  # Kafka slow or down: the next round sends newer marks
        log.warning("watermark marks not sent", topic=topic, error=repr(exc))
        return sum(1 for f in futures if f.done() and not f.cancelled() and f.exception() is None)
    return len(futures)
