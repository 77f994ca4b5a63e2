"""The directory reaches ``directory.updated.v2`` and ``directory.contacts.v1`` once after the upgrade
(services.policy.backfill), on real PostgreSQL: two replicas walking it at once, a chunk at a time,
stage exactly one v2 event per tenant, unit and employee and one contact record per employee with
contact details; the cursor ends done and a later start publishes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import insert, select, update

from services.contracts.events import DirectoryContact, DirectoryUpdatedV2
from services.policy import backfill
from services.policy.store import DirectoryBackfill, Employee, Tenant, Unit, outbox
from services.runtime.retention import Retention
from services.runtime.service import ServiceRuntime
from tests.policy.conftest import nip_for
from tests.support.retention import two_replicas

pytestmark = pytest.mark.infra

two = two_replicas("policy")


async def test_two_replicas_publish_the_directory_once_on_the_new_topics(
        two: list[tuple[ServiceRuntime, Retention]], monkeypatch: pytest.MonkeyPatch) -> None:
    (rt, _), (other, _) = two
    tenants = [f"t-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    units = [(t, f"u{i}") for t in tenants for i in range(3)]
    people = [(t, nip_for(i), i % 2 == 0, i == 4) for t in tenants for i in range(7)]  # contacts on evens; 4 left
    async with rt.sessions() as session, session.begin():
        await session.execute(insert(Tenant), [{"id": t, "name": t, "kind": "city", "timezone": "Asia/Makassar"}
                                               for t in tenants])
        await session.execute(insert(Unit), [{"tenant": t, "id": u, "name": u, "kind": "department",
                                              "effective_sector": "non_essential", "active": True} for t, u in units])
        await session.execute(insert(Employee), [
            {"tenant": t, "nip": n, "name": f"Pegawai {n[-3:]}", "position": "", "unit_id": "u0", "is_teacher": False,
             "is_front_line": False, "is_unit_head": False, "active": not left,
             "inactive_since": date(2026, 11, 1) if left else None,
             "email": f"{n}@example.go.id" if contact else None, "phone": None,
             "places": [{"name": "Rumah", "kind": "home", "latitude": -8.5, "longitude": 115.2}]}
            for t, n, contact, left in people])
    monkeypatch.setattr(backfill, "CHUNK", 4)

    await asyncio.gather(backfill.run(rt), backfill.run(other))

    async with rt.sessions() as session:
        staged = (await session.execute(select(outbox.c.ce_type, outbox.c.tenant, outbox.c.subject, outbox.c.payload)
                                        .order_by(outbox.c.id))).all()
        cursor = await session.get(DirectoryBackfill, backfill.NAME)
    v2 = Counter((r.tenant, r.subject) for r in staged if r.ce_type == DirectoryUpdatedV2.TYPE)
    assert v2 == Counter({(t, "tenant"): 1 for t in tenants} | {(t, f"unit:{u}"): 1 for t, u in units}
                         | {(t, n): 1 for t, n, _, _ in people}), "each entity once"
    contacts = [(r.tenant, r.subject, json.loads(r.payload)) for r in staged if r.ce_type == DirectoryContact.TYPE]
    assert sorted((t, s, c["email"]) for t, s, c in contacts) == sorted(
        (t, n, f"{n}@example.go.id") for t, n, contact, _ in people if contact)
    assert {r.ce_type for r in staged} == {DirectoryUpdatedV2.TYPE, DirectoryContact.TYPE}, "no v1 while it is off"
    assert all(b"latitude" not in r.payload for r in staged)
    left = [json.loads(r.payload)["employee"] for r in staged
            if r.ce_type == DirectoryUpdatedV2.TYPE and json.loads(r.payload)["entity"] == "employee"
            and not json.loads(r.payload)["employee"]["active"]]
    assert [e["inactive_since"] for e in left] == ["2026-11-01"] * len(tenants)
    assert cursor is not None and cursor.phase == "done" and cursor.done_at is not None

    await backfill.run(rt)  # a later start
    async with rt.sessions() as session:
        assert len((await session.execute(select(outbox.c.id))).all()) == len(staged)


async def test_a_chunk_that_fails_leaves_the_cursor_where_it_was(
        two: list[tuple[ServiceRuntime, Retention]], monkeypatch: pytest.MonkeyPatch) -> None:
    (rt, _), _ = two
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with rt.sessions() as session, session.begin():
        await session.execute(insert(Tenant), [{"id": tenant, "name": tenant, "kind": "city",
                                                "timezone": "Asia/Jayapura"}])
        await session.execute(update(DirectoryBackfill).values(phase="tenants", after_tenant=None, done_at=None))

    async def refused(*_: object, **__: object) -> None:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(backfill.publishing, "stage_tenant", refused)
    with pytest.raises(RuntimeError):
        async with rt.sessions() as session, session.begin():
            await backfill.publish_chunk(rt, session)
    async with rt.sessions() as session:
        cursor = await session.get(DirectoryBackfill, backfill.NAME)
        assert cursor is not None and (cursor.phase, cursor.after_tenant) == ("tenants", None)
