"""Consumers that never lose a message and apply each event once.

A batch subscriber with manual acknowledgement: records are decoded into
CloudEvents and validated against the contracts; whatever cannot be decoded goes to
the consumer's dead-letter topic with its raw bytes, the reason and the original headers
(:mod:`.dead_letters`: that path never raises and never wedges the partition); the
rest is applied in one database transaction together with the inbox rows; only
then are the offsets committed. A :class:`Batched` handler receives each run of
consecutive events of its type in one call, so it can apply them with a number of
statements that does not grow with the batch (order across types is kept).
Transient failures (database or Kafka down) are retried with capped exponential
backoff, holding the partition so order is kept.
A tombstone (a null value on a compacted topic, :mod:`services.contracts.envelope`) goes to the
handler registered under :class:`Removed` of its event type, deduplicated like any event; one
nobody registered for is skipped (logged at debug level, counted in
``hadir_tombstones_skipped_total``) and never dead-lettered.
A handler error on one event isolates it: the batch is replayed event by event
and the failing one is dead-lettered. Nothing is committed on cancellation.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage
from faststream.middlewares import AckPolicy
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.contracts import topics
from services.contracts.base import Event
from services.contracts.envelope import Envelope, EnvelopeError
from services.contracts.registry import event_class_for
from services.runtime import inbox, telemetry, tracing
from services.runtime.dead_letters import DeadLetters
from services.runtime.errors import transient_database_error
from services.runtime.kafka import publish_envelope
from services.runtime.metrics import RuntimeMetrics

log = structlog.get_logger(__name__)

Handler = Callable[[AsyncSession, Envelope, Any], Awaitable[None]]
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, OSError, TimeoutError)


def is_transient(exc: BaseException) -> bool:
    return transient_database_error(exc) or isinstance(exc, TRANSIENT)


@dataclass(frozen=True, slots=True)
class Removed:
    """The key of the handler of ``cls``'s tombstones: ``{Removed(DirectoryContact): on_contact_removed}``.

    A tombstone carries the CloudEvents headers of ``cls`` and no value: what ``cls``'s compacted
    topic held under the key (``envelope.tenant`` / ``envelope.subject``) was removed. Its handler is
    called like any other (one by one, or a :class:`Batched` one per run), with this object in place
    of the event."""

    cls: type[Event]

    @property
    def topic(self) -> str:
        return self.cls.TOPIC


HandlerKey = type[Event] | Removed  # what a handler is registered under


def topic_of(key: HandlerKey) -> str:
    return key.topic if isinstance(key, Removed) else key.TOPIC


@dataclass(frozen=True)
class Decoded:
    envelope: Envelope
    event: Event | Removed  # the validated event; for a tombstone, the Removed it is handled under

    @property
    def key(self) -> HandlerKey:
        """What its handler is registered under."""
        return self.event if isinstance(self.event, Removed) else type(self.event)


BatchHandler = Callable[[AsyncSession, Sequence[Decoded]], Awaitable[None]]


@dataclass(frozen=True)
class Batched:
    """A set-based handler: called once per run of consecutive events of its type."""

    apply: BatchHandler


# What a consumer group handles: event types, and tombstones under Removed keys.
Subscriptions = Mapping[type[Event], Handler | Batched] | Mapping[HandlerKey, Handler | Batched]


async def dispatch(session: AsyncSession, handlers: Mapping[HandlerKey, Handler | Batched],
                   items: Sequence[Decoded], group: str = "") -> None:
    """Hand ``items`` to their handlers in order: each run of consecutive events of one type in
    one call to a :class:`Batched` handler, else one by one. What a handler stages continues the
    trace of the event it answers (a batch: its first event's); logs name that event. With tracing
    on, each call runs in a ``process`` span of consumer group ``group`` (:func:`.telemetry.processing`)."""
    for kind, same in itertools.groupby(items, key=lambda i: i.key):
        run, handler = list(same), handlers[kind]
        if isinstance(handler, Batched):
            first = run[0].envelope
            with telemetry.processing(group, topic_of(kind), run) as traced:
                tracing.bind(traced or tracing.child_of(first.traceparent), ce_id=first.id, ce_type=first.type,
                             tenant=first.tenant, batch=str(len(run)))
                await handler.apply(session, run)
            continue
        for item in run:
            with telemetry.processing(group, topic_of(kind), (item,)) as traced:
                tracing.bind(traced or tracing.child_of(item.envelope.traceparent), ce_id=item.envelope.id,
                             ce_type=item.envelope.type, tenant=item.envelope.tenant)
                await handler(session, item.envelope, item.event)


class Poison(Exception):
    """A record that can never be applied; it goes to the dead-letter topic."""


class EventConsumer:
    """One consumer group: the event types it handles (and the tombstones, :class:`Removed`) and
    what to do with each."""

    def __init__(
        self,
        *,
        group_id: str,
        handlers: Subscriptions,
        sessions: async_sessionmaker[AsyncSession],
        inbox_table: Table,
        broker: KafkaBroker,
        metrics: RuntimeMetrics,
        after_commit: Callable[[], None] | None = None,
        batch_size: int = 500,
        publish_timeout: float = 10.0,
        max_backoff: float = 30.0,
    ) -> None:
        self.group_id = group_id
        self.handlers: dict[HandlerKey, Handler | Batched] = dict(handlers.items())
        self.topics = sorted({topic_of(key) for key in handlers})
        self.classes = {key.cls if isinstance(key, Removed) else key for key in handlers}  # the types it reads
        self.dead_letter_topic = topics.dead_letter_topic(group_id)
        self._sessions = sessions
        self._inbox = inbox_table
        self._broker = broker
        self._metrics = metrics
        self._after_commit = after_commit
        self._batch_size = batch_size
        self._max_backoff = max_backoff
        self._failures = 0
        self._dead = DeadLetters(self._publish_dead_letter, group=group_id, metrics=metrics,
                                 timeout=publish_timeout, max_backoff=max_backoff)

    async def _publish_dead_letter(self, value: bytes, key: bytes | None, headers: dict[str, str]) -> None:
        await self._broker.publish(value, self.dead_letter_topic, key=key, headers=headers)

    def register(self) -> None:
        """Attach a batch subscriber with manual acks to the broker."""

        @self._broker.subscriber(
            *self.topics,
            group_id=self.group_id,
            batch=True,
            max_records=self._batch_size,
            batch_timeout_ms=100,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            parser=_parse_batch,
            decoder=_raw_bodies,
            title=self.group_id,
        )
        async def consume(message: KafkaMessage) -> None:
            raw = message.raw_message
            records = raw if isinstance(raw, tuple) else (raw,)
            try:
                await self.process(records)
            except Exception:
                # Bad messages never get here (they are dead-lettered): this is a bug or an outage we
                # did not foresee. Rewind so the batch is redelivered, after a pause; never skip it.
                self._failures += 1
                delay = min(self._max_backoff, 0.5 * 2 ** min(self._failures, 10))
                log.exception("batch failed, redelivering it", group=self.group_id, retry_in=delay)
                await asyncio.sleep(delay)
                await message.nack()
                return
            self._failures = 0
            await message.ack()

    async def process(self, records: Sequence[ConsumerRecord]) -> None:
        """Decode, dead-letter the undecodable, apply the rest exactly once."""
        decoded: list[Decoded] = []
        for record in records:
            try:
                item = self._decode(record)
            except Poison as exc:
                await self._dead_letter(record, str(exc))
                continue
            except Exception as exc:  # noqa: BLE001 — whatever a record holds, it must not wedge its partition
                await self._dead_letter(record, f"cannot be decoded: {exc!r}")
                continue
            if item is not None:
                decoded.append(item)
        if decoded:
            await self._apply_with_retry(decoded)

    def _decode(self, record: ConsumerRecord) -> Decoded | None:
        # A header with a null value counts as absent (not as the string "None").
        headers = [(k, v) for k, v in record.headers or () if v is not None]
        try:
            envelope = Envelope.from_headers(headers, record.value)
        except EnvelopeError as exc:
            if record.value is None:  # a tombstone nobody can read: nothing to replay either
                self._skip_tombstone(record, f"invalid CloudEvent: {exc}")
                return None
            raise Poison(f"invalid CloudEvent: {exc}") from exc
        cls = event_class_for(envelope.type)
        if envelope.tombstone:
            return self._tombstone(record, envelope, cls)
        if cls is None:
            raise Poison(f"unknown ce_type {envelope.type!r} on topic {record.topic}")
        if cls not in self.handlers:
            return None  # a known event this group does not need
        if cls.TOPIC != record.topic:
            raise Poison(f"ce_type {envelope.type!r} does not belong on topic {record.topic}")
        try:
            event = cls.model_validate_json(envelope.data)
        except ValidationError as exc:
            raise Poison(f"payload does not match {cls.__name__}: {_short(exc)}") from exc
        return Decoded(envelope, event)

    def _tombstone(self, record: ConsumerRecord, envelope: Envelope, cls: type[Event] | None) -> Decoded | None:
        removed = Removed(cls) if cls is not None and cls.TOPIC == record.topic else None
        if removed is None or removed not in self.handlers:
            self._skip_tombstone(record, f"no handler for tombstones of {envelope.type!r}")
            return None
        return Decoded(envelope, removed)

    def _skip_tombstone(self, record: ConsumerRecord, reason: str) -> None:
        self._metrics.tombstones_skipped.labels(self.group_id, record.topic).inc()
        log.debug("tombstone skipped", group=self.group_id, topic=record.topic, partition=record.partition,
                  offset=record.offset, reason=reason)

    async def _apply_with_retry(self, items: list[Decoded]) -> None:
        attempt = 0
        while True:
            try:
                await self._apply(items)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    attempt += 1
                    self._metrics.consumer_retries.labels(self.group_id).inc()
                    delay = min(self._max_backoff, 0.1 * 2**attempt) * (0.5 + random.random() / 2)
                    log.warning("transient failure, retrying batch", group=self.group_id,
                                error=repr(exc), retry_in=round(delay, 2), attempt=attempt)
                    await asyncio.sleep(delay)
                    continue
                if len(items) > 1:
                    for item in items:
                        await self._apply_with_retry([item])
                    return
                log.error("event failed, dead-lettering", group=self.group_id,
                          ce_id=items[0].envelope.id, error=repr(exc))
                await self._dead_letter_envelope(items[0].envelope, topic_of(items[0].key),
                                                 f"handler failed: {exc!r}")
                return

    async def _apply(self, items: list[Decoded]) -> None:
        async with self._sessions() as session, session.begin():
            fresh = await inbox.claim(session, self._inbox, self.group_id, [i.envelope.id for i in items])
            duplicates = len(items) - len(fresh)
            todo: list[Decoded] = []
            for item in items:
                if item.envelope.id in fresh:
                    fresh.discard(item.envelope.id)  # same id twice in one batch: apply once
                    todo.append(item)
            await dispatch(session, self.handlers, todo, self.group_id)
        if todo:
            log.info("events applied", group=self.group_id, count=len(todo))
        for ce_type, count in Counter(i.envelope.type for i in todo).items():
            self._metrics.events_handled.labels(self.group_id, ce_type).inc(count)
        if duplicates:
            self._metrics.events_duplicate.labels(self.group_id).inc(duplicates)
        if self._after_commit is not None:
            self._after_commit()

    async def _dead_letter(self, record: ConsumerRecord, reason: str) -> None:
        headers = {k: (v or b"").decode(errors="replace") for k, v in (record.headers or ())}
        headers.update(dlq_partition=str(record.partition), dlq_offset=str(record.offset))
        log.warning("dead letter", group=self.group_id, topic=record.topic,
                    offset=record.offset, reason=reason[:300])
        await self._dead.store(record.value or b"", record.key, headers, topic=record.topic, reason=reason)

    async def _dead_letter_envelope(self, envelope: Envelope, topic: str, reason: str) -> None:
        # headers() never raises (an instant UTC cannot hold keeps its offset), nor does the store
        await self._dead.store(envelope.data, envelope.key.encode(), envelope.headers(), topic=topic, reason=reason)


async def _parse_batch(
    records: tuple[ConsumerRecord, ...], original: Callable[[Any], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream's batch parser decodes every header value as UTF-8, and one null or binary
    value fails the whole batch before the handler runs (the batch is then skipped, and the
    next ack commits past it). Give it a sanitized copy; keep the records as received."""
    safe = tuple(
        replace(r, headers=[(k, (v or b"").decode(errors="replace").encode()) for k, v in r.headers or ()])
        for r in records
    )
    message = await original(safe)
    message.raw_message = records
    return message


async def _raw_bodies(message: StreamMessage[Any]) -> Any:
    """No decoding by FastStream (it would json-parse every body and fail the batch on one bad
    payload): ``process`` decodes each record itself and dead-letters what it cannot decode."""
    return message.body


def _short(exc: ValidationError) -> str:
    parts = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5]]
    return "; ".join(parts)


__all__ = ["EventConsumer", "Handler", "Removed", "Subscriptions", "is_transient", "publish_envelope"]
