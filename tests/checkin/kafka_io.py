"""Publishing contract events to Kafka and reading a topic back, for the check-in tests."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.runtime.outbox import envelope_for


async def publish(bootstrap: str, tenant: str, events: Iterable[Event], source: str = "/hadir/policy") -> list[str]:
    """Publish events as the policy service would (CloudEvents headers, tenant/subject key);
    return their ids."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    ids: list[str] = []
    try:
        for event in events:
            env = envelope_for(event, tenant=tenant, source=source)
            await producer.send_and_wait(event.TOPIC, env.data, key=env.key.encode(),
                                         headers=[(k, v.encode()) for k, v in env.headers().items()])
            ids.append(env.id)
    finally:
        await producer.stop()
    return ids


async def read_to_end(bootstrap: str, topic: str, tenant: str | None = None) -> list[ConsumerRecord]:
    """Every record of ``topic`` up to the end offsets seen now (of ``tenant`` if given),
    in partition-then-offset order. Deterministic: no settling time, nothing committed."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        await consumer._client.add_topic(topic)  # fetch this topic's metadata (no public API for it)
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        assert tps, f"topic {topic} does not exist"
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        records: list[ConsumerRecord] = []
        while True:
            behind = [tp for tp in tps if await consumer.position(tp) < end[tp]]
            if not behind:
                break
            batch = await consumer.getmany(*behind, timeout_ms=1000)
            for tp_records in batch.values():
                records.extend(r for r in tp_records if r.offset < end[TopicPartition(r.topic, r.partition)])
    finally:
        await consumer.stop()
    if tenant is not None:
        records = [r for r in records if headers(r).get("ce_tenant") == tenant]
    return sorted(records, key=lambda r: (r.partition, r.offset))


def headers(record: ConsumerRecord) -> dict[str, str]:
    return {k: (v or b"").decode() for k, v in (record.headers or ())}


def envelope(record: ConsumerRecord) -> Envelope:
    return Envelope.from_headers(record.headers or (), record.value)
