"""Turning one event into rows of the delivery log, inside the consumer's transaction.

A :class:`Planner` renders a person's messages for each channel they can be reached on
(:mod:`services.notify.domain.people`), finds the tenant's matching webhook
subscriptions, and records what is new (:mod:`services.notify.deliverylog`: a
redelivered event adds nothing). Once the transaction commits, the delivery loop is
woken; nothing is sent here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.notify.deliverylog import on_commit, record
from services.notify.domain import webhooks
from services.notify.domain.people import ANNOUNCEMENTS, Person, TenantView
from services.notify.domain.planned import Planned
from services.notify.domain.reminders import office_day_reminder
from services.notify.messages import render
from services.notify.settings import NotifySettings
from services.notify.store import WebhookSubscription


class Planner:
    """Builds and records the notifications of one event."""

    def __init__(self, settings: NotifySettings, wake: Callable[..., None]) -> None:
        self.settings = settings
        self.wake = wake

    def to_person(self, p: Person, kind: str, view: TenantView, *, occurrence: str = "",
                  not_before: datetime | None = None, expires_at: datetime | None = None,
                  unit_id: str | None = None, **context: Any) -> list[Planned]:
        deliveries = p.deliveries(self.settings, fallback=kind not in ANNOUNCEMENTS)
        if not deliveries:
            return []
        subject, body = render(kind, p.language, view.timezone, name=p.name, **context)
        return [Planned(kind=kind, recipient=p.nip, channel=channel, address=address, subject=subject, body=body,
                        language=p.language, unit_id=unit_id or p.unit_id, occurrence=occurrence, not_before=not_before,
                        expires_at=expires_at)
                for channel, address in deliveries]

    def office_day(self, p: Person, view: TenantView, day: date, mode: str, today: date,
                   unit_id: str | None) -> list[Planned]:
        """The day-before reminder of ``day`` (:mod:`services.notify.domain.reminders`), if it has one."""
        reminder = office_day_reminder(day, mode, today, self.settings.roster_reminder_time, view.timezone)
        if reminder is None:
            return []
        return self.to_person(p, "roster_day", view, unit_id=unit_id, occurrence=day.isoformat(),
                              not_before=reminder.not_before, expires_at=reminder.expires_at, day=day, mode=mode)

    async def to_webhooks(self, session: AsyncSession, envelope: Envelope, event_type: str,
                          data: dict[str, Any], *, kind: str, occurrence: str = "",
                          unit_id: str | None = None) -> list[Planned]:
        if not self.settings.webhooks_enabled:
            return []
        subscriptions = (await session.scalars(select(WebhookSubscription).where(
            WebhookSubscription.tenant == envelope.tenant, WebhookSubscription.active.is_(True)))).all()
        targets = [s for s in subscriptions if webhooks.matches(list(s.event_types), event_type)]
        if not targets:
            return []
        body = webhooks.body(event_type, envelope.time, {
            "tenant": envelope.tenant, "source_event_id": envelope.id, "source_event_type": envelope.type, **data})
        return [Planned(kind=kind, recipient=s.id, channel="webhook", address=s.url, subject=event_type, body=body,
                        unit_id=unit_id, occurrence=occurrence) for s in targets]

    async def save(self, session: AsyncSession, envelope: Envelope, planned: list[Planned],
                   view: TenantView) -> int:
        added = await record(session, envelope, planned, view, datetime.now(UTC))
        if added:
            on_commit(session, self.wake)
        return added
