"""Shared helpers for the runtime tests (consumer, outbox) on real Kafka and PostgreSQL.

- ``METADATA``: a tiny schema with the runtime's ``inbox`` and ``outbox`` tables and an
  ``effects`` table that test handlers write to (one row per applied event, no unique
  constraint, so a double application shows up as two rows).
- ``runtime_db``: a fresh PostgreSQL database with that schema (``metadata.create_all``).
- ``probe_event_class(topic)``: an event type of its own on a topic of its own, so each
  test is independent of the others and of the services' real topics (the e2e suite's
  consumers may be running on the same broker). ``probe_topic`` creates the topic and
  registers the type with the contracts registry for the duration of a test.
- Kafka helpers: build records, produce them, read a topic back, read committed offsets.

Everything here is generic: no assumption about which runtime component is under test.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.partitioner import murmur2
from aiokafka.structs import RecordMetadata
from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.contracts.base import Event
from services.contracts.envelope import Envelope, event_key
from services.contracts.registry import EVENT_TYPES
from services.runtime import db
from services.runtime.inbox import define_inbox
from services.runtime.kafka import ensure_topics
from services.runtime.outbox import define_outbox

T = TypeVar("T")

# ------------------------------------------------------------------ schema

METADATA = MetaData()
INBOX = define_inbox(METADATA)
OUTBOX = define_outbox(METADATA)
EFFECTS = Table(
    "effects",
    METADATA,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("consumer_group", String(200), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


@dataclass
class RuntimeDb:
    """A fresh database with ``METADATA`` created, and an engine on it."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    metadata: MetaData = METADATA
    inbox: Table = INBOX
    outbox: Table = OUTBOX
    effects: Table = EFFECTS

    async def effect_rows(self, group: str | None = None) -> list[Row[Any]]:
        """Effects in the order they were applied (by id)."""
        stmt = select(self.effects).order_by(self.effects.c.id)
        if group is not None:
            stmt = stmt.where(self.effects.c.consumer_group == group)
        async with self.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    async def count(self, table: Table) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def create_runtime_db(url: str) -> RuntimeDb:
    engine = db.make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    return RuntimeDb(url=url, engine=engine, sessions=db.make_sessions(engine))


@pytest.fixture
async def runtime_db(pg_url: str) -> AsyncIterator[RuntimeDb]:
    """A fresh PostgreSQL database (session server) with inbox, outbox and effects tables."""
    rdb = await create_runtime_db(pg_url)
    try:
        yield rdb
    finally:
        await rdb.engine.dispose()


def record_effect(group: str, pid: int = 0) -> Callable[[AsyncSession, Envelope, Any], Awaitable[None]]:
    """A consumer handler that writes one effects row per event (in the consumer's transaction)."""

    async def handler(session: AsyncSession, envelope: Envelope, event: Any) -> None:
        await session.execute(
            insert(EFFECTS).values(
                consumer_group=group,
                event_id=envelope.id,
                subject=envelope.subject,
                seq=int(getattr(event, "seq", 0)),
                pid=pid,
            )
        )

    return handler


# ------------------------------------------------------------------ events


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


DEFAULT_TENANT = "pemprov-uji"


class ProbeEvent(Event):
    """Base of the test event types; ``probe_event_class`` gives each test its own subclass."""

    TYPE: ClassVar[str] = "hadir.test.probe.v1"
    TOPIC: ClassVar[str] = "test.probe.v1"

    employee_id: str
    seq: int
    fail: bool = False

    def subject(self) -> str:
        return self.employee_id


def probe_type_for(topic: str) -> str:
    return f"hadir.test.{topic}"


def probe_event_class(topic: str) -> type[ProbeEvent]:
    """An event class whose TOPIC is ``topic`` and whose TYPE is derived from it.

    Deterministic, so a consumer in a subprocess can build the same class from the topic name.
    """
    return type(  # type: ignore[return-value]
        "Probe",
        (ProbeEvent,),
        {"TYPE": probe_type_for(topic), "TOPIC": topic, "__module__": __name__},
    )


def register_event_class(cls: type[Event]) -> None:
    """Make the contracts registry (``event_class_for``) know ``cls``."""
    EVENT_TYPES[cls.TYPE] = cls


@dataclass
class ProbeTopic:
    name: str
    event: type[ProbeEvent]
    partitions: int


@pytest.fixture
async def probe_topic(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> ProbeTopic:
    """A new topic (3 partitions) and a registered probe event type living on it."""
    name = unique("test.probe") + ".v1"
    cls = probe_event_class(name)
    monkeypatch.setitem(EVENT_TYPES, cls.TYPE, cls)
    await ensure_topics(kafka_bootstrap, [name], partitions=3, replication=1)
    return ProbeTopic(name=name, event=cls, partitions=3)


def spread_subjects(count: int, partitions: int, tenant: str = DEFAULT_TENANT) -> list[str]:
    """``count`` subjects whose keys land on distinct partitions (default partitioner)."""
    chosen: dict[int, str] = {}
    for i in range(10_000):
        subject = f"emp{i}"
        partition = (murmur2(event_key(tenant, subject).encode()) & 0x7FFFFFFF) % partitions
        chosen.setdefault(partition, subject)
        if len(chosen) == min(count, partitions):
            break
    return [chosen[p] for p in sorted(chosen)]


def envelope_of(event: Event, *, tenant: str = DEFAULT_TENANT, event_id: str | None = None,
                source: str = "/hadir/test") -> Envelope:
    env = Envelope(type=event.TYPE, source=source, tenant=tenant, subject=event.subject(),
                   data=event.model_dump_json().encode())
    if event_id is not None:
        env = Envelope(type=env.type, source=env.source, tenant=env.tenant, subject=env.subject,
                       data=env.data, id=event_id, time=env.time)
    return env


@dataclass(frozen=True)
class RawRecord:
    """What a producer sends: key, value and headers exactly as given (may be broken on purpose)."""

    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


def record_of(envelope: Envelope) -> RawRecord:
    return RawRecord(
        key=envelope.key.encode(),
        value=envelope.data,
        headers=tuple((k, v.encode()) for k, v in envelope.headers().items()),
    )


# ------------------------------------------------------------------ kafka


async def produce(bootstrap: str, topic: str, records: Iterable[RawRecord]) -> list[RecordMetadata]:
    """Send records in order with an idempotent producer (acks=all); return their metadata."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value=r.value, key=r.key, headers=list(r.headers))
            for r in records
        ]
        return list(await asyncio.gather(*futures))
    finally:
        await producer.stop()


async def read_topic(bootstrap: str, topic: str, *, min_count: int = 0, timeout: float = 15,
                     settle: float = 1.0) -> list[ConsumerRecord]:
    """Every record of ``topic`` from the beginning (no consumer group, nothing committed).

    Reads until at least ``min_count`` records arrived and then ``settle`` more seconds
    (to see extra, unexpected records), or until ``timeout``.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        partitions: set[int] | None = None
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                await consumer._client.force_metadata_update()  # topic may be auto-created late
                await asyncio.sleep(0.2)
        if not partitions:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        records: list[ConsumerRecord] = []
        settle_until: float | None = None
        while True:
            now = time.monotonic()
            if len(records) >= min_count and settle_until is None:
                settle_until = now + settle
            if now >= deadline or (settle_until is not None and now >= settle_until):
                break
            batch = await consumer.getmany(timeout_ms=200)
            for part in batch.values():
                records.extend(part)
        return records
    finally:
        await consumer.stop()


async def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offset per partition of ``topic`` (partitions without one are left out)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                offsets = await admin.list_consumer_group_offsets(group)
                break
            except KafkaError as exc:  # e.g. the offsets topic of a fresh broker is still being created
                if not exc.retriable or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset >= 0}


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    return {k: (v or b"").decode(errors="replace") for k, v in (record.headers or ())}


# ------------------------------------------------------------------ waiting


async def wait_for_value(probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], *,
                         timeout: float = 30, interval: float = 0.1, what: str = "condition") -> T:
    """Poll ``probe`` until ``accept(value)``; fail with the last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last value: {value!r}")
        await asyncio.sleep(interval)


def seqs_by_subject(rows: Sequence[Row[Any]]) -> dict[str, list[int]]:
    """Applied sequence numbers per subject, in the order the effects were written."""
    out: dict[str, list[int]] = {}
    for row in rows:
        out.setdefault(row.subject, []).append(row.seq)
    return out


