"""Kafka subscribers of the policy service: every ``checkin.received`` gets its verdict.

Guarantee: each check-in is judged (:func:`.evaluator.judge`) and its ``checkin.evaluated``
staged in the outbox inside the consumer's transaction, together with the inbox row, so
a redelivered event is judged and published once; the event carries the check-in's
``traceparent`` on.
"""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.contracts.events import CheckinReceived
from services.policy.evaluator import judge
from services.runtime import outbox
from services.runtime.consumer import Handler
from services.runtime.service import ServiceRuntime


async def on_checkin_received(rt: ServiceRuntime, session: AsyncSession, envelope: Envelope,
                              event: CheckinReceived) -> None:
    verdict = await judge(session, envelope.tenant, event)
    await outbox.stage(session, rt.outbox, verdict, tenant=envelope.tenant, source=rt.source,
                       traceparent=envelope.traceparent)


def subscriptions(rt: ServiceRuntime) -> dict[type[Event], Handler]:
    """What the ``evaluator`` consumer group handles (the runtime bound with :func:`functools.partial`)."""
    return {CheckinReceived: partial(on_checkin_received, rt)}
