"""Publishing contract events to Kafka and reading a topic back, for the check-in tests."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaProducer, ConsumerRecord

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


def headers(record: ConsumerRecord) -> dict[str, str]:
    return {k: (v or b"").decode() for k, v in (record.headers or ())}


def envelope(record: ConsumerRecord) -> Envelope:
    return Envelope.from_headers(record.headers or (), record.value)
