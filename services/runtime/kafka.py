"""Kafka plumbing: the FastStream broker (consumers, idempotent producer, acks=all, Prometheus
middleware), topic creation, and the raw :class:`Producer` the outbox relay and the watermark
marks send with — FastStream's publish path costs about three times the CPU per record
(measured on one machine, same run: 54 µs against 18 µs with aiokafka's ``send``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaConnectionError,
    MessageSizeTooLargeError,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    TopicAlreadyExistsError,
    UnknownProducerId,
)
from aiokafka.partitioner import murmur2
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

from services.contracts import topics
from services.contracts.envelope import Envelope
from services.runtime.settings import Settings

log = structlog.get_logger(__name__)


# The largest record a producer hands to Kafka (aiokafka's default; the broker's own default
# limit, message.max.bytes, is about the same).
MAX_REQUEST_BYTES = 1024 * 1024


class UnsendableRecord(MessageSizeTooLargeError):
    """A record Kafka will never take as it is (above the request limit, or headers that cannot
    be encoded): sending it again cannot help, so the outbox parks its row (:mod:`.relay`)."""


def bootstrap_list(servers: str) -> list[str]:
    """``"h1:9092, h2:9092"`` → ``["h1:9092", "h2:9092"]``. FastStream wraps a string in a
    one-element list, so a comma-separated string would reach aiokafka as one host name."""
    return [s.strip() for s in servers.split(",") if s.strip()]


def producer_config(settings: Settings) -> dict[str, Any]:
    """A producer that never duplicates on retry and waits for all in-sync replicas.

    The outbox relay hands a round of up to ``HADIR_OUTBOX_BATCH_SIZE`` records over as whole
    batches (:meth:`Producer.send_many`), then waits for them all: 512 KiB batches (aiokafka's
    default is 16 KiB; the broker takes up to 1 MiB) carry a 2,000-row round in one or two
    produce requests per partition. ``linger_ms`` lets single sends (marks, dead letters) gather.
    """
    return {"client_id": f"hadir-{settings.service}", "enable_idempotence": True, "acks": "all", "linger_ms": 5,
            "max_batch_size": 512 * 1024, "max_request_size": MAX_REQUEST_BYTES,
            "request_timeout_ms": int(settings.publish_timeout_seconds * 1000)}


def make_broker(settings: Settings, registry: CollectorRegistry) -> KafkaBroker:
    """The FastStream broker: the consumers, and publishing outside the outbox (dead letters)."""
    return KafkaBroker(
        bootstrap_list(settings.kafka_bootstrap_servers),
        **producer_config(settings),
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=settings.service)],
        graceful_timeout=10.0,
        logger=logging.getLogger("faststream"),
    )


# Errors after which the broker will refuse every later batch of this producer id: its sequence
# numbers (or its id) no longer match the broker's, e.g. after a broker lost the producer's state.
LOST_PRODUCER_STATE = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, ProducerFenced)


class Producer:
    """aiokafka's idempotent producer (:func:`producer_config`) for the outbox relay and the marks.

    A send refused because the broker no longer knows this producer's sequence (or id) would be
    refused for ever by the same producer: the next send starts a fresh producer (a new producer id),
    and the refused records, still pending in the outbox, go out again in order with it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._state_lost = False

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
        producer = await self._usable()
        return self._watched(await producer.send(topic, envelope.value, key=envelope.key.encode(),
                                                 partition=partition, headers=_headers(envelope)))

    async def send_many(self, records: Sequence[tuple[str, Envelope]],
                        futures: list[asyncio.Future | None]) -> None:
        """Enqueue ``records`` (topic, CloudEvent) in order as whole record batches, one open batch
        per partition (the key's partition, as aiokafka's default partitioner picks it): a few
        produce batches per round instead of a ``send`` per record. ``futures[i]`` is set to the
        future of record *i*'s batch as soon as that batch is enqueued (a caller cancelled half-way
        still knows what it handed over); it resolves when Kafka acknowledges the batch.

        A tombstone (:data:`~services.contracts.envelope.TOMBSTONE` data) goes out with a null value and
        its CloudEvents headers. A record above the request limit, or one that cannot be encoded, gets a future failed
        with :class:`UnsendableRecord` at once and goes nowhere (as ``send`` refuses it before it
        is queued; in a batch the broker would refuse the batch and, the producer being
        idempotent, every later batch of the partition). Raises at the
        first batch that cannot be enqueued and enqueues nothing after it, so each partition's
        records stay in order."""
        producer = await self._usable()
        partitions: dict[str, list[int]] = {}
        for topic in dict.fromkeys(topic for topic, _ in records):
            partitions[topic] = sorted(await producer.partitions_for(topic))
        batches: dict[TopicPartition, list[tuple[BatchBuilder, list[int]]]] = {}
        for index, (topic, envelope) in enumerate(records):
            try:
                key = envelope.key.encode()
                headers = _headers(envelope)
                value = envelope.value
                size = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)
            except Exception as exc:  # noqa: BLE001 — whatever a row holds, it must not stop the others
                futures[index] = _refused(f"the record cannot be encoded: {exc!r}")
                continue
            if size > MAX_REQUEST_BYTES:
                futures[index] = _refused(f"the record is {size} bytes, above the request limit of {MAX_REQUEST_BYTES}")
                continue
            chain = batches.setdefault(TopicPartition(topic, _partition(key, partitions[topic])), [])
            if not chain or chain[-1][0].append(key=key, value=value, timestamp=None, headers=headers) is None:
                chain.append((producer.create_batch(), []))
                chain[-1][0].append(key=key, value=value, timestamp=None, headers=headers)
            chain[-1][1].append(index)
        for tp, chain in batches.items():
            for batch, members in chain:
                batch.close()
                future = self._watched(await producer.send_batch(batch, tp.topic, partition=tp.partition))
                for index in members:
                    futures[index] = future

    async def _usable(self) -> AIOKafkaProducer:
        """The producer; a fresh one when the broker refused the current one's sequence."""
        if self._state_lost and self._producer is not None:
            log.warning("the broker lost this producer's sequence: starting a fresh producer")
            await self.stop()
            await self.start()
            self._state_lost = False
        return self._started()

    def _watched(self, future: asyncio.Future[Any]) -> asyncio.Future[Any]:
        def check(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and isinstance(done.exception(), LOST_PRODUCER_STATE):
                self._state_lost = True

        if future.done():
            check(future)
        else:
            future.add_done_callback(check)
        return future

    def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise KafkaConnectionError("the producer is not started")
        return self._producer


def _refused(reason: str) -> asyncio.Future[Any]:
    refused: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    refused.set_exception(UnsendableRecord(reason))
    return refused


def _headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in envelope.headers().items()]


def _partition(key: bytes, partitions: list[int]) -> int:
    """The partition of ``key`` among ``partitions`` (sorted), as aiokafka's and Java's default
    partitioners compute it (murmur2), so a key keeps its partition whoever produces it."""
    return partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]


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
    """Publish through the broker and wait for the acknowledgement, bounded by ``timeout`` seconds.
    Not for a tombstone: FastStream would send an empty value, not a null one (the outbox's
    :class:`Producer` sends those)."""
    if envelope.tombstone:
        raise ValueError("a tombstone is published through the outbox (Producer), not the broker")
    async with asyncio.timeout(timeout):
        await broker.publish(envelope.data, topic, key=envelope.key.encode(), headers=envelope.headers())


async def ensure_topics(
    bootstrap: str, names: Iterable[str], partitions: int, replication: int, timeout: float = 30
) -> None:
    """Create missing topics with the configured partitions and each topic's configuration
    (:func:`services.contracts.topics.config_of`: compaction, retention). Idempotent; an existing
    topic is left as it is (in Kubernetes the topic operator owns it: deploy/k8s/base/topics.yaml)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(n, num_partitions=partitions, replication_factor=replication,
                              topic_configs=topics.config_of(n)) for n in missing]
                )
            except TopicAlreadyExistsError:
                pass
            log.info("topics created", topics=missing, partitions=partitions)
    finally:
        await admin.close()
