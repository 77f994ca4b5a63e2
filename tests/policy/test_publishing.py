"""What a directory change publishes (services/policy/publishing.py), through the HTTP API on real
PostgreSQL, read from the outbox; tombstones also from a real Kafka broker.

- every tenant, unit and employee change goes to ``directory.updated.v2``, an employee without
  places and contact details, with ``inactive_since`` (set when they turn inactive, kept while they
  stay so, cleared when they are active again);
- contact details go to ``directory.contacts.v1`` only, and only when they changed;
- the deprecated ``directory.updated.v1`` (places and contacts in every record) only while
  ``publish_directory_v1`` is on;
- ``stage_contact_removals`` stages tombstones (the v1 ones only with the flag) that reach Kafka as
  null values with the CloudEvents headers of a contact.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select, update

from services.contracts import topics
from services.contracts.events import DirectoryContact, DirectoryUpdated, DirectoryUpdatedV2
from services.policy import publishing, store
from services.policy.app import build
from services.policy.settings import PolicySettings
from services.runtime import migrations
from services.runtime.service import ServiceRuntime
from tests.checkin import kafka_io
from tests.policy.conftest import PolicyService, setup_tenant
from tests.support import infra
from tests.support.records import read_to_end
from tests.support.tokens import Tokens
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

NIP = "198503122010011003"
HOME = {"name": "Rumah", "kind": "home", "latitude": -6.12, "longitude": 106.15, "radius_m": 200}
PERSON = {"name": "Siti Aminah", "unit_id": "bkd", "position": "Analis SDM", "email": "siti@bantenprov.go.id",
          "phone": "6281211112222", "places": [HOME]}


@dataclass(frozen=True)
class Staged:
    topic: str
    ce_type: str
    subject: str
    payload: dict[str, Any] | None  # None: a tombstone


async def staged(rt: ServiceRuntime, tenant: str) -> list[Staged]:
    """Every outbox row of ``tenant``, in publishing order."""
    o = store.outbox
    async with rt.sessions() as session:
        rows = (await session.execute(select(o.c.topic, o.c.ce_type, o.c.subject, o.c.payload)
                                      .where(o.c.tenant == tenant).order_by(o.c.id))).all()
    return [Staged(r.topic, r.ce_type, r.subject, json.loads(r.payload) if r.payload else None) for r in rows]


def on(rows: list[Staged], topic: str) -> list[Staged]:
    return [r for r in rows if r.topic == topic]


async def put_employee(client: httpx.AsyncClient, admin: dict[str, str], body: dict[str, Any]) -> None:
    r = await client.put(f"/v1/employees/{NIP}", headers=admin, json=body)
    assert r.status_code == 200, r.text


async def directory(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    assert (await client.put("/v1/units/bkd", headers=admin, json={"name": "BKD"})).status_code == 200
    await put_employee(client, admin, PERSON)


def jakarta_today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()


async def test_every_change_goes_to_v2_without_places_or_contacts(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    await directory(policy.client, admin)
    rows = await staged(policy.rt, tenant)
    v2 = on(rows, topics.DIRECTORY_UPDATED_V2)
    assert {r.ce_type for r in v2} == {DirectoryUpdatedV2.TYPE}
    assert [(r.payload or {})["entity"] for r in v2] == ["tenant", "unit", "employee"]
    assert [r.subject for r in v2] == ["tenant", "unit:bkd", NIP]
    employee = v2[-1].payload["employee"]  # type: ignore[index]
    assert employee == {"nip": NIP, "name": "Siti Aminah", "position": "Analis SDM", "unit_id": "bkd",
                        "is_teacher": False, "is_front_line": False, "is_unit_head": False, "active": True,
                        "inactive_since": None}
    assert on(rows, topics.DIRECTORY_UPDATED) == [], "v1 is off by default"
    assert {r.topic for r in rows} == {topics.DIRECTORY_UPDATED_V2, topics.DIRECTORY_CONTACTS}


async def test_contacts_go_to_their_own_topic_only_when_they_change(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    await directory(policy.client, admin)
    await put_employee(policy.client, admin, {**PERSON, "position": "Kepala Bidang"})  # contacts unchanged
    await put_employee(policy.client, admin, {**PERSON, "position": "Kepala Bidang", "phone": "6281333334444"})
    await put_employee(policy.client, admin, {**PERSON, "position": "Kepala Bidang", "phone": "6281333334444",
                                              "email": None})
    rows = await staged(policy.rt, tenant)
    contacts = on(rows, topics.DIRECTORY_CONTACTS)
    assert {(r.ce_type, r.subject) for r in contacts} == {(DirectoryContact.TYPE, NIP)}
    assert [r.payload for r in contacts] == [
        {"nip": NIP, "email": "siti@bantenprov.go.id", "phone": "6281211112222"},
        {"nip": NIP, "email": "siti@bantenprov.go.id", "phone": "6281333334444"},
        {"nip": NIP, "email": None, "phone": "6281333334444"},
    ]
    assert len([r for r in on(rows, topics.DIRECTORY_UPDATED_V2) if r.subject == NIP]) == 4, "every change"
    assert all("email" not in json.dumps(r.payload) for r in on(rows, topics.DIRECTORY_UPDATED_V2))


async def test_inactive_since_is_set_kept_and_cleared(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    await directory(policy.client, admin)

    async def last_profile() -> dict[str, Any]:
        [*_, last] = [r for r in on(await staged(policy.rt, tenant), topics.DIRECTORY_UPDATED_V2) if r.subject == NIP]
        return last.payload["employee"]  # type: ignore[index]

    assert (await last_profile())["inactive_since"] is None
    before = jakarta_today()
    await put_employee(policy.client, admin, {**PERSON, "active": False})
    left = (await last_profile())["inactive_since"]
    assert left in {before.isoformat(), jakarta_today().isoformat()}, "the tenant's day they turned inactive"

    earlier = date(2026, 1, 5)  # as if they had left long ago: a later change keeps the day
    async with policy.rt.sessions() as session, session.begin():
        await session.execute(update(store.Employee).where(store.Employee.tenant == tenant, store.Employee.nip == NIP)
                              .values(inactive_since=earlier))
    await put_employee(policy.client, admin, {**PERSON, "active": False, "position": "Pensiun"})
    assert (await last_profile())["inactive_since"] == earlier.isoformat()

    await put_employee(policy.client, admin, {**PERSON, "position": "Pensiun"})  # active again
    assert (await last_profile())["inactive_since"] is None
    async with policy.rt.sessions() as session:
        assert await session.scalar(select(store.Employee.inactive_since).where(
            store.Employee.tenant == tenant, store.Employee.nip == NIP)) is None


async def test_contact_removals_reach_kafka_as_tombstones(policy: PolicyService, tenant: str,
                                                          kafka_bootstrap: str) -> None:
    admin = await setup_tenant(policy, tenant)
    await directory(policy.client, admin)
    async with policy.rt.sessions() as session, session.begin():
        await publishing.stage_contact_removals(policy.rt, session, tenant, [NIP])
    [tombstone] = [r for r in await staged(policy.rt, tenant) if r.payload is None]
    assert (tombstone.topic, tombstone.ce_type, tombstone.subject) == (
        topics.DIRECTORY_CONTACTS, DirectoryContact.TYPE, NIP), "no v1 tombstone while v1 is off"
    policy.rt.wake_relay()

    async def published() -> list[Any] | None:
        records = await read_to_end(kafka_bootstrap, topics.DIRECTORY_CONTACTS, tenant)
        return records if any(r.value is None for r in records) else None

    records = await eventually(published, timeout=30, what="the tombstone on directory.contacts.v1")
    assert [r.value is None for r in records] == [False, True], "the details, then their tombstone"
    assert all(r.key == f"{tenant}/{NIP}".encode() for r in records), "one key: compaction removes both"
    headers = kafka_io.headers(records[-1])
    assert headers["ce_type"] == DirectoryContact.TYPE and headers["ce_subject"] == NIP
    assert headers["ce_tenant"] == tenant and headers["ce_source"] == policy.rt.source


# --- with HADIR_PUBLISH_DIRECTORY_V1 --------------------------------------------------------


@dataclass
class Policy:
    rt: ServiceRuntime
    client: httpx.AsyncClient
    tokens: Tokens


@pytest.fixture(scope="module")
async def policy_v1(postgres_server: infra.PostgresServer, dev_keys: tuple[Path, Path]) -> AsyncIterator[Policy]:
    """A policy app with ``publish_directory_v1`` on: migrated, its HTTP API only (no Kafka, no
    consumer: what it publishes is read from its outbox)."""
    url = await postgres_server.create_database("hadir_policy_v1")
    settings = PolicySettings(service=f"policy-v1-{uuid.uuid4().hex[:6]}", database_url=url,
                              jwt_jwks_file=dev_keys[1], log_level="WARNING", publish_directory_v1=True)
    app, rt = build(settings)
    await migrations.upgrade_async(rt.versions_dir, url, rt.metadata)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://policy.test") as client:
            yield Policy(rt, client, Tokens(dev_keys[0]))
    finally:
        await rt.engine.dispose()


async def test_v1_is_published_beside_v2_only_with_the_flag(policy_v1: Policy, tenant: str) -> None:
    admin = policy_v1.tokens.admin(tenant)
    r = await policy_v1.client.put("/v1/tenant", headers=admin,
                                   json={"name": "Pemerintah Provinsi Uji", "kind": "province",
                                         "timezone": "Asia/Jakarta"})
    assert r.status_code == 200, r.text
    await directory(policy_v1.client, admin)
    rows = await staged(policy_v1.rt, tenant)
    v1, v2 = on(rows, topics.DIRECTORY_UPDATED), on(rows, topics.DIRECTORY_UPDATED_V2)
    assert {r.ce_type for r in v1} == {DirectoryUpdated.TYPE}
    assert [r.subject for r in v1] == [r.subject for r in v2] == ["tenant", "unit:bkd", NIP]
    employee = v1[-1].payload["employee"]  # type: ignore[index]
    assert (employee["email"], employee["phone"]) == ("siti@bantenprov.go.id", "6281211112222")
    assert [(p["latitude"], p["longitude"]) for p in employee["places"]] == [(-6.12, 106.15)]
    assert "places" not in v2[-1].payload["employee"]  # type: ignore[index]
    assert len(on(rows, topics.DIRECTORY_CONTACTS)) == 1

    async with policy_v1.rt.sessions() as session, session.begin():
        await publishing.stage_contact_removals(policy_v1.rt, session, tenant, [NIP])
    tombstones = [r for r in await staged(policy_v1.rt, tenant) if r.payload is None]
    assert {(r.topic, r.ce_type, r.subject) for r in tombstones} == {
        (topics.DIRECTORY_CONTACTS, DirectoryContact.TYPE, NIP), (topics.DIRECTORY_UPDATED, DirectoryUpdated.TYPE, NIP)}
