"""Watermark marks through the policy service (meaning: :mod:`services.contracts.marks`).

The evaluator's consumer records each partition's latest ``checkin.received`` mark
(:func:`remember`) in the transaction that also holds the verdicts on everything before it;
the relay (:class:`EvaluatedMarks`) reads those rows before its own outbox rows and, once the
verdicts are published, forwards each as a mark on every partition of ``checkin.evaluated``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import topics
from services.contracts.envelope import Envelope
from services.contracts.marks import CheckinsEvaluatedMark, CheckinsReceivedMark
from services.policy.store import ReceivedMark
from services.runtime import sql
from services.runtime.marks import MarkFor


async def remember(session: AsyncSession, envelope: Envelope, mark: CheckinsReceivedMark) -> None:
    """Keep the partition's latest mark (a mark older than the stored one changes nothing)."""
    await sql.upsert(session, ReceivedMark.__table__, [
        {"partition": mark.partition, "partitions": mark.partitions, "accepted_until": mark.accepted_until}],
        ("partition",), keep_newer="accepted_until")


class EvaluatedMarks:
    topic = topics.CHECKIN_EVALUATED

    async def read(self, session: AsyncSession) -> Sequence[MarkFor]:
        return [partial(_forwarded, row) for row in await session.scalars(select(ReceivedMark))]


def _forwarded(row: ReceivedMark, partition: int, partitions: int) -> CheckinsEvaluatedMark:
    return CheckinsEvaluatedMark(partition=partition, partitions=partitions, source_partition=row.partition,
                                 source_partitions=row.partitions, accepted_until=row.accepted_until)
