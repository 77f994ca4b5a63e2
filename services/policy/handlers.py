"""Kafka subscribers of the policy service: every ``checkin.received`` gets its verdict.

Guarantee: each check-in is judged (:func:`.evaluator.judge_all`, a batch at a time) and its
``checkin.evaluated`` staged in the outbox inside the consumer's transaction, together with
the inbox rows, so a redelivered event is judged and published once; each verdict carries
its check-in's ``traceparent`` on. A watermark mark is recorded in the same transaction as the
verdicts before it (:mod:`.marks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.contracts.events import CheckinReceived
from services.contracts.marks import CheckinsReceivedMark
from services.policy import marks
from services.policy.evaluator import judge_all
from services.runtime import outbox
from services.runtime.consumer import Batched, Decoded, Handler
from services.runtime.service import ServiceRuntime


async def on_checkins_received(rt: ServiceRuntime, session: AsyncSession, batch: Sequence[Decoded]) -> None:
    verdicts = await judge_all(session, [(d.envelope.tenant, d.event) for d in batch])  # type: ignore[misc]
    await outbox.stage_each(session, rt.outbox, [
        outbox.Staged(verdict, d.envelope.tenant, d.envelope.traceparent)
        for d, verdict in zip(batch, verdicts, strict=True)], source=rt.source)


def subscriptions(rt: ServiceRuntime) -> dict[type[Event], Handler | Batched]:
    """What the ``evaluator`` consumer group handles (the runtime bound with :func:`functools.partial`)."""
    return {CheckinReceived: Batched(partial(on_checkins_received, rt)), CheckinsReceivedMark: marks.remember}
