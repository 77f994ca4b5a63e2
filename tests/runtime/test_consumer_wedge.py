"""Records that used to wedge their partition leave it as dead letters, whatever they hold.

- A schema-valid event with ``ce_time=9999-12-31T23:59:59-01:00`` (the year 10000 in UTC) made
  the dead-letter path itself raise (OverflowError building the dead letter's headers); the
  batch was redelivered every 30 s for ever.
- A record near Kafka's 1 MiB limit could not be dead-lettered as it was (the dead-letter
  headers push it over the limit) and the publish was retried for ever. Now it is stored in
  parts with the whole value's digest.
Real broker and PostgreSQL (:mod:`tests.runtime.consumer_harness`).
"""

from __future__ import annotations

import hashlib

import pytest
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from services.runtime.kafka import MAX_REQUEST_BYTES
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
    unique,
    wait_for_value,
)
from tests.runtime.consumer_harness import running_consumer

pytestmark = pytest.mark.infra


def at_the_limit(key: bytes, headers: tuple[tuple[str, bytes], ...], margin: int) -> bytes:
    """A value (not JSON) making the record ``margin`` bytes short of the request limit."""
    size = MAX_REQUEST_BYTES - margin
    base = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, b"", list(headers))
    value = b"{" + b"z" * (size - base - 9)  # less the length varints
    assert DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, list(headers)) <= size
    return value


async def test_records_that_wedged_a_partition_are_dead_lettered_and_the_partition_flows(
        kafka_bootstrap: str, runtime_db: RuntimeDb, probe_topic: ProbeTopic) -> None:
    group = unique("g-wedge")
    ev = probe_topic.event
    subject = "emp-wedge"  # one key: one partition, in this order
    valid = [envelope_of(ev(employee_id=subject, seq=i)) for i in range(3)]
    key = valid[0].key.encode()

    far_env = envelope_of(ev(employee_id=subject, seq=100))
    far_headers = tuple((k, b"9999-12-31T23:59:59-01:00" if k == "ce_time" else v)
                        for k, v in record_of(far_env).headers)
    far = RawRecord(key, far_env.data, far_headers)
    big_env = envelope_of(ev(employee_id=subject, seq=101))
    big_headers = record_of(big_env).headers
    big = RawRecord(key, at_the_limit(key, big_headers, margin=100), big_headers)

    metas = await produce(kafka_bootstrap, probe_topic.name,
                          [record_of(valid[0]), far, record_of(valid[1]), big, record_of(valid[2])])
    assert len({m.partition for m in metas}) == 1

    async with running_consumer(kafka_bootstrap, runtime_db, group, {ev: record_effect(group)}) as run:
        await wait_for_value(lambda: committed_offsets(kafka_bootstrap, group, probe_topic.name),
                             lambda o: o.get(metas[0].partition) == metas[-1].offset + 1, timeout=60,
                             what="the partition committed past both records")
    rows = await runtime_db.effect_rows(group)
    assert [r.event_id for r in rows] == [e.id for e in valid], "valid events lost or reordered"

    dead = await read_topic(kafka_bootstrap, run.consumer.dead_letter_topic, min_count=3, timeout=30)
    far_dead = [d for d in dead if headers_of(d).get("ce_id") == far_env.id]
    assert len(far_dead) == 1 and far_dead[0].value == far.value
    assert "ce_time" in headers_of(far_dead[0])["dlq_reason"]

    parts = sorted((d for d in dead if headers_of(d).get("ce_id") == big_env.id),
                   key=lambda d: headers_of(d)["dlq_part"])
    assert [headers_of(p)["dlq_part"] for p in parts] == ["1/2", "2/2"], "stored in parts"
    whole = b"".join(p.value for p in parts)
    assert whole == big.value, "the raw bytes survive whole"
    h = headers_of(parts[0])
    assert h["dlq_sha256"] == hashlib.sha256(big.value).hexdigest()
    assert "payload does not match" in h["dlq_reason"] and "MessageSizeTooLarge" in h["dlq_refused"]
    assert h["dlq_topic"] == probe_topic.name and h["dlq_offset"] == str(metas[3].offset)
    assert run.registry.get_sample_value("hadir_dead_letters_total",
                                         {"group": group, "topic": probe_topic.name}) == 2
