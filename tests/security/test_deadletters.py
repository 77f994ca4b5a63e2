"""Malformed events on every topic end in the dead-letter topic of every consumer group that
subscribes to the topic, with a ``dlq_reason``; the services keep processing valid events.

On each topic of ``services.contracts.topics.ALL``: a record without CloudEvents headers, one
with a ce_type that exists nowhere, one with the ce_type of another topic (an event misrouted
by a producer), and two with the topic's own ce_type and a payload that is not valid (wrong
fields; not JSON). The groups and their topics come from the services' own wiring.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from services.contracts import topics
from services.contracts.marks import CheckinsEvaluatedMark, CheckinsReceivedMark
from services.contracts.registry import EVENT_TYPES, event_classes_on
from tests.security.apps import consumer_groups
from tests.security.conftest import FIGURES, Tenants
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools.suite import Suite

MARK = "x-hadir-test"
# Watermark marks ride on the check-in topics, but only some groups read them: the poison below is of the
# topics' own types, which every subscriber of the topic handles.
EVENTS = {t: cls for t, cls in EVENT_TYPES.items() if t not in {CheckinsReceivedMark.TYPE, CheckinsEvaluatedMark.TYPE}}


def ce_headers(ce_type: str, tenant: str) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in {
        "ce_id": str(uuid.uuid4()), "ce_source": "/hadir/security-test", "ce_type": ce_type, "ce_specversion": "1.0",
        "ce_time": datetime.now(UTC).isoformat(), "ce_subject": "x", "ce_tenant": tenant,
        "content-type": "application/json"}.items()]


def misrouted_type(topic: str, groups: dict[str, list[str]], handled: dict[str, set[str]]) -> str:
    """The ce_type of another topic that the most subscribers of ``topic`` handle."""
    subscribers = [g for g, ts in groups.items() if topic in ts]
    others = [t for t, cls in EVENTS.items() if cls.TOPIC != topic]
    return max(others, key=lambda t: (sum(t in handled[g] for g in subscribers), t))


async def test_malformed_events_on_every_topic_are_dead_lettered(
    security_suite: Suite, tenants: Tenants, security_tokens: Tokens, security_kafka: str, tmp_path: Path
) -> None:
    b = tenants.b
    groups = consumer_groups(tmp_path)
    handled = {g: {t for t, cls in EVENTS.items() if cls.TOPIC in ts} for g, ts in groups.items()}
    key = f"{b.tenant}/{b.nips[0]}".encode()  # the partition the valid events below will use
    expected: dict[tuple[str, str], str] = {}  # (mark, group) -> what was sent
    ignored: list[str] = []
    producer = AIOKafkaProducer(bootstrap_servers=security_kafka, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for topic in topics.ALL:
            [own] = [cls.TYPE for cls in event_classes_on(topic) if cls.TYPE in EVENTS]
            wrong = misrouted_type(topic, groups, handled)
            cases = {
                "no CloudEvents headers": ([], b'{"tenant": "x"}'),
                "unknown ce_type": (ce_headers(f"hadir.{topic}.bogus", b.tenant), b"{}"),
                f"ce_type of another topic ({wrong})": (ce_headers(wrong, b.tenant), b"{}"),
                "payload not matching the schema": (ce_headers(own, b.tenant), b'{"unexpected": true}'),
                "payload not JSON": (ce_headers(own, b.tenant), b"\xff\xfe not json"),
            }
            for case, (headers, value) in cases.items():
                mark = f"{topic} | {case} | {uuid.uuid4().hex[:6]}"
                await producer.send_and_wait(topic, value, key=key, headers=[*headers, (MARK, mark.encode())])
                for group, subscribed in groups.items():
                    if topic not in subscribed:
                        continue
                    if case.startswith("ce_type of another") and wrong not in handled[group]:
                        ignored.append(f"{group} ignores {wrong} on {topic} (it does not handle that type)")
                        continue
                    expected[(mark, group)] = case
    finally:
        await producer.stop()

    # The services keep working: a directory change and a check-in on the very partitions the
    # poison went to flow through policy and back to the check-in service.
    await valid_events_still_flow(security_suite, security_tokens, tenants)

    found = await collect_dead_letters(security_kafka, sorted(groups), expected)
    missing = sorted(f"{group}: {mark}" for (mark, group) in expected if (mark, group) not in found)
    lag = await caught_up(security_kafka, groups)
    per_topic: dict[str, int] = defaultdict(int)
    for mark, _ in expected:
        per_topic[mark.split(" | ")[0]] += 1
    FIGURES["dead_letters"] = {
        "records_published": 5 * len(topics.ALL), "expected_dead_letters": len(expected),
        "found": len(found), "missing": missing, "per_topic_expected": dict(per_topic),
        "topics_without_consumers": [t for t in topics.ALL if not any(t in ts for ts in groups.values())],
        "misrouted_known_type_ignored": ignored, "consumer_lag_after": lag,
    }
    lines = [f"dead letters: {len(found)}/{len(expected)} malformed records found in deadletter.<group>.v1 with "
             f"dlq_reason ({5 * len(topics.ALL)} published on {len(topics.ALL)} topics); consumer lag after: {lag}"]
    lines += [f"  not dead-lettered (skipped): {i}" for i in ignored]
    FIGURES["dead_letters"]["lines"] = lines
    print("\n" + "\n".join(lines))
    assert not missing, "not dead-lettered:\n" + "\n".join(missing)
    assert all(v == 0 for v in lag.values()), f"consumer groups stuck behind: {lag}"


async def valid_events_still_flow(suite: Suite, tokens: Tokens, tenants: Tenants) -> None:
    b = tenants.b
    admin = tokens.admin(b.tenant)
    employee = tokens.employee(b.tenant, b.nips[0], b.units[0])
    async with httpx.AsyncClient(timeout=15) as http:
        changed = {**b.bodies[("PUT", "/v1/employees/{nip}")], "position": f"Analis muda {b.tag}"}
        r = await http.put(f"{suite['policy'].url}/v1/employees/{b.nips[0]}", headers=admin, json=changed)
        assert r.status_code == 200, r.text
        body = {"kind": "location", "captured_at": datetime.now(UTC).isoformat(),
                "location": {"latitude": -6.12, "longitude": 106.1503, "accuracy_m": 10}}
        r = await http.post(f"{suite['checkin'].url}/v1/checkins", headers={**employee, "Idempotency-Key":
                            f"after-poison-{uuid.uuid4().hex[:6]}"}, json=body)
        assert r.status_code == 201, r.text
        checkin_id = r.json()["id"]

        async def evaluated() -> Any:
            rows = (await http.get(f"{suite['checkin'].url}/v1/checkins/mine", headers=employee)).json()["items"]
            return next((c for c in rows if c["id"] == checkin_id and c["status"] != "pending"), None)

        await eventually(evaluated, timeout=45, what="a check-in made after the poison evaluated")


async def collect_dead_letters(bootstrap: str, groups: list[str],
                               expected: dict[tuple[str, str], str]) -> dict[tuple[str, str], dict[str, str]]:
    consumer = AIOKafkaConsumer(*(topics.dead_letter_topic(g) for g in groups), bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                group_id=f"security-dlq-{uuid.uuid4().hex[:6]}")
    found: dict[tuple[str, str], dict[str, str]] = {}
    await consumer.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(found) < len(expected):
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                for record in records:
                    headers = {k: (v or b"").decode(errors="replace") for k, v in record.headers or ()}
                    pair = (headers.get(MARK, ""), headers.get("dlq_group", ""))
                    if pair in expected and headers.get("dlq_reason") \
                            and record.topic == topics.dead_letter_topic(pair[1]):
                        found[pair] = headers
    finally:
        await consumer.stop()
    return found


async def caught_up(bootstrap: str, groups: dict[str, list[str]], timeout: float = 60) -> dict[str, int]:
    """Each group's lag (end offset minus committed) summed over its topics, once all are 0 or
    the time is up: a poison record that blocked its partition would keep it above 0."""
    deadline = time.monotonic() + timeout
    while True:
        lag = await lagging(bootstrap, groups)
        if all(v == 0 for v in lag.values()) or time.monotonic() > deadline:
            return lag
        await asyncio.sleep(1)


async def lagging(bootstrap: str, groups: dict[str, list[str]]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await probe.start()
    try:
        lag: dict[str, int] = {}
        for group, subscribed in groups.items():
            committed = await admin.list_consumer_group_offsets(group)
            partitions = [TopicPartition(t, p) for t in subscribed for p in probe.partitions_for_topic(t) or ()]
            if not partitions:
                await probe.topics()
                partitions = [TopicPartition(t, p) for t in subscribed for p in probe.partitions_for_topic(t) or ()]
            ends = await probe.end_offsets(partitions)
            lag[group] = sum(ends[tp] - (committed[tp].offset if tp in committed else 0) for tp in partitions)
        return lag
    finally:
        await probe.stop()
        await admin.close()
