"""Transactional outbox: an event row commits with the state change that caused it; the
relay (:mod:`.relay`) publishes pending rows in id order with the idempotent producer, and
parks (``parked_at``, ``park_reason``) a row Kafka will never take, so it does not hold up the
rows behind it.

:func:`stage` (one event), :func:`stage_many` (a batch of one tenant) and :func:`stage_each`
(a batch whose events have their own tenant and trace, as a consumer's batch does) are the
only way any service writes outbox rows, with a fixed number of statements per batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.contracts.envelope import TOMBSTONE, Envelope  # TOMBSTONE: the payload of a tombstone row
from services.runtime import sql, telemetry, tracing
from services.runtime.db import UTCDateTime

log = structlog.get_logger(__name__)

def define_outbox(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("topic", String(200), nullable=False),
        Column("ce_type", String(200), nullable=False),
        Column("ce_source", String(200), nullable=False),
        Column("tenant", String(100), nullable=False),
        Column("subject", String(200), nullable=False),
        Column("ce_time", UTCDateTime(), nullable=False),
        Column("traceparent", String(100)),
        Column("payload", LargeBinary, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime()),
        # A row Kafka refuses for good is parked, not retried: it leaves the queue with its reason.
        Column("parked_at", UTCDateTime()),
        Column("park_reason", String(500)),
        Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=text("published_at IS NULL"),
            sqlite_where=text("published_at IS NULL"),
        ),
    )


def add_parking_columns(batch_op: Any) -> None:
    """The migration step every service's outbox takes for parking (``outbox parked rows``)."""
    batch_op.add_column(Column("parked_at", DateTime(timezone=True), nullable=True))
    batch_op.add_column(Column("park_reason", String(length=500), nullable=True))


def drop_parking_columns(batch_op: Any) -> None:
    batch_op.drop_column("park_reason")
    batch_op.drop_column("parked_at")


def envelope_for(event: Event, *, tenant: str, source: str, traceparent: str | None = None) -> Envelope:
    """The CloudEvent of ``event``; it carries the current trace unless one is given."""
    return Envelope(
        type=event.TYPE,
        source=source,
        tenant=tenant,
        subject=event.subject(),
        data=event.model_dump_json().encode(),
        traceparent=traceparent or tracing.current(),
    )


OUTBOX_COLUMNS = ("event_id", "topic", "ce_type", "ce_source", "tenant", "subject", "ce_time", "traceparent",
                  "payload", "created_at")


@dataclass(frozen=True, slots=True)
class Encoded:
    """An event already serialised (e.g. by a payload template for many similar events):
    its class, partition subject and JSON payload, exactly what ``cls(...)`` would encode."""

    cls: type[Event]
    subject: str
    payload: bytes


async def stage(session: AsyncSession, outbox: Table | None, event: Event | Encoded, *, tenant: str, source: str,
                traceparent: str | None = None, time: datetime | None = None) -> Envelope:
    """Add one event to the outbox inside the caller's transaction (a batch of one)."""
    [envelope] = await stage_many(session, outbox, [event], tenant=tenant, source=source,
                                  traceparent=traceparent, time=time)
    return envelope


async def stage_many(session: AsyncSession, outbox: Table | None, events: Sequence[Event | Encoded], *,
                     tenant: str, source: str, traceparent: str | None = None,
                     time: datetime | None = None) -> list[Envelope]:
    """Add ``events`` of one tenant to the outbox inside the caller's transaction; they publish
    in this order. Each carries the current trace unless ``traceparent`` is given, and ``time``
    (default: now) as its CloudEvent time."""
    trace = traceparent or tracing.current()
    return await stage_each(session, outbox, [Staged(e, tenant, trace) for e in events], source=source, time=time)


@dataclass(frozen=True, slots=True)
class Staged:
    """One event to stage with its own tenant and trace (a consumer's batch spans both)."""

    event: Event | Encoded
    tenant: str
    traceparent: str | None = None


async def stage_each(session: AsyncSession, outbox: Table | None, items: Sequence[Staged], *, source: str,
                     time: datetime | None = None) -> list[Envelope]:
    """Add ``items`` to the outbox inside the caller's transaction; they publish in this order.

    Set-based: a fixed number of statements per batch (one multi-row insert, ``COPY`` for
    large batches on PostgreSQL)."""
    assert outbox is not None, "a service that stages events has an outbox table"
    if not items:
        return []
    now = datetime.now(UTC)
    staged = [(_topic(i.event), _envelope(i.event, tenant=i.tenant, source=source, traceparent=i.traceparent,
                                          time=time or now)) for i in items]
    with telemetry.staging(len(staged)):
        await sql.copy_rows(session, outbox, OUTBOX_COLUMNS, [
            (e.id, topic, e.type, e.source, e.tenant, e.subject, e.time, e.traceparent, e.data, now)
            for topic, e in staged])
    return [e for _, e in staged]


async def stage_tombstones(session: AsyncSession, outbox: Table | None, cls: type[Event], subjects: Sequence[str], *,
                           tenant: str, source: str, time: datetime | None = None) -> list[Envelope]:
    """Add a tombstone for each of ``subjects`` (keys ``<tenant>/<subject>`` of ``cls``'s compacted topic)
    inside the caller's transaction: a record without a value, so that compaction removes what the
    topic held under the key. The row's payload is empty (:data:`TOMBSTONE`); the relay publishes it
    with a null value and the CloudEvents headers of ``cls`` (consumers: :class:`.consumer.Removed`)."""
    return await stage_many(session, outbox, [Encoded(cls, s, TOMBSTONE) for s in subjects], tenant=tenant,
                            source=source, time=time)


def _topic(event: Event | Encoded) -> str:
    return event.cls.TOPIC if isinstance(event, Encoded) else event.TOPIC


def _envelope(event: Event | Encoded, *, tenant: str, source: str, traceparent: str | None,
              time: datetime) -> Envelope:
    if isinstance(event, Encoded):
        return Envelope(type=event.cls.TYPE, source=source, tenant=tenant, subject=event.subject,
                        data=event.payload, traceparent=traceparent, time=time)
    return replace(envelope_for(event, tenant=tenant, source=source, traceparent=traceparent), time=time)
