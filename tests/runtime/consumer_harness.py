"""The production consumer, started for a test, and the checks the consumer tests share.

The pitfalls of DESIGN.md ("Reliability pitfalls ... to test on a real broker") do not
show on FastStream's in-memory TestKafkaBroker, which never commits, seeks or rebalances.
The ``test_consumer_*`` modules therefore run the real consumer (batch subscriber, manual
acks, inbox in the effect's transaction) against a real broker and database, each test on
a topic and a consumer group of its own (:mod:`tests.runtime.conftest`).

- ``running_consumer``: the production broker (``make_broker``) with one EventConsumer
  registered and started; yields a ``Running`` that reads the consumer's metrics.
- ``effects_count`` and ``assert_applied_once_in_order``: what the handlers wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.runtime.consumer import EventConsumer, Handler
from services.runtime.kafka import ensure_topics, make_broker
from services.runtime.metrics import RuntimeMetrics
from services.runtime.settings import Settings
from tests.runtime.conftest import RuntimeDb, seqs_by_subject


@dataclass
class Running:
    consumer: EventConsumer
    registry: CollectorRegistry

    def metric(self, name: str, **labels: str) -> float:
        value = self.registry.get_sample_value(name, {"group": self.consumer.group_id, **labels})
        return value or 0.0

    @property
    def duplicates(self) -> float:
        return self.metric("hadir_events_duplicate_total")

    @property
    def retries(self) -> float:
        return self.metric("hadir_consumer_retries_total")

    @property
    def dead_letters(self) -> float:
        return sum(
            s.value
            for m in self.registry.collect()
            if m.name == "hadir_dead_letters"
            for s in m.samples
            if s.name == "hadir_dead_letters_total" and s.labels.get("group") == self.consumer.group_id
        )


@asynccontextmanager
async def running_consumer(
    bootstrap: str,
    rdb: RuntimeDb,
    group: str,
    handlers: Mapping[Any, Handler],
    *,
    consumer_cls: type[EventConsumer] = EventConsumer,
    graceful_timeout: float | None = None,
    sessions: Callable[[], AsyncSession] | None = None,
    max_backoff: float = 30.0,
) -> AsyncIterator[Running]:
    """The production broker (make_broker) with one EventConsumer registered, started."""
    registry = CollectorRegistry()
    broker = make_broker(Settings(service="runtime-test", kafka_bootstrap_servers=bootstrap), registry)
    if graceful_timeout is not None:  # production waits 10 s for in-flight batches; tests need not
        broker.config.broker_config.graceful_timeout = graceful_timeout
    consumer = consumer_cls(
        group_id=group,
        handlers=handlers,
        sessions=sessions or rdb.sessions,  # type: ignore[arg-type]
        inbox_table=rdb.inbox,
        broker=broker,
        metrics=RuntimeMetrics(registry),
        max_backoff=max_backoff,
    )
    consumer.register()
    await ensure_topics(bootstrap, [consumer.dead_letter_topic], partitions=1, replication=1)
    await broker.start()
    try:
        yield Running(consumer, registry)
    finally:
        await broker.stop()


async def effects_count(rdb: RuntimeDb, group: str) -> int:
    return len(await rdb.effect_rows(group))


def assert_applied_once_in_order(rows: list[Any], envelopes: list[Envelope]) -> None:
    """Every envelope has exactly one effect, and per subject the effects follow the stream order."""
    ids = [r.event_id for r in rows]
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    missing = sorted({e.id for e in envelopes} - set(ids))
    assert not doubled, f"applied more than once: {doubled}"
    assert not missing, f"never applied: {missing}"
    assert len(rows) == len({e.id for e in envelopes})
    for subject, seqs in seqs_by_subject(rows).items():
        assert seqs == sorted(seqs), f"out of order for {subject}: {seqs}"
