"""Circular letters through the API on real PostgreSQL and Kafka: versions close
their predecessors, history is kept, future versions are published once when
their day comes."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, timedelta
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


def today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()


def letter(number: str, start: date, end: date | None, **content: object) -> dict[str, object]:
    return {"number": number, "title": "Penyesuaian sistem kerja ASN", "signatory": "Sekretaris Daerah",
            "legal_basis": ["SE MenPAN-RB 19/2020", "Inmendagri 06/2022"], "valid_from": str(start),
            "valid_until": str(end) if end else None, "content": content}


async def test_amendments_and_extensions_are_new_versions_and_history_is_kept(
    policy: PolicyService, tenant: str, kafka_bootstrap: str
) -> None:
    admin = await setup_tenant(policy, tenant, ZONE)
    day = today()
    r = await policy.client.post("/v1/policies", headers=admin, json=letter("800/258-BKD/2022", day - timedelta(30),
                                                                          day + timedelta(10)))
    assert r.status_code == 201, r.text
    v1 = r.json()
    assert (v1["policy_id"], v1["version"], v1["status"]) == ("800-258-bkd-2022", 1, "in_force")
    assert v1["content"]["sector_quotas"] == {"critical": 100, "essential": 50, "non_essential": 25}
    pid = v1["policy_id"]

    again = await policy.client.post("/v1/policies", headers=admin, json=letter("800/258-BKD/2022", day, None))
    assert again.status_code == 409
    r = await policy.client.post(f"/v1/policies/{pid}/versions", headers=admin, json=letter(
        "800/271-BKD/2022", day - timedelta(2), day + timedelta(10), sector_quotas={"non_essential": 50}))
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2
    r = await policy.client.post(f"/v1/policies/{pid}/extensions", headers=admin,
                                 json={"valid_until": None, "number": "800/300-BKD/2022"})
    assert r.status_code == 201, r.text
    v3 = r.json()
    assert (v3["valid_from"], v3["valid_until"], v3["status"]) == (str(day + timedelta(11)), None, "scheduled")
    assert v3["content"]["sector_quotas"]["non_essential"] == 50  # the content carried over

    early = await policy.client.post(f"/v1/policies/{pid}/versions", headers=admin,
                                     json=letter("800/1-BKD/2022", day - timedelta(40), None))
    assert early.status_code == 422
    assert early.json()["detail"][0]["loc"] == ["body", "valid_from"]

    history = (await policy.client.get(f"/v1/policies/{pid}/versions", headers=admin)).json()
    rows = [(h["version"], h["number"], h["valid_from"], h["valid_until"], h["declared_valid_until"],
             h["superseded_by"], h["status"]) for h in history]
    assert rows == [
        (1, "800/258-BKD/2022", str(day - timedelta(30)), str(day - timedelta(3)), str(day + timedelta(10)), 2,
         "superseded"),
        (2, "800/271-BKD/2022", str(day - timedelta(2)), str(day + timedelta(10)), str(day + timedelta(10)), 3,
         "in_force"),
        (3, "800/300-BKD/2022", str(day + timedelta(11)), None, None, None, "scheduled"),
    ]
    assert history[0]["content"]["sector_quotas"]["non_essential"] == 25  # nothing overwritten

    reader = policy.tokens.employee(tenant, "198503122010011003", "bkd")
    for on, version in ((day - timedelta(10), 1), (day, 2), (day + timedelta(12), 3)):
        r = await policy.client.get("/v1/policies/in-force", headers=reader, params={"date": str(on)})
        assert r.json()["version"] == version, (on, r.json())

    # Published so far: versions 1 and 2, each once; version 3 waits for its day.
    published = [(e["version"], e["effective_at"] is not None) for e in await policy.outbox(tenant, UPDATED)]
    assert published == [(1, True), (2, True)]

    # ... and the relay delivered them to Kafka, keyed by tenant and letter.
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
