"""Consumer lag from committed offsets, on a real broker."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import GroupCoordinatorNotAvailableError

from services.runtime.lag import measure
from tests.support.waiting import eventually


async def test_lag_counts_uncommitted_messages_per_partition(kafka_bootstrap: str) -> None:
    topic, group = f"lag-{uuid.uuid4().hex[:8]}", f"lag-group-{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    for i in range(5):
        await producer.send_and_wait(topic, f"m{i}".encode(), partition=0)
    await producer.send_and_wait(topic, b"x", partition=1)
    await producer.stop()

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:

        async def first() -> dict | None:
            try:  # a fresh broker creates the offsets topic (the group coordinator) on first use
                return await measure(probe, admin, group, [topic])
            except GroupCoordinatorNotAvailableError:
                return None

        assert await eventually(first, timeout=30) == {TopicPartition(topic, 0): 5, TopicPartition(topic, 1): 1}
        await commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 3, TopicPartition(topic, 1): 1})
        assert await measure(probe, admin, group, [topic]) == {TopicPartition(topic, 0): 2, TopicPartition(topic, 1): 0}
    finally:
        await probe.stop()
        await admin.close()


async def commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()
