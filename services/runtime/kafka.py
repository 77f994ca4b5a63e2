"""Kafka plumbing: the FastStream broker (consumers, idempotent producer, acks=all, Prometheus
middleware), topic creation, and the raw :class:`Producer` the outbox relay and the watermark
marks send with — FastStream's publish path costs about three times the CPU per record
(measured on one machine, same run: 54 µs against 18 µs with aiokafka's ``send``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from services.contracts.envelope import Envelope
from services.runtime.settings import Settings

log = structlog.get_logger(__name__)


def bootstrap_list(servers: str) -> list[str]:
    """``"h1:9092, h2:9092"`` → ``["h1:9092", "h2:9092"]``. FastStream wraps a string in a
    one-element list, so a comma-separated string would reach aiokafka as one host name."""
    return [s.strip() for s in servers.split(",") if s.strip()]


def producer_config(settings: Settings) -> dict[str, Any]:
    """A producer that never duplicates on retry and waits for all in-sync replicas.

    The outbox relay enqueues up to ``HADIR_OUTBOX_BATCH_SIZE`` records, then waits for them
    all: ``linger_ms`` lets them gather, and 128 KiB batches (aiokafka's default is 16 KiB)
    carry a 500-row round in a few produce requests per partition instead of dozens.
    """
    return {"client_id": f"hadir-{settings.service}", "enable_idempotence": True, "acks": "all", "linger_ms": 5,
            "max_batch_size": 128 * 1024, "request_timeout_ms": int(settings.publish_timeout_seconds * 1000)}


def make_broker(settings: Settings, registry: CollectorRegistry) -> KafkaBroker:
    """The FastStream broker: the consumers, and publishing outside the outbox (dead letters)."""
    return KafkaBroker(
        bootstrap_list(settings.kafka_bootstrap_servers),
        **producer_config(settings),
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=settings.service)],
        graceful_timeout=10.0,
        logger=logging.getLogger("faststream"),
    )


class Producer:
    """aiokafka's idempotent producer (:func:`producer_config`) for the outbox relay and the marks."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap_list(self._settings.kafka_bootstrap_servers),
                                    **producer_config(self._settings))
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def send(self, topic: str, envelope: Envelope, partition: int | None = None) -> asyncio.Future:
        """Enqueue one CloudEvent (on ``partition`` if given, else by its key); the returned
        future resolves when Kafka acknowledges it."""
        if self._producer is None:
            raise KafkaConnectionError("the producer is not started")
        return await self._producer.send(topic, envelope.data, key=envelope.key.encode(), partition=partition,
                                         headers=[(k, v.encode()) for k, v in envelope.headers().items()])


async def partition_count(bootstrap: str, topic: str, timeout: float = 30) -> int:
    """How many partitions ``topic`` has (from the brokers' metadata)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
        return len(described["partitions"])
    finally:
        await admin.close()


async def publish_envelope(broker: KafkaBroker, topic: str, envelope: Envelope, timeout: float) -> None:
    """Publish through the broker and wait for the acknowledgement, bounded by ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        await broker.publish(envelope.data, topic, key=envelope.key.encode(), headers=envelope.headers())


async def ensure_topics(
    bootstrap: str, names: Iterable[str], partitions: int, replication: int, timeout: float = 30
) -> None:
    """Create missing topics with the configured partitions (idempotent)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(n, num_partitions=partitions, replication_factor=replication) for n in missing]
                )
            except TopicAlreadyExistsError:
                pass
            log.info("topics created", topics=missing, partitions=partitions)
    finally:
        await admin.close()
