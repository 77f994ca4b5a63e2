"""Tombstones end to end, on a real Kafka broker and PostgreSQL.

- A tombstone staged in the outbox (``outbox.stage_tombstones``) leaves the relay as a record with
  the usual key, the CloudEvents headers of its event type and a null value — what compaction needs
  to remove the key.
- A consumer hands a tombstone to the handler registered under ``Removed(cls)`` (one by one or
  batched), in order with the events of its key, once per ``ce_id`` (the inbox deduplicates).
- A consumer without such a handler skips it (counted), never dead-letters it, and goes on with the
  records after it; a tombstone without readable headers is skipped too. An empty value that is not
  null is no tombstone: it is dead-lettered.
"""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.runtime import outbox
from services.runtime.consumer import Batched, Decoded, Handler, Removed
from services.runtime.kafka import Producer
from services.runtime.metrics import RuntimeMetrics
from services.runtime.relay import OutboxRelay
from services.runtime.settings import Settings
from tests.runtime.conftest import (
    EFFECTS,
    ProbeTopic,
    RawRecord,
    RuntimeDb,
    committed_offsets,
    envelope_of,
    headers_of,
    produce,
    read_topic,
    record_effect,
    record_of,
    unique,
    wait_for_value,
)
from tests.runtime.consumer_harness import running_consumer
from tests.support.records import read_to_end

pytestmark = pytest.mark.infra

TENANT = "pemprov-uji"
SOURCE = "/hadir/test"
REMOVED = -1  # the seq an effect row of a tombstone gets


async def relay_once(rdb: RuntimeDb, bootstrap: str) -> int:
    """One round of the production relay with the production producer; the rows published."""
    producer = Producer(Settings(service="tombstone-test", kafka_bootstrap_servers=bootstrap))
    await producer.start()
    try:
        relay = OutboxRelay(rdb.sessions, rdb.outbox, producer.send_many, RuntimeMetrics(CollectorRegistry()))
        return await relay.publish_batch()
    finally:
        await producer.stop()


def record_removal(group: str) -> Handler:
    async def removed(session: AsyncSession, envelope: Envelope, event: Any) -> None:
        assert isinstance(event, Removed), event
        await session.execute(insert(EFFECTS).values(consumer_group=group, event_id=envelope.id,
                                                     subject=envelope.subject, seq=REMOVED, pid=0))
    return removed


def batched(handler: Handler) -> Batched:
    async def apply(session: AsyncSession, run: Any) -> None:
        for item in run:
            assert isinstance(item, Decoded)
            await handler(session, item.envelope, item.event)
    return Batched(apply)


async def test_a_staged_tombstone_reaches_kafka_as_a_null_value_with_its_headers(
        runtime_db: RuntimeDb, probe_topic: ProbeTopic, kafka_bootstrap: str) -> None:
    ev = probe_topic.event
    async with runtime_db.sessions() as session, session.begin():
        before = await outbox.stage(session, runtime_db.outbox, ev(employee_id="emp-a", seq=1), tenant=TENANT,
                                    source=SOURCE)
        tombstones = await outbox.stage_tombstones(session, runtime_db.outbox, ev, ["emp-a", "emp-b"],
                                                   tenant=TENANT, source=SOURCE)
    assert await relay_once(runtime_db, kafka_bootstrap) == 3

    records = await read_to_end(kafka_bootstrap, probe_topic.name)
    by_id = {headers_of(r)["ce_id"]: r for r in records}
    assert set(by_id) == {before.id, *(t.id for t in tombstones)} and len(records) == 3
    assert by_id[before.id].value == before.data
    for staged, subject in zip(tombstones, ["emp-a", "emp-b"], strict=True):
        record = by_id[staged.id]
        assert record.value is None, "a tombstone is a null value, not an empty one"
        assert record.key == f"{TENANT}/{subject}".encode()
        headers = headers_of(record)
        assert headers["ce_type"] == ev.TYPE and headers["ce_subject"] == subject
        assert headers["ce_tenant"] == TENANT and headers["ce_source"] == SOURCE
        assert headers["ce_specversion"] == "1.0" and headers["ce_time"]
    a = [r for r in records if r.key == f"{TENANT}/emp-a".encode()]
    assert [r.value is None for r in sorted(a, key=lambda r: r.offset)] == [False, True], "in staging order"


@pytest.mark.parametrize("style", ["one by one", "batched"])
async def test_a_consumer_hands_tombstones_to_its_handler_in_order_and_once(
        runtime_db: RuntimeDb, probe_topic: ProbeTopic, kafka_bootstrap: str, style: str) -> None:
    group = unique("g-tomb")
    ev = probe_topic.event
    async with runtime_db.sessions() as session, session.begin():
        first = await outbox.stage(session, runtime_db.outbox, ev(employee_id="emp-a", seq=1), tenant=TENANT,
                                   source=SOURCE)
        [tombstone] = await outbox.stage_tombstones(session, runtime_db.outbox, ev, ["emp-a"], tenant=TENANT,
                                                    source=SOURCE)
        again = await outbox.stage(session, runtime_db.outbox, ev(employee_id="emp-a", seq=2), tenant=TENANT,
                                   source=SOURCE)
    assert await relay_once(runtime_db, kafka_bootstrap) == 3
    # The same tombstone delivered twice (a relay crash before marking it sent): applied once.
    [published] = [r for r in await read_to_end(kafka_bootstrap, probe_topic.name) if r.value is None]
    [redelivered] = await produce(kafka_bootstrap, probe_topic.name, [
        RawRecord(published.key, None, tuple(published.headers))])

    removal = record_removal(group)
    handlers = {ev: record_effect(group), Removed(ev): removal if style == "one by one" else batched(removal)}
    async with running_consumer(kafka_bootstrap, runtime_db, group, handlers) as run:
        await wait_for_value(lambda: committed_offsets(kafka_bootstrap, group, probe_topic.name),
                             lambda o: o.get(redelivered.partition) == redelivered.offset + 1,
                             what="the stream committed")
        assert run.dead_letters == 0
        assert run.duplicates == 1, "the second delivery of the tombstone is the inbox's"
        assert run.metric("hadir_tombstones_skipped_total", topic=probe_topic.name) == 0
        assert run.metric("hadir_events_handled_total", type=ev.TYPE) == 3
    rows = await runtime_db.effect_rows(group)
    assert [(r.event_id, r.subject, r.seq) for r in rows] == [
        (first.id, "emp-a", 1), (tombstone.id, "emp-a", REMOVED), (again.id, "emp-a", 2)]


async def test_a_consumer_without_a_tombstone_handler_skips_them_and_goes_on(
        runtime_db: RuntimeDb, probe_topic: ProbeTopic, kafka_bootstrap: str) -> None:
    group = unique("g-skip")
    ev = probe_topic.event
    events = [envelope_of(ev(employee_id="emp-a", seq=n)) for n in range(3)]
    key = events[0].key.encode()
    tombstone = envelope_of(ev(employee_id="emp-a", seq=99))
    headers = record_of(tombstone).headers
    stream = [
        record_of(events[0]),
        RawRecord(key, None, headers),  # a tombstone of a type the group reads, no handler for tombstones
        RawRecord(key, None, ()),  # a tombstone without CloudEvents headers (e.g. written by hand)
        record_of(events[1]),
        RawRecord(key, b"", headers),  # empty, not null: neither an event nor a tombstone
        record_of(events[2]),
    ]
    metas = await produce(kafka_bootstrap, probe_topic.name, stream)
    assert len({m.partition for m in metas}) == 1

    async with running_consumer(kafka_bootstrap, runtime_db, group, {ev: record_effect(group)}) as run:
        await wait_for_value(lambda: committed_offsets(kafka_bootstrap, group, probe_topic.name),
                             lambda o: o.get(metas[0].partition) == metas[-1].offset + 1, what="stream committed")
        assert run.metric("hadir_tombstones_skipped_total", topic=probe_topic.name) == 2
        assert run.dead_letters == 1, "only the empty value is dead-lettered, never a tombstone"
    assert [r.event_id for r in await runtime_db.effect_rows(group)] == [e.id for e in events]
    [dead] = await read_topic(kafka_bootstrap, run.consumer.dead_letter_topic, min_count=1)
    assert "the value is empty" in headers_of(dead)["dlq_reason"]
    assert headers_of(dead)["ce_id"] == tombstone.id
