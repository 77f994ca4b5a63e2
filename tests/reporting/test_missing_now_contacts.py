"""Reporting's copy of the phone numbers (``directory.contacts.v1``), through its real consumer on a
real Kafka broker and PostgreSQL: the service runs in process (its app, lifespan and consumer
group of its own) and the test publishes as policy's outbox relay does (CloudEvents binary mode,
key ``<tenant>/<nip>``; a tombstone is the headers and a null value).

- a contact record keeps the phone alone (the table has no e-mail column), a later one replaces it, one without
  a phone removes the row;
- a tombstone under ``<tenant>/<nip>`` (retention removed the details in policy; delivered twice)
  deletes that tenant's row and nothing of another tenant with the same NIP;
- a redelivered record (same ``ce_id``) is applied once.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from services.contracts import topics
from services.contracts.base import Event
from services.contracts.envelope import TOMBSTONE, Envelope
from services.contracts.events import DirectoryContact
from services.reporting.app import build
from services.reporting.store import Contact
from services.runtime.kafka import ensure_topics
from services.runtime.service import ServiceRuntime
from services.runtime.settings import load_settings
from tests.reporting.conftest import nip
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

WHO, OTHER = nip(91), nip(92)


class Bus:
    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer

    async def publish(self, tenant: str, event: Event, ce_id: str | None = None) -> str:
        return await self.send(Envelope(type=event.TYPE, source="/hadir/policy", tenant=tenant,
                                        subject=event.subject(), data=event.model_dump_json().encode(),
                                        id=ce_id or str(uuid.uuid4())))

    async def tombstone(self, tenant: str, who: str) -> str:
        return await self.send(Envelope(type=DirectoryContact.TYPE, source="/hadir/policy", tenant=tenant,
                                        subject=who, data=TOMBSTONE))

    async def send(self, envelope: Envelope) -> str:
        await self.producer.send_and_wait(DirectoryContact.TOPIC, envelope.value, key=envelope.key.encode(),
                                          headers=[(k, v.encode()) for k, v in envelope.headers().items()])
        return envelope.id


@pytest.fixture
async def service(pg_url: str, kafka_bootstrap: str, dev_keys: tuple[Path, Path]) -> AsyncIterator[ServiceRuntime]:
    """Reporting in process, under a service name (so a consumer group) of its own, its topics made
    first (as a deployment makes them: a consumer subscribed to a topic not there yet would see it only
    at its next metadata refresh)."""
    await ensure_topics(kafka_bootstrap, topics.ALL, 3, 1)
    settings = load_settings(f"reporting-test-{uuid.uuid4().hex[:8]}", 0, database_url=pg_url,
                             kafka_bootstrap_servers=kafka_bootstrap, jwt_jwks_file=dev_keys[1], log_level="WARNING")
    app, rt = build(settings)
    async with app.router.lifespan_context(app):
        yield rt


@pytest.fixture
async def bus(kafka_bootstrap: str) -> AsyncIterator[Bus]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        yield Bus(producer)
    finally:
        await producer.stop()


async def phones(rt: ServiceRuntime, *tenants: str) -> dict[tuple[str, str], str]:
    async with rt.sessions() as session:
        rows = await session.execute(select(Contact.tenant, Contact.nip, Contact.phone)
                                     .where(Contact.tenant.in_(tenants)))
        return {(t, n): p for t, n, p in rows}


def duplicates(rt: ServiceRuntime) -> float:
    """Events the consumer's inbox recognised as already applied."""
    return sum(sample.value for metric in rt.registry.collect() for sample in metric.samples
               if sample.name == "hadir_events_duplicate_total")


async def becomes(rt: ServiceRuntime, expected: dict[tuple[str, str], str], *tenants: str, what: str) -> None:
    async def probe() -> bool:
        return await phones(rt, *tenants) == expected

    await eventually(probe, timeout=30, interval=0.1, what=what)


async def test_contacts_are_kept_replaced_and_removed_by_a_tombstone(service: ServiceRuntime, bus: Bus) -> None:
    rt = service
    a, b = f"kota-{uuid.uuid4().hex[:6]}", f"kab-{uuid.uuid4().hex[:6]}"
    first = await bus.publish(a, DirectoryContact(nip=WHO, email=f"{WHO}@{a}.go.id", phone="0812-1111-0091"))
    await bus.publish(a, DirectoryContact(nip=OTHER, email=f"{OTHER}@{a}.go.id"))  # no phone: nothing kept
    await bus.publish(b, DirectoryContact(nip=WHO, phone="0813-2222-0091"))  # the same NIP in another tenant
    await becomes(rt, {(a, WHO): "0812-1111-0091", (b, WHO): "0813-2222-0091"}, a, b, what="the first records")

    await bus.publish(a, DirectoryContact(nip=WHO, phone=" +62 812 3333 0091 "))
    await becomes(rt, {(a, WHO): "+62 812 3333 0091", (b, WHO): "0813-2222-0091"}, a, b, what="the newer phone")
    await bus.publish(a, DirectoryContact(nip=WHO, email="x@y.go.id", phone="0812-1111-0091"), ce_id=first)

    async def deduplicated() -> bool:
        return duplicates(rt) >= 1

    await eventually(deduplicated, timeout=30, interval=0.1, what="the redelivered record seen by the inbox")
    assert await phones(rt, a, b) == {(a, WHO): "+62 812 3333 0091", (b, WHO): "0813-2222-0091"}, "applied once"

    await bus.publish(a, DirectoryContact(nip=OTHER, phone="0812-4444-0092"))
    await becomes(rt, {(a, WHO): "+62 812 3333 0091", (a, OTHER): "0812-4444-0092", (b, WHO): "0813-2222-0091"},
                  a, b, what="a second employee's phone")
    await bus.publish(a, DirectoryContact(nip=OTHER, email=f"{OTHER}@{a}.go.id", phone=None))
    await becomes(rt, {(a, WHO): "+62 812 3333 0091", (b, WHO): "0813-2222-0091"}, a, b,
                  what="a record without a phone removes the row")

    await bus.tombstone(a, WHO)
    await bus.tombstone(a, WHO)
    await becomes(rt, {(b, WHO): "0813-2222-0091"}, a, b, what="the tombstone deleting tenant a's row only")
    async with rt.sessions() as session:
        kept = (await session.scalars(select(Contact).where(Contact.tenant == b))).all()
    assert [(c.nip, c.phone) for c in kept] == [(WHO, "0813-2222-0091")]
