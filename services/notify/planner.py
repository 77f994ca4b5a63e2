"""Turning one event into rows of the delivery log, inside the consumer's transaction.

A :class:`Planner` renders a person's messages for each channel they can be reached on
(:mod:`services.notify.domain.people`; none: one ``skipped`` row on the ``log`` channel with the
reason, counted in ``hadir_notify_skipped_total`` once committed), finds the tenant's matching webhook
subscriptions, and records what is new (:mod:`services.notify.deliverylog`: a
redelivered event adds nothing). Once the transaction commits, the delivery loop is
woken; nothing is sent here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.notify.deliverylog import on_commit, record
from services.notify.domain import webhooks
from services.notify.domain.people import Person, TenantView, skip_reason
from services.notify.domain.planned import Planned
from services.notify.domain.reminders import office_day_reminder
from services.notify.messages import render
from services.notify.settings import NotifySettings
from services.notify.store import WebhookSubscription


class Planner:
    """Builds and records the notifications of one event."""

    def __init__(self, settings: NotifySettings, wake: Callable[..., None], skipped: Counter | None = None) -> None:
        self.settings = settings
        self.wake = wake
        self.skipped = skipped  # hadir_notify_skipped_total{channel, reason}

    def to_person(self, p: Person, kind: str, view: TenantView, *, occurrence: str = "",
                  not_before: datetime | None = None, expires_at: datetime | None = None,
                  unit_id: str | None = None, **context: Any) -> list[Planned]:
        deliveries: list[tuple[str, str | None]] = list(p.deliveries(self.settings))
        unreachable = () if deliveries else tuple(p.unreachable(self.settings))
        subject, body = render(kind, p.language, view.timezone, name=p.name, **context)
        return [Planned(kind=kind, recipient=p.nip, channel=channel, address=address, subject=subject, body=body,
                        language=p.language, unit_id=unit_id or p.unit_id, occurrence=occurrence, not_before=not_before,
                        expires_at=expires_at, skipped=skip_reason(list(unreachable)) if unreachable else None,
                        unreachable=unreachable)
                for channel, address in deliveries or [("log", None)]]

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
        skipped = [pair for p in added for pair in p.unreachable]
        if skipped and self.skipped is not None:
            counter = self.skipped

            def count(*_: Any) -> None:
                for channel, reason in skipped:
                    counter.labels(channel, reason).inc()
            on_commit(session, count, once=True)
        return len(added)
