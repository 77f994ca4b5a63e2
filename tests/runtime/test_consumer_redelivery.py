"""Where the real EventConsumer starts reading and what it does again after a restart.

A new consumer group starts at the earliest offset; after a stop or a crash between the
effect's database commit and the Kafka offset commit, the redelivered events are applied
once (the inbox skips them) and in order per subject; a handler that blocks is cancelled
on stop and its event processed after the restart. Real broker and PostgreSQL; each test
on a topic and a consumer group of its own (:mod:`tests.runtime.consumer_harness`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.runtime.consumer import EventConsumer
from tests.runtime.conftest import (
    ProbeTopic,
    RuntimeDb,
    committed_offsets,
    envelope_of,
    produce,
    record_effect,
    record_of,
    unique,
    wait_for_value,
)
from tests.runtime.consumer_harness import assert_applied_once_in_order, effects_count, running_consumer

pytestmark = pytest.mark.infra

REPO_ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ a new group


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


# ------------------------------------------------------------------ redelivery


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


# ------------------------------------------------------------------ crash safety


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



# ------------------------------------------------------------------ cancellation


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
