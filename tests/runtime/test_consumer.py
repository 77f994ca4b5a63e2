"""EventConsumer on a real Kafka broker and a real PostgreSQL.

The pitfalls of DESIGN.md ("Reliability pitfalls ... to test on a real broker") do not
show on FastStream's in-memory TestKafkaBroker, which never commits, seeks or rebalances.
Each test here runs the real consumer (batch subscriber, manual acks, inbox in the effect's
transaction) against the session's broker and database, on a topic and a consumer group
of its own, and fails if the behaviour it names breaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.runtime.consumer import EventConsumer, Handler
from services.runtime.kafka import ensure_topics, make_broker, publish_envelope
from services.runtime.metrics import RuntimeMetrics
from services.runtime.settings import Settings
from tests.runtime.conftest import (
    ProbeTopic,
    RawRecord,
    RuntimeDb,
    committed_offsets,
    create_runtime_db,
    envelope_of,
    headers_of,
    produce,
    read_topic,
    record_effect,
    record_of,
    seqs_by_subject,
    spread_subjects,
    unique,
    wait_for_value,
)
from tests.support import infra
from tools.kafka import cluster as kafka_local
from tools.postgres import cluster as postgres_local

pytestmark = pytest.mark.infra

REPO_ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ harness


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


# ------------------------------------------------------------------ 1. redelivery


class StallBeforeAck(EventConsumer):
    """Applies a batch (effect + inbox committed) and then never acks it: a crash in that window."""

    applied: asyncio.Event

    async def process(self, records: Any) -> None:
        await super().process(records)
        type(self).applied.set()
        await asyncio.Event().wait()  # cancelled by broker.stop(): the offset is never committed


async def test_redelivered_event_is_applied_once_after_restart_before_commit(
    kafka_bootstrap: str, runtime_db: RuntimeDb, probe_topic: ProbeTopic
) -> None:
    group = unique("g-redelivery")
    handlers = {probe_topic.event: record_effect(group)}
    envs = [envelope_of(probe_topic.event(employee_id=f"emp{i % 3}", seq=i)) for i in range(6)]
    # The same event (same ce_id) twice in the stream, as a producer retry or an outbox relay would.
    await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs] + [record_of(envs[2])])

    StallBeforeAck.applied = asyncio.Event()
    async with running_consumer(kafka_bootstrap, runtime_db, group, handlers,
                                consumer_cls=StallBeforeAck, graceful_timeout=1):
        await asyncio.wait_for(StallBeforeAck.applied.wait(), 30)
    applied_first = await effects_count(runtime_db, group)
    assert applied_first >= 1
    assert await committed_offsets(kafka_bootstrap, group, probe_topic.name) == {}, "offset committed before ack"

    # Restart: everything is redelivered (nothing was committed); a third copy of one event arrives too.
    async with running_consumer(kafka_bootstrap, runtime_db, group, handlers) as run:
        await produce(kafka_bootstrap, probe_topic.name, [record_of(envs[4])])
        # 8 records delivered; 6 - applied_first of them are new, the others are skipped by the inbox.
        await wait_for_value(lambda: asyncio.sleep(0, run.duplicates), lambda d: d >= applied_first + 2,
                             what="redelivered records skipped by the inbox")
        await wait_for_value(lambda: effects_count(runtime_db, group), lambda n: n >= len(envs), what="effects")
        await asyncio.sleep(0.5)
        assert run.duplicates == applied_first + 2
    assert_applied_once_in_order(await runtime_db.effect_rows(group), envs)
    offsets = await committed_offsets(kafka_bootstrap, group, probe_topic.name)
    assert sum(offsets.values()) == 8


# ------------------------------------------------------------------ 2. crash safety


def spawn_consumer(bootstrap: str, rdb: RuntimeDb, topic: str, group: str, log: Path, *extra: str) -> subprocess.Popen:
    out = open(log, "ab")  # noqa: SIM115 — handed to the child, closed with it
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.runtime.consumer_proc", "--bootstrap", bootstrap,
             "--database-url", rdb.url, "--topic", topic, "--group", group, *extra],
            cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    finally:
        out.close()


async def wait_exit(proc: subprocess.Popen, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"consumer process {proc.pid} still running after {timeout:.0f} s")
        await asyncio.sleep(0.1)
    return proc.returncode


async def test_sigkill_mid_stream_then_restart_applies_every_event_exactly_once(
    kafka_bootstrap: str, runtime_db: RuntimeDb, probe_topic: ProbeTopic, tmp_path: Path
) -> None:
    group = unique("g-crash")
    envs = [envelope_of(probe_topic.event(employee_id=f"emp{i % 7}", seq=i)) for i in range(300)]
    log = tmp_path / "consumer.log"
    slow = ("--batch-size", "25", "--handler-delay", "0.01")
    procs: list[subprocess.Popen] = []
    try:
        await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[:150]])
        procs.append(first := spawn_consumer(kafka_bootstrap, runtime_db, probe_topic.name, group, log, *slow))
        await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[150:]])

        # 1. kill -9 from outside, in the middle of the stream
        await wait_for_value(lambda: effects_count(runtime_db, group), lambda n: n >= 60, timeout=60,
                             what="first consumer's progress")
        first.send_signal(signal.SIGKILL)
        assert await wait_exit(first, 10) == -signal.SIGKILL
        after_first = await effects_count(runtime_db, group)
        assert after_first < len(envs), "the stream was over before the crash"

        # 2. a consumer that dies right after a database commit, before the offset commit
        procs.append(second := spawn_consumer(kafka_bootstrap, runtime_db, probe_topic.name, group, log,
                                              *slow, "--crash-after-effects", "20"))
        assert await wait_exit(second, 90) == -signal.SIGKILL
        rows = await runtime_db.effect_rows(group)
        assert sum(r.pid == second.pid for r in rows) >= 20

        # 3. a consumer that runs to the end
        procs.append(spawn_consumer(kafka_bootstrap, runtime_db, probe_topic.name, group, log))
        await wait_for_value(lambda: effects_count(runtime_db, group), lambda n: n >= len(envs), timeout=90,
                             what="all effects after the restarts")
        await asyncio.sleep(1)  # any double application would land now
        assert_applied_once_in_order(await runtime_db.effect_rows(group), envs)
        offsets = await wait_for_value(lambda: committed_offsets(kafka_bootstrap, group, probe_topic.name),
                                       lambda o: sum(o.values()) == len(envs), what="final commit")
        assert sum(offsets.values()) == len(envs)
    except BaseException:
        print(log.read_text(errors="replace")[-5000:])
        raise
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                with contextlib.suppress(AssertionError):
                    await wait_exit(proc, 20)
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# ------------------------------------------------------------------ 3. cancellation


async def test_stop_while_handler_blocked_commits_nothing_and_restart_processes_it(
    kafka_bootstrap: str, runtime_db: RuntimeDb, probe_topic: ProbeTopic
) -> None:
    group = unique("g-cancel")
    ev = probe_topic.event
    write = record_effect(group)
    blocked, cancelled = asyncio.Event(), asyncio.Event()

    async def blocking(session: AsyncSession, envelope: Envelope, event: Any) -> None:
        await write(session, envelope, event)
        if event.fail:
            blocked.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

    first = envelope_of(ev(employee_id="emp1", seq=0))
    rest = [envelope_of(ev(employee_id="emp1", seq=i, fail=(i == 2))) for i in (1, 2, 3)]
    async with running_consumer(kafka_bootstrap, runtime_db, group, {ev: blocking}, graceful_timeout=1):
        [meta0] = await produce(kafka_bootstrap, probe_topic.name, [record_of(first)])
        partition = meta0.partition
        await wait_for_value(lambda: committed_offsets(kafka_bootstrap, group, probe_topic.name),
                             lambda o: o.get(partition) == meta0.offset + 1, what="first event committed")
        metas = await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in rest])
        await asyncio.wait_for(blocked.wait(), 30)
        started = time.monotonic()
    assert time.monotonic() - started < 8, "stop did not give up on the blocked handler"
    assert cancelled.is_set(), "the blocked handler was not cancelled"

    blocked_offset = metas[1].offset
    committed = (await committed_offsets(kafka_bootstrap, group, probe_topic.name))[partition]
    assert committed <= blocked_offset, "the offset of a message whose handler was cancelled got committed"
    rows = await runtime_db.effect_rows(group)
    assert rest[1].id not in {r.event_id for r in rows}, "a cancelled handler's effect was committed"

    async with running_consumer(kafka_bootstrap, runtime_db, group, {ev: write}):
        await wait_for_value(lambda: effects_count(runtime_db, group), lambda n: n >= 4, what="effects after restart")
        await wait_for_value(lambda: committed_offsets(kafka_bootstrap, group, probe_topic.name),
                             lambda o: o.get(partition) == metas[-1].offset + 1, what="commit after restart")
    assert_applied_once_in_order(await runtime_db.effect_rows(group), [first, *rest])


# ------------------------------------------------------------------ 4. poison messages


async def test_poison_messages_go_to_dead_letter_topic_and_partition_keeps_flowing(
    kafka_bootstrap: str, runtime_db: RuntimeDb, probe_topic: ProbeTopic
) -> None:
    group = unique("g-poison")
    ev = probe_topic.event
    write = record_effect(group)

    async def handler(session: AsyncSession, envelope: Envelope, event: Any) -> None:
        if event.fail:
            raise ValueError(f"cannot apply seq {event.seq}")
        await write(session, envelope, event)

    subject = "emp-poison"  # one key: everything below is in one partition, in this order
    valid = [envelope_of(ev(employee_id=subject, seq=i)) for i in range(7)]
    key = valid[0].key.encode()

    missing_headers = RawRecord(key, valid[0].data, (("ce_source", b"/hadir/test"), ("ce_type", ev.TYPE.encode()),
                                                     ("x-null", None)))
    unknown_type = envelope_of(ev(employee_id=subject, seq=100))
    unknown_type_headers = {**unknown_type.headers(), "ce_type": "hadir.nothing.v1"}
    unknown = RawRecord(key, unknown_type.data, tuple((k, v.encode()) for k, v in unknown_type_headers.items()))
    invalid_env = envelope_of(ev(employee_id=subject, seq=101))
    invalid = RawRecord(key, b'{"employee_id": "emp-poison", "seq": "not a number"}',
                        record_of(invalid_env).headers)
    not_json_env = envelope_of(ev(employee_id=subject, seq=102))
    not_json = RawRecord(key, b"{not json", record_of(not_json_env).headers)
    failing = envelope_of(ev(employee_id=subject, seq=103, fail=True))
    null_id_env = envelope_of(ev(employee_id=subject, seq=104))
    null_id = RawRecord(key, null_id_env.data,
                        tuple((k, None if k == "ce_id" else v) for k, v in record_of(null_id_env).headers))

    stream = [
        record_of(valid[0]), missing_headers,
        record_of(valid[1]), unknown,
        record_of(valid[2]), invalid,
        record_of(valid[3]), record_of(failing),
        record_of(valid[4]), not_json,
        record_of(valid[5]), null_id,
        record_of(valid[6]),
    ]
    metas = await produce(kafka_bootstrap, probe_topic.name, stream)
    assert len({m.partition for m in metas}) == 1

    async with running_consumer(kafka_bootstrap, runtime_db, group, {ev: handler}) as run:
        await wait_for_value(lambda: committed_offsets(kafka_bootstrap, group, probe_topic.name),
                             lambda o: o.get(metas[0].partition) == metas[-1].offset + 1, what="stream committed")
        assert run.dead_letters == 6

    rows = await runtime_db.effect_rows(group)
    assert [r.event_id for r in rows] == [e.id for e in valid], "valid events lost or reordered around the poison"

    dead = await read_topic(kafka_bootstrap, run.consumer.dead_letter_topic, min_count=6)
    assert run.consumer.dead_letter_topic == f"deadletter.{group}.v1"
    assert len(dead) == 6, [headers_of(d) for d in dead]
    for h in map(headers_of, dead):
        assert h["dlq_group"] == group
        assert h["dlq_topic"] == probe_topic.name
    expected = [
        (missing_headers, None, ["missing CloudEvents header", "ce_id"]),
        (unknown, unknown_type, ["unknown ce_type", "hadir.nothing.v1"]),
        (invalid, invalid_env, ["payload does not match", "seq"]),
        (not_json, not_json_env, ["payload does not match", "JSON"]),
        (record_of(failing), failing, ["handler failed", "cannot apply seq 103"]),
        (null_id, None, ["missing CloudEvents header", "ce_id"]),  # a null ce_id is no id (not "None")
    ]
    by_value = {d.value: d for d in dead}
    for original, env, words in expected:
        record = by_value.get(original.value)
        assert record is not None, f"not dead-lettered: {words[0]}"
        h = headers_of(record)
        for word in words:
            assert word in h["dlq_reason"], (word, h["dlq_reason"])
        assert record.key == original.key
        if env is None:
            assert h["ce_source"] == "/hadir/test" and h["ce_type"] == ev.TYPE
        else:
            originals = dict(original.headers)
            for name in ("ce_id", "ce_type", "ce_source", "ce_tenant", "ce_subject", "ce_specversion"):
                assert h[name] == (originals[name] or b"").decode(), name


async def test_unexpected_consumer_error_redelivers_the_batch_instead_of_skipping_it(
    kafka_bootstrap: str, runtime_db: RuntimeDb, probe_topic: ProbeTopic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug outside the handlers (here: in ``process``) must not let the offsets move past the batch,
    on any of the batch's partitions; the events after it must not commit past it either."""
    group = unique("g-bug")
    ev = probe_topic.event
    subjects = spread_subjects(3, probe_topic.partitions)
    envs = [envelope_of(ev(employee_id=subjects[i % 3], seq=i)) for i in range(12)]
    original = EventConsumer.process
    failed_batch: set[int] = set()

    async def flaky_process(self: EventConsumer, records: Any) -> None:
        if not failed_batch:
            failed_batch.update(r.partition for r in records)
            raise RuntimeError("bug")
        await original(self, records)

    monkeypatch.setattr(EventConsumer, "process", flaky_process)
    first = await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[:6]])
    async with running_consumer(kafka_bootstrap, runtime_db, group, {ev: record_effect(group)}):
        await wait_for_value(lambda: asyncio.sleep(0, failed_batch), bool, what="the failing batch")
        rest = await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[6:]])
        ends = {m.partition: m.offset + 1 for m in first + rest}  # later records overwrite: the last offsets
        await wait_for_value(lambda: committed_offsets(kafka_bootstrap, group, probe_topic.name),
                             lambda o: all(o.get(p) == end for p, end in ends.items()),
                             what="every partition committed to its end")
        assert len(ends) == 3
        await wait_for_value(lambda: effects_count(runtime_db, group), lambda n: n >= len(envs), timeout=15,
                             what="every event applied")
    assert_applied_once_in_order(await runtime_db.effect_rows(group), envs)


# ------------------------------------------------------------------ 5. transient failures


async def test_database_restart_is_retried_with_backoff_in_order_without_dead_letters(
    kafka_bootstrap: str, probe_topic: ProbeTopic
) -> None:
    """PostgreSQL goes through a real restart: first refusing new connections while it shuts
    down (SQLSTATE 57P03), then down (connection refused), then up again."""
    group = unique("g-transient")
    ev = probe_topic.event
    subjects = [f"emp{i}" for i in range(3)]
    envs = [envelope_of(ev(employee_id=subjects[i % 3], seq=i)) for i in range(30)]
    pg = await asyncio.to_thread(postgres_local.start_throwaway)
    rdb: RuntimeDb | None = None
    try:
        rdb = await create_runtime_db(pg.url("postgres"))
        attempts: list[float] = []

        def counting_sessions() -> AsyncSession:
            attempts.append(time.monotonic())
            return rdb.sessions()

        async with running_consumer(kafka_bootstrap, rdb, group, {ev: record_effect(group)},
                                    sessions=counting_sessions) as run:
            await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[:10]])
            await wait_for_value(lambda: effects_count(rdb, group), lambda n: n >= 10, what="effects before")

            # Restart: a fast stop ends every session; the server comes back, but a client keeps it
            # in a smart shutdown ("the database system is shutting down") for a while, then it stops.
            await asyncio.to_thread(pg.stop, "fast")
            await asyncio.to_thread(pg.start)
            holder = await asyncpg.connect(pg.url("postgres").replace("postgresql+asyncpg", "postgresql"))
            await asyncio.to_thread(_pg_ctl_no_wait, pg, "stop", "-m", "smart")
            outage_start = time.monotonic()
            await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[10:20]])
            await asyncio.sleep(3)
            await holder.close()
            await asyncio.to_thread(_wait_stopped, pg)
            await asyncio.sleep(2)
            await asyncio.to_thread(pg.start)
            outage = time.monotonic() - outage_start
            await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs[20:]])

            await wait_for_value(lambda: effects_count(rdb, group), lambda n: n >= len(envs), timeout=45,
                                 what="effects after the restart")
            assert run.dead_letters == 0, "a transient database failure was dead-lettered"
            retries = run.retries

        during = [t for t in attempts if outage_start <= t <= outage_start + outage]
        assert retries >= 3, f"the outage was not retried ({retries} retries)"
        # Capped exponential backoff: a handful of attempts in a few seconds, not a tight loop.
        assert len(during) <= 20, f"{len(during)} attempts in {outage:.1f} s: a tight loop"
        gaps = [b - a for a, b in itertools.pairwise(during)]
        assert gaps and max(gaps) >= 0.5, f"no backoff between attempts: {gaps}"
        assert_applied_once_in_order(await rdb.effect_rows(group), envs)
        assert await read_topic(kafka_bootstrap, run.consumer.dead_letter_topic, settle=0.5) == []
    finally:
        if rdb is not None:
            await rdb.engine.dispose()
        await asyncio.to_thread(pg.destroy)


def _pg_ctl_no_wait(pg: postgres_local.LocalPostgres, *args: str) -> None:
    cmd = [str(pg.bindir / "pg_ctl"), *args, "-D", str(pg.pgdata), "-W"]
    postgres_local._run_server_cmd(cmd, cwd=pg.data_dir, timeout=30)


def _wait_stopped(pg: postgres_local.LocalPostgres, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while pg.is_running():
        if time.monotonic() > deadline:
            raise AssertionError("PostgreSQL did not stop")
        time.sleep(0.05)


# ------------------------------------------------------------------ 6. auto_offset_reset


async def test_new_group_starts_at_earliest_and_consumes_events_produced_before_it(
    kafka_bootstrap: str, runtime_db: RuntimeDb, probe_topic: ProbeTopic
) -> None:
    group = unique("g-earliest")
    ev = probe_topic.event
    envs = [envelope_of(ev(employee_id=f"emp{i}", seq=i)) for i in range(5)]
    await produce(kafka_bootstrap, probe_topic.name, [record_of(e) for e in envs])
    assert await committed_offsets(kafka_bootstrap, group, probe_topic.name) == {}

    async with running_consumer(kafka_bootstrap, runtime_db, group, {ev: record_effect(group)}) as run:
        subscriber = next(iter(run.consumer._broker.subscribers))
        kafka_consumer = subscriber.consumer  # type: ignore[attr-defined]
        assert kafka_consumer._group_id == group
        assert kafka_consumer._enable_auto_commit is False
        assert kafka_consumer._auto_offset_reset == "earliest"
        await wait_for_value(lambda: effects_count(runtime_db, group), lambda n: n >= len(envs),
                             what="events produced before the group existed")
    assert_applied_once_in_order(await runtime_db.effect_rows(group), envs)


# ------------------------------------------------------------------ 7. producer


async def test_producer_is_idempotent_and_publish_gives_up_within_timeout_when_kafka_is_down() -> None:
    timeout = 2.0
    with tempfile.TemporaryDirectory(prefix="hadir-test-kafka-down-") as tmp:
        try:
            cluster = await asyncio.to_thread(kafka_local.start, Path(tmp), 1, infra.free_port_block(24092))
        except Exception as exc:  # noqa: BLE001
            infra.unavailable("Kafka", f"own local broker did not start: {exc}")
        broker = make_broker(Settings(service="producer-test", kafka_bootstrap_servers=cluster.bootstrap,
                                      publish_timeout_seconds=timeout), CollectorRegistry())
        stopped = False
        try:
            await broker.start()
            producer = broker.config.broker_config.producer._producer.producer  # type: ignore[attr-defined]
            assert producer._txn_manager is not None, "producer is not idempotent"
            assert producer._sender._acks == -1, "producer does not wait for all in-sync replicas (acks=all)"

            topic = unique("test.producer") + ".v1"
            await ensure_topics(cluster.bootstrap, [topic], partitions=1, replication=1)
            first, during = (Envelope(type="hadir.test.v1", source="/hadir/test", tenant="t", subject="s",
                                      data=b"{}") for _ in range(2))
            await publish_envelope(broker, topic, first, timeout)
            assert producer._txn_manager.producer_id >= 0, "the broker gave no producer id: not idempotent"

            await asyncio.to_thread(cluster.stop)
            for target in (topic, unique("test.producer.new") + ".v1"):  # known topic; then a metadata wait
                started = time.monotonic()
                with pytest.raises(Exception):  # noqa: B017 — any error, as long as it comes in time
                    await asyncio.wait_for(publish_envelope(broker, target, during, timeout), 5 * timeout)
                elapsed = time.monotonic() - started
                assert elapsed <= timeout + 1, f"publish to {target} took {elapsed:.1f} s (timeout {timeout} s)"

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
