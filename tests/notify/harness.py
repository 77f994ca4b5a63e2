"""The notify service as a real process (``python -m services.notify``) on real Kafka and
PostgreSQL, and helpers to feed it events, read its API and database, and wait for mails."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.contracts import topics
from services.contracts.base import Event
from services.contracts.envelope import TOMBSTONE, Envelope
from services.contracts.events import (
    DirectoryContact,
    DirectoryUpdatedV2,
    EmployeeProfile,
    EmployeeRecord,
    ReportOverdue,
    TenantRecord,
    UnitRecord,
)
from services.contracts.rules.calendar import TenantCalendar
from tests.notify.receivers import Mail, MailServer
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools.ports import free_port
from tools.suite import Suite

NO_HOLIDAYS = TenantCalendar(national=False, cuti_bersama=False)
"""A calendar without national days and cuti bersama: tests of today's notices run on holidays too."""


class NotifyService:
    """One notify process; ``kill`` and ``start`` again keep its database and consumer group."""

    def __init__(self, *, log_dir: Path, database_url: str, env: dict[str, str], tokens: Tokens) -> None:
        self.database_url = database_url
        self.tokens = tokens
        port = free_port()
        self.suite = Suite(log_dir=log_dir, names=("notify",), ports={"notify": port},
                           env={**env, "HADIR_NOTIFY_DATABASE_URL": database_url})
        self.http = httpx.AsyncClient(base_url=self.suite["notify"].url, timeout=10)

    def start(self) -> None:
        self.suite["notify"].start()
        self.suite.wait_ready(timeout=60)

    def kill(self) -> None:
        self.suite["notify"].kill()

    def stop(self) -> None:
        self.suite.stop()

    def log_tail(self) -> str:
        return self.suite["notify"].log_tail(60)

    async def close(self) -> None:
        await self.http.aclose()

    # --- API -------------------------------------------------------------------------

    async def log(self, tenant: str, **params: Any) -> list[dict[str, Any]]:
        r = await self.http.get("/v1/notifications", headers=self.tokens.admin(tenant), params=params)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    async def detail(self, tenant: str, notification_id: str) -> dict[str, Any]:
        r = await self.http.get(f"/v1/notifications/{notification_id}", headers=self.tokens.admin(tenant))
        assert r.status_code == 200, r.text
        return r.json()

    async def configure(self, tenant: str, *, quiet: tuple[str, str] | None = None, daily: int = 0,
                        weekly: int = 0) -> None:
        body = {"quiet_hours": {"start": quiet[0], "end": quiet[1]} if quiet else None,
                "escalate_daily": daily, "escalate_weekly": weekly}
        r = await self.http.put("/v1/settings", headers=self.tokens.admin(tenant), json=body)
        assert r.status_code == 200, r.text

    async def subscribe(self, tenant: str, url: str, event_types: list[str],
                        headers: dict[str, str] | None = None) -> dict[str, Any]:
        """A new webhook subscription, by the tenant's admin unless ``headers`` say who; its id and secret."""
        r = await self.http.post("/v1/webhooks", headers=headers or self.tokens.admin(tenant),
                                 json={"url": url, "event_types": event_types})
        assert r.status_code == 201, r.text
        return r.json()

    async def wait_for(self, tenant: str, what: str, predicate: Any, timeout: float = 20,
                       **params: Any) -> list[dict[str, Any]]:
        async def probe() -> list[dict[str, Any]] | None:
            rows = await self.log(tenant, **params)
            return rows if predicate(rows) else None

        try:
            return await eventually(probe, timeout=timeout, interval=0.2, what=what)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- notify log ---\n{self.log_tail()}") from None

    # --- database (test setup only) ------------------------------------------------------

    async def query(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database_url.replace("+asyncpg", ""))
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    async def wait_directory(self, tenant: str, count: int, contacts: int | None = None) -> None:
        """Until notify knows ``count`` recipients of ``tenant`` and ``contacts`` contact details (by
        default as many: they come from another topic, in any order with the profiles)."""
        contacts = count if contacts is None else contacts

        async def probe() -> bool:
            try:
                rows = await self.query(
                    "SELECT (SELECT count(*) FROM recipients WHERE tenant = $1) AS people, "
                    "(SELECT count(*) FROM contacts WHERE tenant = $1) AS contacts", tenant)
            except asyncpg.UndefinedTableError:
                return False
            return rows[0]["people"] >= count and rows[0]["contacts"] >= contacts

        await eventually(probe, timeout=30, interval=0.2,
                         what=f"{count} recipients and {contacts} contacts of {tenant} in notify")


class Bus:
    """Publishes CloudEvents to Kafka as the producing services do (binary mode, key tenant/subject)."""

    def __init__(self, producer: AIOKafkaProducer, bootstrap: str) -> None:
        self.producer = producer
        self.bootstrap = bootstrap

    async def publish(self, tenant: str, event: Event, *, ce_id: str | None = None) -> str:
        envelope = Envelope(type=event.TYPE, source="/tests/notify", tenant=tenant, subject=event.subject(),
                            data=event.model_dump_json().encode(), id=ce_id or str(uuid.uuid4()))
        return await self._send(event.TOPIC, envelope)

    async def tombstone(self, tenant: str, cls: type[Event], subject: str) -> str:
        """A tombstone of ``cls``'s compacted topic under ``<tenant>/<subject>``, as the outbox relay
        sends one (the CloudEvents headers, a null value)."""
        return await self._send(cls.TOPIC, Envelope(type=cls.TYPE, source="/tests/notify", tenant=tenant,
                                                    subject=subject, data=TOMBSTONE))

    async def _send(self, topic: str, envelope: Envelope) -> str:
        await self.producer.send_and_wait(topic, envelope.value, key=envelope.key.encode(),
                                          headers=[(k, v.encode()) for k, v in envelope.headers().items()])
        return envelope.id

    async def directory(self, tenant: str, timezone: str, units: dict[str, str | None],
                        people: list[EmployeeRecord], calendar: TenantCalendar | None = NO_HOLIDAYS) -> None:
        """The tenant (by default without national days: tests of today's reminders run on holidays too),
        its units and people."""
        await self.publish(tenant, DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
            id=tenant, name=f"Pemerintah {tenant}", kind="province", timezone=timezone, calendar=calendar)))
        for unit_id, parent in units.items():
            await self.publish(tenant, DirectoryUpdatedV2(entity="unit", unit=UnitRecord(
                id=unit_id, name=f"Dinas {unit_id.upper()}", parent_id=parent, effective_sector="essential")))
        for person in people:
            await self.person(tenant, person)

    async def person(self, tenant: str, person: EmployeeRecord) -> None:
        """An employee as policy publishes them: the profile on ``directory.updated.v2``, the contact
        details (if any) on ``directory.contacts.v1``."""
        await self.publish(tenant, DirectoryUpdatedV2(entity="employee", employee=profile(person)))
        if person.email is not None or person.phone is not None:
            await self.publish(tenant, DirectoryContact(nip=person.nip, email=person.email, phone=person.phone))

    async def sent_events(self, tenant: str, timeout_ms: int = 3000) -> list[dict[str, Any]]:
        """``notification.sent`` events of a tenant on the topic so far."""
        consumer = AIOKafkaConsumer(topics.NOTIFICATION_SENT, bootstrap_servers=self.bootstrap,
                                    auto_offset_reset="earliest", enable_auto_commit=False,
                                    group_id=f"notify-test-audit-{uuid.uuid4().hex[:8]}")
        await consumer.start()
        try:
            found: list[dict[str, Any]] = []
            while True:
                batches = await consumer.getmany(timeout_ms=timeout_ms)
                if not batches:
                    return found
                for records in batches.values():
                    for r in records:
                        if dict(r.headers).get("ce_tenant") == tenant.encode():
                            found.append(json.loads(r.value))
        finally:
            await consumer.stop()

    async def wait_sent(self, tenant: str, notification_id: str, what: str) -> list[dict[str, Any]]:
        """The ``notification.sent`` events of one notification, once there is one.

        Only this service's rows: another notify (the end-to-end suite's) may read the same topics."""

        async def probe() -> list[dict[str, Any]] | None:
            return [e for e in await self.sent_events(tenant) if e["notification_id"] == notification_id] or None

        return await eventually(probe, timeout=15, what=what)


def mails(mail: MailServer, address: str, subject: str = "",
          at_least: int = 1) -> Callable[[], Awaitable[list[Mail] | None]]:
    """A probe for ``eventually``: the mails to ``address`` once there are ``at_least`` of them."""

    async def probe() -> list[Mail] | None:
        found = mail.to(address, subject)
        return found if len(found) >= at_least else None

    return probe


async def settle(seconds: float = 1.5) -> None:
    """Give a wrong extra delivery the time to show up before asserting there was none."""
    await asyncio.sleep(seconds)


def employee(nip: str, name: str, unit: str, *, email: str | None = None, phone: str | None = None,
             head: bool = False) -> EmployeeRecord:
    return EmployeeRecord(nip=nip, name=name, unit_id=unit, email=email, phone=phone, is_unit_head=head)


def profile(person: EmployeeRecord) -> EmployeeProfile:
    return EmployeeProfile(**person.model_dump(exclude={"email", "phone", "places"}))


def nip(n: int) -> str:
    return f"19800101200501{n:04d}"


def overdue(nip_: str, unit: str, window: str, *, day: date | None = None, tz: str = "Asia/Jakarta",
            deadline: datetime | None = None) -> ReportOverdue:
    deadline = deadline or datetime.now(UTC) - timedelta(minutes=5)
    return ReportOverdue(employee_id=nip_, unit_id=unit, local_date=day or deadline.date(), window_id=window,
                         window_name=f"Jendela {window}", deadline=deadline, timezone=tz)


def tenant_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
