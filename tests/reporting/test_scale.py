"""Many expected check-ins (20,000 here; ``make bench`` runs 100,000): the closure writes
the ledger and the outbox set-based (COPY) in seconds, and every ``report.overdue`` reaches a real Kafka broker.

The time the runtime's outbox relay then needs to publish them is printed, not
asserted (``make bench`` measures it)."""

from __future__ import annotations

import os
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.contracts import topics
from services.contracts.policy import PolicyContent, Sector, Window
from services.reporting import store
from services.reporting.app import MIGRATIONS
from services.reporting.store import Employee, PolicyVersion, Tenant, Unit
from services.runtime import migrations, sql
from services.runtime.kafka import Producer, ensure_topics
from services.runtime.relay import OutboxRelay
from tests.reporting.conftest import CAUGHT_UP, DAY, TZ, at, count, instance, pipeline_evaluated_until
from tests.support.records import stop_consumer

N = int(os.environ.get("HADIR_SCALE_EXPECTED", "20000"))  # make bench measures 100,000


async def end_offsets(bootstrap: str, topic: str) -> int:
    """The sum of a topic's end offsets (how many records it ever received)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    parts = [TopicPartition(topic, p["partition"]) for p in described[0]["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(parts)).values())
    finally:
        await stop_consumer(consumer)


async def test_many_expected_close_once_and_publish_every_notice(pg_url: str, module_kafka: str) -> None:
    # Its own broker: the 20,000 notices would otherwise wait on the session broker for every
    # consumer group started later in the run (notify's tests, the end-to-end suite), which
    # must read them all before their own events.
    kafka_bootstrap = module_kafka
    await migrations.upgrade_async(MIGRATIONS, pg_url, store.Base.metadata)
    inst = instance(pg_url)
    rt = inst.rt
    await pipeline_evaluated_until(rt, CAUGHT_UP)
    rt.settings = rt.settings.model_copy(update={"kafka_bootstrap_servers": kafka_bootstrap})
    window = Window(id="lokasi", name="Lokasi pagi", start="08:00", end="09:00", grace_minutes=15,  # type: ignore[arg-type]
                    kinds=["location"])  # type: ignore[list-item]
    content = PolicyContent(windows=[window], working_days=[1, 2, 3, 4, 5, 6, 7])
    async with rt.sessions() as session, session.begin():
        session.add(Tenant(id="jabar", name="Pemprov Jawa Barat", timezone=TZ, kind="province"))
        session.add(PolicyVersion(tenant="jabar", policy_id="se", version=1, number="800/1/2026", valid_from=DAY,
                                  valid_until=None, effective_at=at(0, 0), content=content.model_dump(mode="json")))
        await sql.insert_rows(session, Unit.__table__, [
            {"tenant": "jabar", "id": f"opd-{u}", "name": f"OPD {u}", "effective_sector": Sector.NON_ESSENTIAL.value,
             "kind": "department", "parent_id": None, "active": True} for u in range(100)])
        await sql.insert_rows(session, Employee.__table__, [
            {"tenant": "jabar", "nip": str(196001012000011000 + i), "name": f"Pegawai {i}", "unit_id": f"opd-{i % 100}",
             "active": True, "is_teacher": False, "is_front_line": False, "is_unit_head": False} for i in range(N)])
    assert await count(rt, Employee.__table__) == N

    await ensure_topics(kafka_bootstrap, topics.ALL, 6, 1)
    before = await end_offsets(kafka_bootstrap, topics.REPORT_OVERDUE)
    producer = Producer(rt.settings)
    relay = OutboxRelay(rt.sessions, rt.outbox, producer.send_many, rt.metrics,
                        batch_size=rt.settings.outbox_batch_size, publish_timeout=10)
    await producer.start()
    try:
        started = time.perf_counter()
        staged = await inst.scheduler.scan(at(9, 15, 11))
        closed_in = time.perf_counter() - started
        assert staged == N
        while await relay.publish_batch():
            pass
        published_in = time.perf_counter() - started
    finally:
        await producer.stop()
        await rt.engine.dispose()
    after = await end_offsets(kafka_bootstrap, topics.REPORT_OVERDUE)
    print(f"\n{N} expected: closed in {closed_in:.1f} s, all published in {published_in:.1f} s "
          f"(relay batch {rt.settings.outbox_batch_size})")
    assert after - before == N
