"""Reading what a tenant's events on a topic are, straight from the broker."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer


async def records_of(bootstrap: str, topic: str, tenant: str) -> list:
    """Every record of ``tenant`` on ``topic`` (read from the beginning, no group commits)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=f"e2e-audit-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    ours = []
    try:
        while batches := await consumer.getmany(timeout_ms=3000):
            ours += [r for records in batches.values() for r in records
                     if dict(r.headers).get("ce_tenant") == tenant.encode()]
    finally:
        await consumer.stop()
    return ours
