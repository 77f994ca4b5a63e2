"""Kafka subscribers of the policy service: every ``checkin.received`` gets its verdict, and every
``privacy.location_read`` (a read of coordinates in another service) its row in the access log.

Guarantee: each check-in is judged (:func:`.evaluator.judge_all`, a batch at a time) and its
``checkin.evaluated`` staged in the outbox inside the consumer's transaction, together with
the inbox rows, so a redelivered event is judged and published once; each verdict carries
its check-in's ``traceparent`` on. A watermark mark is recorded in the same transaction as the
verdicts before it (:mod:`.marks`). A location read is appended once (its ``read_id`` is the row's
key) under the tenant of its envelope (:mod:`.access_log`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.contracts.events import CheckinReceived, LocationRead
from services.contracts.marks import CheckinsReceivedMark
from services.policy import access_log, marks
from services.policy.evaluator import judge_all
from services.runtime import outbox
from services.runtime.consumer import Batched, Decoded, Handler
from services.runtime.service import ServiceRuntime


async def on_checkins_received(rt: ServiceRuntime, session: AsyncSession, batch: Sequence[Decoded]) -> None:
    verdicts = await judge_all(session, [(d.envelope.tenant, d.event) for d in batch])  # type: ignore[misc]
    await outbox.stage_each(session, rt.outbox, [
        outbox.Staged(verdict, d.envelope.tenant, d.envelope.traceparent)
        for d, verdict in zip(batch, verdicts, strict=True)], source=rt.source)


async def on_location_reads(session: AsyncSession, batch: Sequence[Decoded]) -> None:
    await access_log.record_many(session, [(d.envelope.tenant, d.event) for d in batch])  # type: ignore[misc]


def subscriptions(rt: ServiceRuntime) -> dict[type[Event], Handler | Batched]:
    """What the ``evaluator`` consumer group handles (the runtime bound with :func:`functools.partial`)."""
    return {CheckinReceived: Batched(partial(on_checkins_received, rt)), CheckinsReceivedMark: marks.remember,
            LocationRead: Batched(on_location_reads)}
