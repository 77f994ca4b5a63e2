"""The outbox relay on a real PostgreSQL (and, for publishing, a real Kafka broker).

- Two relays on one database publish every row exactly once, each subject in order.
- A round waits for Kafka to settle what it enqueued, never sending a row again meanwhile
  (the idempotent producer would deliver both copies once Kafka is back).
- On shutdown, what Kafka acknowledged is marked, so the next process does not resend it.
- A record Kafka refuses stays pending; the rows after it that Kafka took are marked.
- A round of several chunks hands a chunk over only once the one before is wholly taken.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from services.contracts.envelope import Envelope
from services.runtime import db
from services.runtime.kafka import Producer
from services.runtime.metrics import RuntimeMetrics
from services.runtime.outbox import stage
from services.runtime.relay import OutboxRelay
from services.runtime.settings import Settings
from tests.checkin import kafka_io
from tests.runtime.conftest import ProbeTopic, RuntimeDb, wait_for_value
from tests.support.records import read_to_end

pytestmark = pytest.mark.infra

TENANT = "pemprov-uji"


async def stage_rows(rdb: RuntimeDb, topic: ProbeTopic, subjects: list[str], start_seq: int = 0) -> list[str]:
    """One transaction staging one event per subject; returns the event ids."""
    async with rdb.sessions() as session, session.begin():
        return [
            (await stage(session, rdb.outbox, topic.event(employee_id=s, seq=start_seq + n),
                          tenant=TENANT, source="/hadir/test")).id
            for n, s in enumerate(subjects)
        ]


async def pending(rdb: RuntimeDb) -> int:
    async with rdb.sessions() as session:
        return int(await session.scalar(
            select(func.count()).select_from(rdb.outbox).where(rdb.outbox.c.published_at.is_(None))) or 0)


async def published_ids(rdb: RuntimeDb) -> set[str]:
    async with rdb.sessions() as session:
        return set((await session.scalars(
            select(rdb.outbox.c.event_id).where(rdb.outbox.c.published_at.is_not(None)))).all())


def backlog(metrics: RuntimeMetrics) -> float | None:
    return metrics.registry.get_sample_value("hadir_outbox_backlog")


async def test_two_relays_on_one_database_publish_each_row_exactly_once(
    runtime_db: RuntimeDb, probe_topic: ProbeTopic, kafka_bootstrap: str
) -> None:
    relays: list[tuple[OutboxRelay, RuntimeMetrics, Any, Any]] = []
    for i in range(2):  # two replicas: own engine (connection pool), own producer, own metrics
        engine = db.make_engine(runtime_db.url, pool_size=3)
        metrics = RuntimeMetrics(CollectorRegistry())
        producer = Producer(Settings(service=f"relay-{i}", kafka_bootstrap_servers=kafka_bootstrap,
                                     publish_timeout_seconds=10))
        await producer.start()
        relay = OutboxRelay(db.make_sessions(engine), runtime_db.outbox,
                            producer.send_many, metrics,
                            batch_size=7, round_chunks=3, poll_seconds=0.01)
        relays.append((relay, metrics, producer, engine))
    tasks = [asyncio.create_task(relay.run()) for relay, *_ in relays]
    subjects = [f"1990010120150310{n:02d}" for n in range(10)]
    staged: list[str] = []
    try:
        for wave in range(40):  # 40 transactions of 1-10 rows, both relays woken after each
            batch = subjects[: 1 + wave % 10]
            staged += await stage_rows(runtime_db, probe_topic, batch, start_seq=wave * 10)
            for relay, *_ in relays:
                relay.wake()
            await asyncio.sleep(0.005)
        await wait_for_value(lambda: pending(runtime_db), lambda n: n == 0, timeout=60, what="outbox drained")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for _, _, producer, engine in relays:
            await producer.stop()
            await engine.dispose()

    records = await read_to_end(kafka_bootstrap, probe_topic.name)
    counts = Counter(kafka_io.headers(r)["ce_id"] for r in records)
    assert {i: n for i, n in counts.items() if n > 1} == {}, "a row was published twice"
    assert set(counts) == set(staged) and len(records) == len(staged) == 220
    seqs: dict[str, list[int]] = defaultdict(list)
    for record in records:
        event = kafka_io.envelope(record).payload()
        seqs[event["employee_id"]].append(event["seq"])
    assert all(s == sorted(s) for s in seqs.values()), "a subject's events left the outbox out of order"
    shares = [m.registry.get_sample_value("hadir_outbox_published_total", {"topic": probe_topic.name}) or 0
              for _, m, _, _ in relays]
    print(f"\nrows published by each relay: {shares}")
    assert sum(shares) == 220 and min(shares) > 0, "both relays should have taken turns"


class FakeKafka:
    """A send function whose acknowledgements the test controls."""

    def __init__(self, settle: Callable[[int, asyncio.Future[object]], None] | None = None) -> None:
        self.sent: list[str] = []
        self.futures: list[asyncio.Future[object]] = []
        self._settle = settle

    async def count(self) -> int:
        return len(self.sent)

    async def send(self, topic: str, envelope: Envelope) -> asyncio.Future[object]:
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self.sent.append(envelope.id)
        self.futures.append(future)
        if self._settle is not None:
            self._settle(len(self.futures) - 1, future)
        return future

    async def send_many(self, records: Sequence[tuple[str, Envelope]],
                        futures: list[asyncio.Future[Any] | None]) -> None:
        for index, (topic, envelope) in enumerate(records):
            futures[index] = await self.send(topic, envelope)

    def ack_all(self) -> None:
        for future in self.futures:
            if not future.done():
                future.set_result(None)


def refusing(refused: int) -> Callable[[int, asyncio.Future[object]], None]:
    """Acknowledgements where Kafka refuses the record sent ``refused``-th (from 0) for good."""

    def settle(index: int, future: asyncio.Future[object]) -> None:
        if index == refused:
            future.set_exception(RuntimeError("MessageSizeTooLarge"))
        else:
            future.set_result(None)

    return settle


def relay_for(rdb: RuntimeDb, kafka: FakeKafka, **options: Any) -> tuple[OutboxRelay, RuntimeMetrics]:
    metrics = RuntimeMetrics(CollectorRegistry())
    return OutboxRelay(rdb.sessions, rdb.outbox, kafka.send_many, metrics, **options), metrics


async def test_unacknowledged_records_are_awaited_not_resent(runtime_db: RuntimeDb, probe_topic: ProbeTopic) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["a", "b", "a"])
    kafka = FakeKafka()
    relay, metrics = relay_for(runtime_db, kafka, publish_timeout=0.2, poll_seconds=0.05)
    round_ = asyncio.create_task(relay.publish_batch())
    await wait_for_value(kafka.count, lambda n: n == 3, timeout=10, what="3 sends")

    await asyncio.sleep(1.5)  # Kafka "down" for several publish timeouts
    assert not round_.done(), "the round gave up on records the producer may still deliver"
    assert kafka.sent == ids, "a row was handed to the producer twice"
    assert await pending(runtime_db) == 3
    assert backlog(metrics) == 3, "the backlog gauge must be refreshed while waiting"

    other_kafka = FakeKafka()  # another replica meanwhile: the round's lock keeps it out
    other, other_metrics = relay_for(runtime_db, other_kafka)
    assert await other.publish_batch() == 0 and other_kafka.sent == []
    assert backlog(other_metrics) == 3

    kafka.ack_all()
    assert await asyncio.wait_for(round_, 5) == 3
    assert await published_ids(runtime_db) == set(ids) and backlog(metrics) == 0


@pytest.mark.parametrize("chunking", [{}, {"batch_size": 2, "round_chunks": 3}], ids=["one-chunk", "chunks"])
async def test_shutdown_marks_what_kafka_acknowledged(runtime_db: RuntimeDb, probe_topic: ProbeTopic,
                                                      chunking: dict[str, int]) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["a", "b", "c", "d"])
    loop = asyncio.get_running_loop()
    kafka = FakeKafka(lambda _, f: loop.call_later(0.3, lambda: f.done() or f.set_result(None)))
    relay, _ = relay_for(runtime_db, kafka, shutdown_grace=5, **chunking)
    round_ = asyncio.create_task(relay.publish_batch())
    await wait_for_value(kafka.count, lambda n: n == 4, timeout=10, what="4 sends")
    round_.cancel()  # the service stops while the acknowledgements are on their way
    with pytest.raises(asyncio.CancelledError):
        await round_
    assert await published_ids(runtime_db) == set(ids), "acknowledged rows must be marked before stopping"


async def test_a_refused_record_stays_pending_and_is_retried_alone(runtime_db: RuntimeDb,
                                                                   probe_topic: ProbeTopic) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["a", "a", "a"])
    kafka = FakeKafka(refusing(1))
    relay, metrics = relay_for(runtime_db, kafka)
    with pytest.raises(RuntimeError, match="published 2 of 3"):
        await relay.publish_batch()
    # Kafka took the first and the third: sending the third again would duplicate it.
    assert await published_ids(runtime_db) == {ids[0], ids[2]}
    assert backlog(metrics) == 1

    retry_kafka = FakeKafka(lambda _, f: f.set_result(None))
    retry, _ = relay_for(runtime_db, retry_kafka)
    assert await retry.publish_batch() == 1
    assert retry_kafka.sent == [ids[1]] and await pending(runtime_db) == 0


async def test_a_round_publishes_full_chunks_in_order_and_says_when_more_wait(runtime_db: RuntimeDb,
                                                                             probe_topic: ProbeTopic) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["a", "b", "a", "c", "a", "b", "a"])
    kafka = FakeKafka(lambda _, f: f.set_result(None))
    relay, metrics = relay_for(runtime_db, kafka, batch_size=2, round_chunks=3)
    assert await relay.publish_batch() == 6
    assert kafka.sent == ids[:6] and await published_ids(runtime_db) == set(ids[:6])
    assert not relay.caught_up and backlog(metrics) == 1
    assert await relay.publish_batch() == 1 and relay.caught_up
    assert kafka.sent == ids and await pending(runtime_db) == 0 and backlog(metrics) == 0


async def test_a_chunk_is_not_handed_over_while_the_one_before_is_unacknowledged(runtime_db: RuntimeDb,
                                                                                 probe_topic: ProbeTopic) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["a", "b", "c", "d", "e"])
    kafka = FakeKafka()
    relay, _ = relay_for(runtime_db, kafka, batch_size=2, round_chunks=3)
    round_ = asyncio.create_task(relay.publish_batch())
    await wait_for_value(kafka.count, lambda n: n == 2, timeout=10, what="the first chunk")
    await asyncio.sleep(0.3)
    assert kafka.sent == ids[:2], "the next chunk went out before Kafka settled the first"
    kafka.ack_all()
    await wait_for_value(kafka.count, lambda n: n == 4, timeout=10, what="the second chunk")
    kafka.ack_all()
    await wait_for_value(kafka.count, lambda n: n == 5, timeout=10, what="the third chunk")
    kafka.ack_all()
    assert await asyncio.wait_for(round_, 5) == 5 and relay.caught_up
    assert kafka.sent == ids and await pending(runtime_db) == 0


async def test_a_refused_record_ends_the_round_at_its_chunk(runtime_db: RuntimeDb, probe_topic: ProbeTopic) -> None:
    ids = await stage_rows(runtime_db, probe_topic, ["a", "a", "a", "a", "a", "a"])
    kafka = FakeKafka(refusing(2))
    relay, metrics = relay_for(runtime_db, kafka, batch_size=2, round_chunks=3)
    with pytest.raises(RuntimeError, match="published 1 of 2"):
        await relay.publish_batch()
    assert kafka.sent == ids[:4], "no chunk may follow one Kafka did not wholly take"
    assert await published_ids(runtime_db) == {ids[0], ids[1], ids[3]}
    assert await pending(runtime_db) == 3 and backlog(metrics) == 3, "a full last chunk: the backlog is counted"
