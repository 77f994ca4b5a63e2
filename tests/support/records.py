"""Reading what a tenant's events on a topic are, straight from the broker.

Up to the end offsets seen when the read starts, by assignment (no consumer group, nothing
committed), so each record is returned once and the read ends even while producers keep
writing (watermark marks arrive on the check-in topics every second)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


async def stop_consumer(consumer: AIOKafkaConsumer) -> None:
    """Stop a consumer. aiokafka 0.14 raises CancelledError from ``stop()`` when its internal
    offset task was cancelled before it first ran (a consumer stopped right after it started,
    on a busy machine); that is not a cancellation of the caller, so only a real one propagates."""
    try:
        await consumer.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise


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
        await stop_consumer(consumer)
    if tenant is not None:
        records = [r for r in records if dict(r.headers or ()).get("ce_tenant") == tenant.encode()]
    return sorted(records, key=lambda r: (r.partition, r.offset))


def event_ids(records: list[ConsumerRecord]) -> set[str]:
    """The distinct CloudEvents ids of ``records`` (the relay publishes at least once)."""
    return {dict(r.headers)["ce_id"].decode() for r in records}
