"""Watermark marks sent by the outbox relay (:mod:`services.runtime.marks`) on a real
PostgreSQL and Kafka: once a round finds the outbox caught up, a mark goes to every
partition of the topic, after every record published before it; a round that is not
caught up sends none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.base import Event
from services.contracts.registry import EVENT_TYPES
from services.runtime.kafka import Producer, partition_count
from services.runtime.marks import MarkFor, Stamping
from services.runtime.metrics import RuntimeMetrics
from services.runtime.relay import OutboxRelay
from services.runtime.settings import Settings
from tests.runtime.conftest import ProbeTopic, RuntimeDb, headers_of, read_topic, spread_subjects
from tests.runtime.test_outbox import stage_rows

pytestmark = pytest.mark.infra


class Source:
    """Marks numbered by the round that read them."""

    def __init__(self, topic: str, cls: type[Event]) -> None:
        self.topic, self.cls, self.reads = topic, cls, 0

    async def read(self, session: AsyncSession) -> Sequence[MarkFor]:
        self.reads += 1
        return [lambda partition, partitions, n=self.reads: self.cls(partition=partition, partitions=partitions,
                                                                      round=n)]


def mark_class(topic: str) -> type[Event]:
    class ProbeMark(Event):
        TYPE: ClassVar[str] = f"hadir.test.mark.{topic}"
        TOPIC: ClassVar[str] = topic
        partition: int
        partitions: int
        round: int

        def subject(self) -> str:
            return f"mark-{self.partition}"

    return ProbeMark


async def test_marks_follow_the_published_rows_on_every_partition(
    runtime_db: RuntimeDb, probe_topic: ProbeTopic, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = mark_class(probe_topic.name)
    monkeypatch.setitem(EVENT_TYPES, cls.TYPE, cls)
    metrics = RuntimeMetrics(CollectorRegistry())
    producer = Producer(Settings(service="marks", kafka_bootstrap_servers=kafka_bootstrap))
    await producer.start()
    source = Source(probe_topic.name, cls)
    stamping = Stamping(source, producer.send,
                        lambda t: partition_count(kafka_bootstrap, t), ce_source="/hadir/test", interval=0,
                        timeout=10)
    relay = OutboxRelay(runtime_db.sessions, runtime_db.outbox, producer.send_many, metrics,
                        batch_size=4, stamping=stamping)
    subjects = spread_subjects(3, probe_topic.partitions)
    try:
        await stage_rows(runtime_db, probe_topic, subjects * 2)  # 6 rows, 2 per partition
        assert await relay.publish_batch() == 4  # a full batch: not caught up, no marks
        assert await relay.publish_batch() == 2  # caught up: marks of this round follow
    finally:
        await producer.stop()

    records = await read_topic(kafka_bootstrap, probe_topic.name, min_count=6 + probe_topic.partitions)
    by_partition: dict[int, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        ce_type = headers_of(record)["ce_type"]
        by_partition.setdefault(record.partition, []).append("mark" if ce_type == cls.TYPE else "row")
    assert by_partition == {p: ["row", "row", "mark"] for p in range(probe_topic.partitions)}
    marks = [cls.model_validate_json(r.value) for r in records if headers_of(r)["ce_type"] == cls.TYPE]
    assert sorted(m.partition for m in marks) == list(range(probe_topic.partitions))  # type: ignore[attr-defined]
    assert {m.round for m in marks} == {2}  # type: ignore[attr-defined]
