"""Records the real EventConsumer cannot apply, and bugs outside its handlers.

A poison record (missing or null CloudEvents headers, an unknown type, a payload that does
not match, a handler that fails) goes to the group's dead-letter topic with the reason and
the original headers, and the partition keeps flowing in order; an unexpected error outside
the handlers redelivers the whole batch instead of committing past it. Real broker and
PostgreSQL; each test on a topic and a consumer group of its own
(:mod:`tests.runtime.consumer_harness`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.runtime.consumer import EventConsumer
from tests.runtime.conftest import (
    ProbeTopic,
    RawRecord,
    RuntimeDb,
    committed_offsets,
    envelope_of,
    headers_of,
    produce,
    read_topic,
    record_effect,
    record_of,
    spread_subjects,
    unique,
    wait_for_value,
)
from tests.runtime.consumer_harness import assert_applied_once_in_order, effects_count, running_consumer

pytestmark = pytest.mark.infra


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
