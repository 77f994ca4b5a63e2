"""Reading what a tenant's events on a topic are, straight from the broker.

Each record on the topic is returned once, even if the reader's group rebalanced and read
part of the topic again (records are kept by partition and offset)."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, ConsumerRecord


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


async def records_of(bootstrap: str, topic: str, tenant: str) -> list[ConsumerRecord]:
    """Every record of ``tenant`` on ``topic`` (read from the beginning, no group commits)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=f"e2e-audit-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    ours: dict[tuple[int, int], ConsumerRecord] = {}
    try:
        while batches := await consumer.getmany(timeout_ms=3000):
            ours |= {(r.partition, r.offset): r for records in batches.values() for r in records
                     if dict(r.headers).get("ce_tenant") == tenant.encode()}
    finally:
        await stop_consumer(consumer)
    return [ours[k] for k in sorted(ours)]


def event_ids(records: list[ConsumerRecord]) -> set[str]:
    """The distinct CloudEvents ids of ``records`` (the relay publishes at least once)."""
    return {dict(r.headers)["ce_id"].decode() for r in records}
