"""Notify's handlers driven in the test's own process on a real PostgreSQL database: each event
in its own transaction, as the consumer applies it (the inbox, which drops a redelivery under
the same id, is the consumer's: a test passes a new id to see what the handler itself does with
a copy), and the delivery log read back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select

from services.contracts.base import Event
from services.contracts.envelope import Envelope
from services.contracts.events import DirectoryContact, DirectoryUpdatedV2, EmployeeRecord, TenantRecord, UnitRecord
from services.contracts.rules.calendar import TenantCalendar
from services.notify.handlers import subscriptions
from services.notify.settings import NotifySettings
from services.notify.store import Notification, Preference, TenantSettings
from services.runtime.service import ServiceRuntime
from tests.notify.harness import NO_HOLIDAYS, profile

SETTINGS = NotifySettings(smtp_host="127.0.0.1", default_channels="email", quiet_hours_start=time(0),
                          quiet_hours_end=time(0))


class Notify:
    """Notify's handlers on ``rt``'s database, for one tenant."""

    def __init__(self, rt: ServiceRuntime, tenant: str, settings: NotifySettings = SETTINGS) -> None:
        self.rt, self.tenant = rt, tenant
        self.handlers = subscriptions(rt, settings, lambda *_: None)

    async def handle(self, event: Event, *, ce_id: str | None = None) -> str:
        envelope = Envelope(type=event.TYPE, source="/tests/notify", tenant=self.tenant, subject=event.subject(),
                            data=event.model_dump_json().encode(), id=ce_id or str(uuid.uuid4()))
        async with self.rt.sessions() as session, session.begin():
            await self.handlers[type(event)](session, envelope, event)
        return envelope.id

    async def directory(self, people: list[EmployeeRecord], units: dict[str, str | None],
                        calendar: TenantCalendar | None = NO_HOLIDAYS) -> None:
        await self.handle(DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
            id=self.tenant, name="Pemerintah Uji", kind="province", timezone="Asia/Jakarta", calendar=calendar)))
        for unit_id, parent in units.items():
            await self.handle(DirectoryUpdatedV2(entity="unit", unit=UnitRecord(
                id=unit_id, name=f"Dinas {unit_id.upper()}", parent_id=parent, effective_sector="essential")))
        for person in people:
            await self.handle(DirectoryUpdatedV2(entity="employee", employee=profile(person)))
            if person.email is not None:
                await self.handle(DirectoryContact(nip=person.nip, email=person.email))

    async def configure(self, *, bkd_days: int | None = None, bkd: list[str] | None = None) -> None:
        async with self.rt.sessions() as session, session.begin():
            await session.merge(TenantSettings(tenant=self.tenant, quiet_start=None, quiet_end=None, escalate_daily=0,
                                               escalate_weekly=0, escalate_bkd_days=bkd_days, bkd_recipients=bkd,
                                               updated_at=datetime.now(UTC)))

    async def prefer(self, nip: str, language: str) -> None:
        async with self.rt.sessions() as session, session.begin():
            await session.merge(Preference(tenant=self.tenant, nip=nip, language=language, channels=[],
                                           updated_at=datetime.now(UTC)))

    async def log(self, **where: Any) -> list[Notification]:
        """The tenant's rows of the delivery log (``kind=...``, ``status=...``), oldest first."""
        query = select(Notification).where(Notification.tenant == self.tenant)
        for column, value in where.items():
            query = query.where(getattr(Notification, column) == value)
        async with self.rt.sessions() as session:
            return list((await session.scalars(query.order_by(Notification.created_at, Notification.id))).all())
