"""A row Kafka will never take is parked with its reason; the rows behind it go on.

Before parking, an oversized event (a letter with 90,000 holidays) was retried for ever and
every round failed with backoff, so every later event of the service — all tenants'
verdicts — waited behind it. Real PostgreSQL; the last test also a real Kafka broker.
"""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import select, update

from services.runtime.kafka import Producer, UnsendableRecord
from services.runtime.metrics import RuntimeMetrics
from services.runtime.relay import OutboxRelay
from services.runtime.settings import Settings
from tests.checkin import kafka_io
from tests.runtime.conftest import ProbeTopic, RuntimeDb
from tests.runtime.test_outbox import FakeKafka, backlog, pending, published_ids, relay_for, stage_rows
from tests.support.records import read_to_end

pytestmark = pytest.mark.infra

TOO_LARGE = "the record is 1200412 bytes, above the request limit of 1048576"


async def parked(rdb: RuntimeDb) -> dict[str, str]:
    async with rdb.sessions() as session:
        rows = (await session.execute(select(rdb.outbox.c.event_id, rdb.outbox.c.park_reason)
                                      .where(rdb.outbox.c.parked_at.is_not(None)))).all()
    return {r.event_id: r.park_reason for r in rows}


def parked_count(relay_metrics: object, topic: str) -> float:
    return relay_metrics.registry.get_sample_value(  # type: ignore[attr-defined]
        "hadir_outbox_parked_total", {"topic": topic}) or 0


async def test_a_record_kafka_will_never_take_is_parked_and_the_rows_behind_it_are_published(
        runtime_db: RuntimeDb, probe_topic: ProbeTopic) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["a", "a", "a", "b", "a"])

    def settle(index: int, future: asyncio.Future[object]) -> None:
        if index == 1:
            future.set_exception(UnsendableRecord(TOO_LARGE))
        else:
            future.set_result(None)

    kafka = FakeKafka(settle)
    relay, metrics = relay_for(runtime_db, kafka, batch_size=2, round_chunks=3)
    assert await relay.publish_batch() == 4, "the round must not fail on a record Kafka will never take"
    assert kafka.sent == ids, "every row behind the parked one went out, in order"
    assert await published_ids(runtime_db) == set(ids) - {ids[1]}
    assert await parked(runtime_db) == {ids[1]: TOO_LARGE}
    assert await pending(runtime_db) == 1, "parked is not published"
    assert backlog(metrics) == 0, "a parked row is not backlog"
    assert parked_count(metrics, probe_topic.name) == 1

    later = FakeKafka(lambda _, f: f.set_result(None))
    again, _ = relay_for(runtime_db, later)
    assert await again.publish_batch() == 0 and later.sent == [], "a parked row is never claimed again"


async def test_a_refusal_that_may_pass_keeps_the_row_pending(runtime_db: RuntimeDb, probe_topic: ProbeTopic) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["a", "b"])

    def settle(index: int, future: asyncio.Future[object]) -> None:
        if index == 0:
            future.set_exception(ConnectionError("broker went away"))
        else:
            future.set_result(None)

    relay, _ = relay_for(runtime_db, FakeKafka(settle))
    with pytest.raises(RuntimeError, match="published 1 of 2"):
        await relay.publish_batch()
    assert await parked(runtime_db) == {} and await published_ids(runtime_db) == {ids[1]}


async def test_an_oversized_event_on_real_kafka_is_parked_and_the_service_keeps_publishing(
        runtime_db: RuntimeDb, probe_topic: ProbeTopic, kafka_bootstrap: str) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["x", "y", "x", "z"])
    async with runtime_db.sessions() as session, session.begin():  # as a 90,000-holiday letter would be
        await session.execute(update(runtime_db.outbox).where(runtime_db.outbox.c.event_id == ids[1])
                              .values(payload=b'{"pad": "%s"}' % (b"h" * 1_200_000)))
    producer = Producer(Settings(service="parking-test", kafka_bootstrap_servers=kafka_bootstrap,
                                 publish_timeout_seconds=10))
    await producer.start()
    try:
        relay = OutboxRelay(runtime_db.sessions, runtime_db.outbox, producer.send_many,
                            RuntimeMetrics(CollectorRegistry()))
        assert await asyncio.wait_for(relay.publish_batch(), 30) == 3
        after = await stage_rows(runtime_db, probe_topic, ["x", "y"], start_seq=10)
        assert await asyncio.wait_for(relay.publish_batch(), 30) == 2
    finally:
        await asyncio.wait_for(producer.stop(), 30)
    reasons = await parked(runtime_db)
    assert list(reasons) == [ids[1]] and "above the request limit" in reasons[ids[1]]
    records = await read_to_end(kafka_bootstrap, probe_topic.name)
    got = [kafka_io.headers(r)["ce_id"] for r in records]
    assert sorted(got) == sorted(i for i in ids + after if i != ids[1]), "each row once, the parked one never"
