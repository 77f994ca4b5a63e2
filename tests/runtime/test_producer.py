"""The production Kafka producers — FastStream's broker (``make_broker``) and the outbox relay's
``Producer`` — are idempotent with acks=all; a publish gives up within its timeout while Kafka is down.

The first test uses the session's broker; the second runs a broker of its own (it is stopped).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber
from prometheus_client import CollectorRegistry

from services.contracts.envelope import Envelope
from services.runtime.kafka import Producer, ensure_topics, make_broker, publish_envelope
from services.runtime.settings import Settings
from tests.runtime.conftest import headers_of, read_topic, unique
from tests.support import infra
from tools.kafka import cluster as kafka_local

pytestmark = pytest.mark.infra

TIMEOUT = 2.0


def any_envelope() -> Envelope:
    return Envelope(type="hadir.test.v1", source="/hadir/test", tenant="t", subject="s", data=b"{}")


def producer_of(broker: Any) -> Any:
    """The aiokafka producer under FastStream's broker."""
    return broker.config.broker_config.producer._producer.producer


async def test_producer_is_idempotent_and_waits_for_every_in_sync_replica(kafka_bootstrap: str) -> None:
    broker = make_broker(Settings(service="producer-test", kafka_bootstrap_servers=kafka_bootstrap,
                                  publish_timeout_seconds=TIMEOUT), CollectorRegistry())
    await broker.start()
    try:
        producer = producer_of(broker)
        assert producer._txn_manager is not None, "producer is not idempotent"
        assert producer._sender._acks == -1, "producer does not wait for all in-sync replicas (acks=all)"

        topic = unique("test.producer") + ".v1"
        await ensure_topics(kafka_bootstrap, [topic], partitions=1, replication=1)
        await publish_envelope(broker, topic, any_envelope(), TIMEOUT)
        assert producer._txn_manager.producer_id >= 0, "the broker gave no producer id: not idempotent"
    finally:
        await asyncio.wait_for(broker.stop(), 30)


async def test_the_outbox_producer_is_idempotent_and_waits_for_every_in_sync_replica(kafka_bootstrap: str) -> None:
    outbox_producer = Producer(Settings(service="producer-test", kafka_bootstrap_servers=kafka_bootstrap,
                                        publish_timeout_seconds=TIMEOUT))
    await outbox_producer.start()
    try:
        producer = outbox_producer._producer
        assert producer is not None and producer._txn_manager is not None, "producer is not idempotent"
        assert producer._sender._acks == -1, "producer does not wait for all in-sync replicas (acks=all)"
        topic = unique("test.producer") + ".v1"
        await ensure_topics(kafka_bootstrap, [topic], partitions=1, replication=1)
        await asyncio.wait_for(await outbox_producer.send(topic, any_envelope()), TIMEOUT)
        assert producer._txn_manager.producer_id >= 0, "the broker gave no producer id: not idempotent"
    finally:
        await asyncio.wait_for(outbox_producer.stop(), 30)


async def test_send_many_keeps_each_keys_partition_and_order_and_refuses_an_oversized_record_alone(
        kafka_bootstrap: str) -> None:
    producer = Producer(Settings(service="producer-test", kafka_bootstrap_servers=kafka_bootstrap,
                                 publish_timeout_seconds=TIMEOUT))
    await producer.start()
    try:
        topic = unique("test.send-many") + ".v1"
        await ensure_topics(kafka_bootstrap, [topic], partitions=3, replication=1)
        # 600 records over 20 keys (several batches per partition), then one above the 1 MiB
        # request limit, then more of the same keys.
        def envelope(n: int, data: bytes | None = None) -> Envelope:
            return Envelope(type="hadir.test.v1", source="/hadir/test", tenant="t", subject=f"s{n % 20}",
                            data=data or b'{"seq": %d, "pad": "%s"}' % (n, b"x" * 400))
        records = [(topic, envelope(n)) for n in range(600)]
        records.append((topic, envelope(600, b'{"pad": "%s"}' % (b"y" * 1_200_000))))
        records += [(topic, envelope(n)) for n in range(601, 700)]
        futures: list[asyncio.Future[Any] | None] = [None] * len(records)
        await producer.send_many(records, futures)
        outcomes = await asyncio.gather(*(f for f in futures if f is not None), return_exceptions=True)
        assert len(outcomes) == len(records), "every record was handed over"
        refused = [i for i, f in enumerate(futures) if f is not None and f.exception() is not None]
        assert refused == [600], "only the oversized record is refused"
        assert "above the request limit" in str(futures[600].exception())
        assert len({id(f) for f in futures}) < len(records) / 10, "records travel in shared batches"

        # The partition of each key is the one aiokafka's own send picks.
        expected: dict[str, int] = {}
        for n in range(20):
            one = await producer.send(topic, envelope(1000 + n))
            expected[f"t/s{n}"] = (await one).partition
        got = [r for r in await read_topic(kafka_bootstrap, topic, min_count=719) if r.key.decode() in expected]
        assert len(got) == 719
        seqs: dict[str, list[int]] = {}
        for record in got:
            key = record.key.decode()
            assert record.partition == expected[key], f"{key} left its partition"
            seqs.setdefault(key, []).append(int(record.value.split(b",")[0].split(b":")[1]))
        assert all(s == sorted(s) for s in seqs.values()), "a key's records arrived out of order"
        assert sum(len(s) for s in seqs.values()) == 719 and 600 not in {x for s in seqs.values() for x in s}
    finally:
        await asyncio.wait_for(producer.stop(), 30)


async def test_publish_gives_up_within_its_timeout_while_kafka_is_down_and_the_batch_arrives_once_after() -> None:
    with tempfile.TemporaryDirectory(prefix="hadir-test-kafka-down-") as tmp:
        try:
            cluster = await asyncio.to_thread(kafka_local.start, Path(tmp), 1, infra.free_port_block(24092))
        except Exception as exc:  # noqa: BLE001
            infra.unavailable("Kafka", f"own local broker did not start: {exc}")
        broker = make_broker(Settings(service="producer-test", kafka_bootstrap_servers=cluster.bootstrap,
                                      publish_timeout_seconds=TIMEOUT), CollectorRegistry())
        stopped = False
        try:
            await broker.start()
            topic = unique("test.producer") + ".v1"
            await ensure_topics(cluster.bootstrap, [topic], partitions=1, replication=1)
            first, during = any_envelope(), any_envelope()
            await publish_envelope(broker, topic, first, TIMEOUT)

            await asyncio.to_thread(cluster.stop)
            for target in (topic, unique("test.producer.new") + ".v1"):  # known topic; then a metadata wait
                started = time.monotonic()
                with pytest.raises(Exception):  # noqa: B017 — any error, as long as it comes in time
                    await asyncio.wait_for(publish_envelope(broker, target, during, TIMEOUT), 5 * TIMEOUT)
                elapsed = time.monotonic() - started
                assert elapsed <= TIMEOUT + 1, f"publish to {target} took {elapsed:.1f} s (timeout {TIMEOUT} s)"

            # aiokafka keeps the batch that timed out and retries it until Kafka is back (its stop()
            # waits for it: aio-libs/aiokafka#1101). Back up, it is delivered, once.
            await asyncio.to_thread(cluster.start_node, 1)
            records = await read_topic(cluster.bootstrap, topic, min_count=2, timeout=30)
            assert [headers_of(r)["ce_id"] for r in records] == [first.id, during.id]
            await asyncio.wait_for(broker.stop(), 30)
            stopped = True
        finally:
            if not stopped:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(broker.stop(), 10)
            await asyncio.to_thread(cluster.stop)


async def test_a_producer_whose_sequence_the_broker_lost_is_replaced_and_the_records_go_out_again(
        kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The broker answers OutOfOrderSequenceNumber to every later batch of a producer whose sequence it
    no longer knows: the relay's next round must run on a fresh producer, not retry for ever."""
    topic = unique("test.producer.lost") + ".v1"
    await ensure_topics(kafka_bootstrap, [topic], partitions=1, replication=1)
    producer = Producer(Settings(service="producer-test", kafka_bootstrap_servers=kafka_bootstrap,
                                 publish_timeout_seconds=TIMEOUT))
    await producer.start()
    try:
        first = producer._started()
        first_id = first._txn_manager.producer_id if first._txn_manager else None

        async def refused(*_: Any, **__: Any) -> asyncio.Future[Any]:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            future.set_exception(OutOfOrderSequenceNumber())
            return future

        monkeypatch.setattr(first, "send_batch", refused)
        futures: list[asyncio.Future[Any] | None] = [None]
        await producer.send_many([(topic, any_envelope())], futures)
        assert futures[0] is not None
        with pytest.raises(OutOfOrderSequenceNumber):
            await futures[0]

        again: list[asyncio.Future[Any] | None] = [None]
        await producer.send_many([(topic, any_envelope())], again)  # the row, still pending, in the next round
        assert again[0] is not None
        await asyncio.wait_for(again[0], 30)
        fresh = producer._started()
        assert fresh is not first and fresh._txn_manager is not None
        assert fresh._txn_manager.producer_id != first_id, "a new producer id"
        assert len(await read_topic(kafka_bootstrap, topic, min_count=1)) == 1
    finally:
        await producer.stop()
