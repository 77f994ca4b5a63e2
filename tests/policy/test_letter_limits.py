"""A letter too large to travel as one event is refused at the API with a 422 that names the
limit; the largest letter the API takes reaches Kafka whole. Real PostgreSQL and Kafka.

Before the limits, a letter with 90,000 holidays was accepted (201); its 1.17 MB event was
refused by Kafka and the relay retried it for ever while every later policy event waited.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
from aiokafka import AIOKafkaConsumer

from services.contracts import topics
from services.contracts.events import PolicyUpdated
from services.policy.letter_schemas import MAX_CONTENT_BYTES, MAX_HOLIDAYS, MAX_UNIT_ENTRIES, MAX_WINDOWS, LetterContent
from services.runtime.kafka import MAX_REQUEST_BYTES
from tests.policy.conftest import PolicyService, setup_tenant
from tests.policy.test_letters_api import ZONE, letter, today
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra


def days(n: int) -> list[str]:
    return [str(date(2026, 1, 1) + timedelta(days=i)) for i in range(n)]


def windows(n: int) -> list[dict[str, object]]:
    return [{"id": f"w{i}", "name": "Jendela " + "x" * 100, "start": "07:00", "end": "07:30",
             "kinds": ["attendance", "location", "activity_report", "video_conference"]} for i in range(n)]


def errors_of(body: dict[str, object]) -> str:
    return json.dumps(body, ensure_ascii=False)


@pytest.mark.parametrize(("content", "words"), [
    ({"holidays": days(MAX_HOLIDAYS + 1)}, ["holidays", str(MAX_HOLIDAYS)]),
    ({"unit_sectors": {f"u{i}": "essential" for i in range(MAX_UNIT_ENTRIES + 1)}},
     ["unit_sectors", str(MAX_UNIT_ENTRIES)]),
    ({"windows": windows(MAX_WINDOWS + 1)}, ["windows", str(MAX_WINDOWS)]),
    ({"exemptions": {"unit_ids": ["u" * 101]}}, ["unit_ids", "100"]),
    ({"unit_sectors": {f"u{i:04d}" + "x" * 95: "non_essential" for i in range(MAX_UNIT_ENTRIES)}},
     ["content", str(MAX_CONTENT_BYTES), "isi surat"]),  # each list within its bound, the whole too large
], ids=["holidays", "units", "windows", "unit-id", "whole-content"])
async def test_a_letter_too_large_for_one_event_is_refused_naming_the_limit(
        policy: PolicyService, tenant: str, content: dict[str, object], words: list[str]) -> None:
    admin = await setup_tenant(policy, tenant, ZONE)
    r = await policy.client.post("/v1/policies", headers=admin,
                                 json=letter("800/1-BKD/2026", today(), None, **content))
    assert r.status_code == 422, r.text[:500]
    text = errors_of(r.json())
    for word in words:
        assert word in text, (word, text[:800])
    assert (await policy.client.get("/v1/policies", headers=admin)).json() == [], "nothing was stored"


def largest_content() -> dict[str, object]:
    """Every list at its bound (ids of a realistic length), under the byte limit."""
    return {"holidays": days(MAX_HOLIDAYS), "windows": windows(MAX_WINDOWS),
            "unit_sectors": {f"dinas-{i:05d}-upt-puskesmas": "essential" for i in range(MAX_UNIT_ENTRIES)},
            "exemptions": {"unit_ids": [f"sekolah-{i:05d}" for i in range(2_000)]}}


def test_the_largest_letter_the_api_takes_fits_one_kafka_record() -> None:
    content = LetterContent.model_validate(largest_content())
    event = PolicyUpdated(policy_id="x" * 100, number="n" * 100, version=1, title="t" * 300, signatory="s" * 200,
                          legal_basis=["b" * 500] * 50, valid_from=date(2026, 1, 1), timezone=ZONE, content=content)
    size = len(event.model_dump_json())
    assert size < MAX_REQUEST_BYTES - 16 * 1024, f"{size} bytes leave no room for the record's headers"


async def test_the_largest_letter_reaches_kafka_whole(policy: PolicyService, tenant: str, kafka_bootstrap: str) -> None:
    admin = await setup_tenant(policy, tenant, ZONE)
    r = await policy.client.post("/v1/policies", headers=admin,
                                 json=letter("800/2-BKD/2026", today(), None, **largest_content()))
    assert r.status_code == 201, r.text[:500]
    consumer = AIOKafkaConsumer(topics.POLICY_UPDATED, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=f"test-limits-{uuid.uuid4().hex[:6]}",
                                fetch_max_bytes=4 * 1024 * 1024, max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        async def delivered() -> dict[str, object] | None:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if dict(record.headers).get("ce_tenant") == tenant.encode():
                        return json.loads(record.value)  # type: ignore[no-any-return]
            return None

        event = await eventually(delivered, timeout=90, what="the largest letter on Kafka")
    finally:
        await consumer.stop()
    assert len(event["content"]["holidays"]) == MAX_HOLIDAYS  # type: ignore[index]
    assert len(event["content"]["unit_sectors"]) == MAX_UNIT_ENTRIES  # type: ignore[index]
