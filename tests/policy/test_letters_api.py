"""Circular letters through the API on real PostgreSQL and Kafka: a letter is created once;
amendments and extensions are new versions that close their predecessors; the history
keeps every version; the version in force follows the date; versions are published once,
future ones when their day comes. Each test has its own tenant."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from services.contracts import topics
from services.policy.letters import publish_due
from services.policy.store import PolicyVersion
from tests.policy.conftest import PolicyService, setup_tenant
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

UPDATED = "hadir.policy.updated.v1"
ZONE = "Asia/Makassar"
FIRST, AMENDMENT, EXTENSION = "800/258-BKD/2022", "800/271-BKD/2022", "800/300-BKD/2022"


def today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()


def letter(number: str, start: date, end: date | None, **content: object) -> dict[str, object]:
    return {"number": number, "title": "Penyesuaian sistem kerja ASN", "signatory": "Sekretaris Daerah",
            "legal_basis": ["SE MenPAN-RB 19/2020", "Inmendagri 06/2022"], "valid_from": str(start),
            "valid_until": str(end) if end else None, "content": content}


async def new_letter(policy: PolicyService, tenant: str, **content: object) -> tuple[dict[str, str], dict[str, Any]]:
    """The tenant set up and its first letter (in force from 30 days ago to 10 days ahead): admin headers, v1."""
    admin = await setup_tenant(policy, tenant, ZONE)
    day = today()
    r = await policy.client.post("/v1/policies", headers=admin,
                                 json=letter(FIRST, day - timedelta(30), day + timedelta(10), **content))
    assert r.status_code == 201, r.text
    return admin, r.json()


async def amend(policy: PolicyService, admin: dict[str, str], pid: str) -> dict[str, Any]:
    """A new version (an amendment) from two days ago to the same end, the non-essential quota raised to 50 %."""
    r = await policy.client.post(f"/v1/policies/{pid}/versions", headers=admin, json=letter(
        AMENDMENT, today() - timedelta(2), today() + timedelta(10), sector_quotas={"non_essential": 50}))
    assert r.status_code == 201, r.text
    return r.json()


async def extend(policy: PolicyService, admin: dict[str, str], pid: str) -> dict[str, Any]:
    """A version without end from the day after the current one ends."""
    r = await policy.client.post(f"/v1/policies/{pid}/extensions", headers=admin,
                                 json={"valid_until": None, "number": EXTENSION})
    assert r.status_code == 201, r.text
    return r.json()


async def amended_and_extended(policy: PolicyService, tenant: str) -> tuple[dict[str, str], str]:
    """Version 1 (until three days ago), 2 (in force), 3 (scheduled, from day 11): admin headers, policy id."""
    admin, v1 = await new_letter(policy, tenant)
    await amend(policy, admin, v1["policy_id"])
    await extend(policy, admin, v1["policy_id"])
    return admin, v1["policy_id"]


async def test_a_new_letter_is_version_1_in_force_with_the_se_default_quotas(
    policy: PolicyService, tenant: str
) -> None:
    _, v1 = await new_letter(policy, tenant)
    assert (v1["policy_id"], v1["version"], v1["status"]) == ("800-258-bkd-2022", 1, "in_force")
    assert v1["content"]["sector_quotas"] == {"critical": 100, "essential": 50, "non_essential": 25}


async def test_a_letter_number_that_exists_cannot_be_created_again(policy: PolicyService, tenant: str) -> None:
    admin, _ = await new_letter(policy, tenant)
    again = await policy.client.post("/v1/policies", headers=admin, json=letter(FIRST, today(), None))
    assert again.status_code == 409, again.text


async def test_an_amendment_is_a_new_version_that_ends_the_previous_one_the_day_before(
    policy: PolicyService, tenant: str
) -> None:
    admin, v1 = await new_letter(policy, tenant)
    v2 = await amend(policy, admin, v1["policy_id"])
    day = today()
    assert (v2["version"], v2["status"], v2["valid_from"]) == (2, "in_force", str(day - timedelta(2)))
    history = (await policy.client.get(f"/v1/policies/{v1['policy_id']}/versions", headers=admin)).json()
    assert [(h["version"], h["valid_until"], h["superseded_by"], h["status"]) for h in history] == [
        (1, str(day - timedelta(3)), 2, "superseded"), (2, str(day + timedelta(10)), None, "in_force")]


async def test_an_extension_is_a_new_version_from_the_day_after_the_end_with_the_content_carried_over(
    policy: PolicyService, tenant: str
) -> None:
    admin, v1 = await new_letter(policy, tenant, sector_quotas={"non_essential": 50})
    v2 = await extend(policy, admin, v1["policy_id"])
    assert (v2["version"], v2["number"]) == (2, EXTENSION)
    assert (v2["valid_from"], v2["valid_until"], v2["status"]) == (str(today() + timedelta(11)), None, "scheduled")
    assert v2["content"]["sector_quotas"]["non_essential"] == 50


async def test_a_version_cannot_start_before_the_first_one(policy: PolicyService, tenant: str) -> None:
    admin, v1 = await new_letter(policy, tenant)
    early = await policy.client.post(f"/v1/policies/{v1['policy_id']}/versions", headers=admin,
                                     json=letter("800/1-BKD/2022", today() - timedelta(40), None))
    assert early.status_code == 422
    assert early.json()["detail"][0]["loc"] == ["body", "valid_from"]


async def test_the_history_keeps_every_version_with_its_dates_successor_and_content(
    policy: PolicyService, tenant: str
) -> None:
    admin, pid = await amended_and_extended(policy, tenant)
    day = today()
    history = (await policy.client.get(f"/v1/policies/{pid}/versions", headers=admin)).json()
    rows = [(h["version"], h["number"], h["valid_from"], h["valid_until"], h["declared_valid_until"],
             h["superseded_by"], h["status"]) for h in history]
    assert rows == [
        (1, FIRST, str(day - timedelta(30)), str(day - timedelta(3)), str(day + timedelta(10)), 2, "superseded"),
        (2, AMENDMENT, str(day - timedelta(2)), str(day + timedelta(10)), str(day + timedelta(10)), 3, "in_force"),
        (3, EXTENSION, str(day + timedelta(11)), None, None, None, "scheduled"),
    ]
    assert history[0]["content"]["sector_quotas"]["non_essential"] == 25  # nothing overwritten


async def test_the_version_in_force_on_a_date_is_the_one_covering_it(policy: PolicyService, tenant: str) -> None:
    await amended_and_extended(policy, tenant)
    day = today()
    reader = policy.tokens.employee(tenant, "198503122010011003", "bkd")
    for on, version in ((day - timedelta(10), 1), (day, 2), (day + timedelta(12), 3)):
        r = await policy.client.get("/v1/policies/in-force", headers=reader, params={"date": str(on)})
        assert r.json()["version"] == version, (on, r.json())


async def test_versions_in_force_are_published_once_each_and_a_scheduled_one_waits_for_its_day(
    policy: PolicyService, tenant: str
) -> None:
    await amended_and_extended(policy, tenant)
    published = [(e["version"], e["effective_at"] is not None) for e in await policy.outbox(tenant, UPDATED)]
    assert published == [(1, True), (2, True)]


async def test_the_relay_delivers_the_versions_to_kafka_in_order_keyed_by_tenant_and_letter(
    policy: PolicyService, tenant: str, kafka_bootstrap: str
) -> None:
    admin, v1 = await new_letter(policy, tenant)
    pid = v1["policy_id"]
    await amend(policy, admin, pid)
    consumer = AIOKafkaConsumer(topics.POLICY_UPDATED, bootstrap_servers=kafka_bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                group_id=f"test-letters-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    try:
        seen: list[int] = []

        async def delivered() -> list[int] | None:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen.extend(json.loads(r.value)["version"] for r in records
                            if dict(r.headers).get("ce_tenant") == tenant.encode()
                            and r.key == f"{tenant}/policy:{pid}".encode())
            return seen if len(seen) >= 2 else None

        assert await eventually(delivered, timeout=90, what="policy.updated on Kafka") == [1, 2]
    finally:
        await consumer.stop()


async def test_a_future_version_is_published_once_when_its_day_comes(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant, ZONE)
    day = today()
    r = await policy.client.post("/v1/policies", headers=admin, json=letter("800/5-BKD/2026", day, None))
    pid = r.json()["policy_id"]
    start = day + timedelta(5)
    r = await policy.client.post(f"/v1/policies/{pid}/versions", headers=admin,
                                 json=letter("800/6-BKD/2026", start, None, geofence_radius_m=300))
    assert r.json()["status"] == "scheduled"
    # replaced before its day by a version with the same start: void, never published
    r = await policy.client.post(f"/v1/policies/{pid}/versions", headers=admin,
                                 json=letter("800/7-BKD/2026", start, None, geofence_radius_m=250))
    assert r.json()["version"] == 3
    midnight = datetime.combine(start, datetime.min.time(), ZoneInfo(ZONE)).astimezone(UTC)
    assert datetime.fromisoformat(r.json()["effective_at"]) == midnight

    # (publish_due serves every tenant; other tests' versions may be due too, so look at ours only)
    await publish_due(policy.rt, midnight - timedelta(seconds=1))
    assert [e["version"] for e in await policy.outbox(tenant, UPDATED)] == [1]
    # Several instances at once, and again later: exactly one event for version 3.
    await asyncio.gather(*(publish_due(policy.rt, midnight + timedelta(seconds=1)) for _ in range(4)))
    await publish_due(policy.rt, midnight + timedelta(hours=3))
    ours = await policy.outbox(tenant, UPDATED)
    assert [e["version"] for e in ours] == [1, 3]
    assert ours[1]["content"]["geofence_radius_m"] == 250
    assert datetime.fromisoformat(ours[1]["effective_at"]) == midnight
    async with policy.rt.sessions() as session:
        rows = {v.version: v for v in (await session.scalars(select(PolicyVersion).where(
            PolicyVersion.tenant == tenant))).all()}
    assert rows[2].published_at is None and rows[2].valid_until == start - timedelta(days=1)
    assert rows[3].published_at is not None
    history = (await policy.client.get(f"/v1/policies/{pid}/versions", headers=admin)).json()
    assert [h["status"] for h in history] == ["in_force", "void", "scheduled"]
