"""Event handlers: recipients read model and notices for overdue and due-soon reports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.contracts.events import DirectoryUpdated, NotificationSent, ReportDueSoon, ReportOverdue
from services.notify.messages import due_soon_message, overdue_message
from services.notify.store import Notification, Recipient
from services.runtime.service import ServiceRuntime


async def on_directory(session: AsyncSession, envelope: Envelope, event: DirectoryUpdated) -> None:
    if event.employee is not None:
        e = event.employee
        await session.merge(Recipient(tenant=envelope.tenant, nip=e.nip, name=e.name, unit_id=e.unit_id,
                                      email=e.email, phone=e.phone))


def make_handlers(rt: ServiceRuntime) -> dict:
    async def record(session: AsyncSession, envelope: Envelope, nip: str, subject: str, body: str) -> None:
        """One notification per (event, recipient, channel): the unique key rejects a second."""
        exists = await session.scalar(select(Notification.id).where(
            Notification.source_event_id == envelope.id, Notification.recipient == nip,
            Notification.channel == "log"))
        if exists:
            return
        now = datetime.now(UTC)
        row = Notification(id=str(uuid.uuid4()), tenant=envelope.tenant, source_event_id=envelope.id,
                           source_event_type=envelope.type, recipient=nip, channel="log", address=None,
                           subject=subject, body=body, status="sent", attempts=1, created_at=now, updated_at=now)
        session.add(row)
        await rt.stage(session, NotificationSent(
            notification_id=uuid.UUID(row.id), source_event_id=envelope.id, source_event_type=envelope.type,
            recipient=nip, channel="log", status="sent"), tenant=envelope.tenant, traceparent=envelope.traceparent)

    async def name_of(session: AsyncSession, tenant: str, nip: str) -> str:
        recipient = await session.get(Recipient, (tenant, nip))
        return recipient.name if recipient else f"NIP {nip}"

    async def on_overdue(session: AsyncSession, envelope: Envelope, event: ReportOverdue) -> None:
        subject, body = overdue_message(event, await name_of(session, envelope.tenant, event.employee_id))
        await record(session, envelope, event.employee_id, subject, body)

    async def on_due_soon(session: AsyncSession, envelope: Envelope, event: ReportDueSoon) -> None:
        subject, body = due_soon_message(event, await name_of(session, envelope.tenant, event.employee_id))
        await record(session, envelope, event.employee_id, subject, body)

    return {DirectoryUpdated: on_directory, ReportOverdue: on_overdue, ReportDueSoon: on_due_soon}
