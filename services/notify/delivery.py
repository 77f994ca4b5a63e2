"""The delivery loop: works the delivery log, not the Kafka consumer.

One round claims due rows (``pending``, or ``sending`` whose lease ran out because
an instance died mid-send) with ``FOR UPDATE SKIP LOCKED``, so several instances
share the work without taking the same row. A claim is short: it marks the row
``sending``, counts the attempt and sets ``next_attempt_at`` to the lease's end,
then commits; the outside call happens with no transaction open. The outcome is
written with a fence (the row's attempt number must still be the claimed one) so a
late answer from an expired lease cannot overwrite a newer attempt.

Failures are retried with exponential backoff and jitter, the time stored in the
row (a restart resumes the schedule); past the horizon the row is ``dead``. Rows
for people wait out the tenant's quiet hours; webhooks do not. Every final outcome
(``sent``, ``failed``, ``dead``) is published as ``notification.sent`` through the outbox.

Fair share: at most ``delivery_concurrency`` sends are in flight, at most
``delivery_tenant_concurrency`` of them for one tenant, and a claim takes only rows that
fit those limits (per tenant, its oldest due rows first). The loop does not wait for a
round's sends before claiming again: a free slot is filled at once, so one tenant's slow
endpoint holds only its own slots and never another tenant's notices.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from prometheus_client import Counter, Gauge
from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import NotificationSent
from services.notify import audience
from services.notify.channels.base import Message, Outcome, Sender
from services.notify.domain.retry import next_attempt
from services.notify.settings import PERSON_CHANNELS, NotifySettings
from services.notify.store import DeliveryAttempt, Notification, utc
from services.runtime import outbox, telemetry
from services.runtime.service import ServiceRuntime
from services.runtime.wakeup import Wakeup

log = structlog.get_logger(__name__)

FINAL_EVENT_STATUS = {"sent": "sent", "failed": "failed", "dead": "dead"}


@dataclass(frozen=True)
class Claim:
    message: Message
    started_at: datetime
    traceparent: str | None = None  # of the event the notification answers


class DeliveryMetrics:
    def __init__(self, rt: ServiceRuntime) -> None:
        self.attempts = Counter("hadir_notify_attempts_total", "Delivery attempts by channel and outcome",
                                ["channel", "outcome"], registry=rt.registry)
        self.final = Counter("hadir_notifications", "Notifications reaching a final status (sent, failed, dead)",
                             ["channel", "status"], registry=rt.registry)
        self.backlog = Gauge("hadir_notify_due", "Notifications due for delivery now", registry=rt.registry)


class DeliveryWorker:
    def __init__(self, rt: ServiceRuntime, settings: NotifySettings, senders: dict[str, Sender]) -> None:
        self.rt = rt
        self.settings = settings
        self.senders = senders
        self.metrics = DeliveryMetrics(rt)
        self._wakeup = Wakeup()
        self._in_flight: dict[asyncio.Task[None], str] = {}  # each send and its tenant

    def wake(self, *_: Any) -> None:
        self._wakeup.ring()

    async def run(self) -> None:
        try:
            await self._loop()
        finally:  # stopping: sends in flight give their rows back (``deliver`` handles the cancellation)
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _loop(self) -> None:
        failures = 0
        gauged = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                worked = await self.dispatch()
                failures = 0
                if loop.time() - gauged > 10:
                    await self.due_count()
                    gauged = loop.time()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database unreachable: the rows wait, we back off
                failures += 1
                delay = min(30.0, 0.5 * 2**failures)
                log.warning("delivery round failed", error=repr(exc), retry_in=delay)
                await asyncio.sleep(delay)
                continue
            if worked and len(self._in_flight) < self.settings.delivery_concurrency:
                continue  # there may be more due rows and there is room for them
            await self._wakeup.sleep(self.settings.delivery_poll_seconds)

    async def dispatch(self, now: datetime | None = None) -> int:
        """Claim due rows that fit the free slots and start sending them; return how many were claimed."""
        free = self.settings.delivery_concurrency - len(self._in_flight)
        if free <= 0:
            return 0
        claims = await self.claim(now or datetime.now(UTC), limit=free)
        for claim in claims:
            task = asyncio.create_task(self.deliver(claim), name=f"deliver-{claim.message.id}")
            self._in_flight[task] = claim.message.tenant
            task.add_done_callback(self._done)
        return len(claims)

    async def round(self, now: datetime | None = None) -> int:
        """Claim due rows and deliver them, waiting for the sends; return how many were claimed."""
        claimed = await self.dispatch(now)
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        return claimed

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.pop(task, None)
        self._wakeup.ring()  # a slot is free

    # --- claiming ------------------------------------------------------------------

    async def claim(self, now: datetime, limit: int | None = None) -> list[Claim]:
        """Claim up to ``limit`` due rows (the batch size), each tenant's oldest first and no more
        of a tenant's than its free slots."""
        s = self.settings
        per_tenant = s.delivery_tenant_concurrency
        room: dict[str, int] = {}  # free slots of each tenant with sends in flight
        for tenant in self._in_flight.values():
            room[tenant] = room.get(tenant, per_tenant) - 1
        claims: list[Claim] = []
        finals: list[Notification] = []
        due = (Notification.status.in_(("pending", "sending")), Notification.next_attempt_at <= now)
        full = [tenant for tenant, n in room.items() if n <= 0]
        ranked = (select(Notification.id, func.row_number().over(
            partition_by=Notification.tenant, order_by=Notification.next_attempt_at).label("rank"))
            .where(*due, Notification.tenant.not_in(full) if full else true()).subquery())
        async with self.rt.sessions() as session, session.begin():
            rows = (await session.scalars(
                select(Notification)
                .where(*due, Notification.id.in_(select(ranked.c.id).where(ranked.c.rank <= per_tenant)))
                .order_by(Notification.next_attempt_at)
                .limit(min(limit or s.delivery_batch_size, s.delivery_batch_size))
                .with_for_update(skip_locked=True))).all()
            views: dict[str, audience.TenantView] = {}
            for row in rows:
                expires_at = utc(row.expires_at)
                if expires_at is not None and expires_at <= now:
                    self._finish(row, "dead", now, error=f"expired at {expires_at.isoformat()}")
                    finals.append(row)
                    continue
                if row.channel in PERSON_CHANNELS:
                    if row.tenant not in views:
                        views[row.tenant] = await audience.tenant_view(session, row.tenant, s)
                    quiet = views[row.tenant].quiet
                    release = quiet.release(now) if quiet is not None else None
                    if release is not None:  # night in the tenant's zone: wait, no attempt counted
                        row.status, row.next_attempt_at, row.updated_at = "pending", release, now
                        continue
                if room.setdefault(row.tenant, per_tenant) <= 0:
                    continue  # the tenant's slots are taken: a later claim
                room[row.tenant] -= 1
                row.status = "sending"
                row.attempts += 1
                row.first_attempt_at = row.first_attempt_at or now
                row.next_attempt_at = now + timedelta(seconds=s.lease_seconds)
                row.updated_at = now
                claims.append(Claim(Message(
                    id=row.id, tenant=row.tenant, kind=row.kind, channel=row.channel, recipient=row.recipient,
                    address=row.address, language=row.language, subject=row.subject, body=row.body,
                    attempt=row.attempts), now, row.traceparent))
            for row in finals:
                await self._publish(session, row)
        if finals:
            self.rt.wake_relay()
        return claims

    # --- delivering ----------------------------------------------------------------

    async def deliver(self, claim: Claim) -> None:
        """One attempt; with tracing on, a span in the trace of the event the notification answers."""
        with telemetry.job(f"deliver {claim.message.channel}", claim.traceparent,
                           **{"hadir.notification": claim.message.id, "hadir.channel": claim.message.channel,
                              "hadir.attempt": claim.message.attempt}):
            await self._deliver(claim)

    async def _deliver(self, claim: Claim) -> None:
        message = claim.message
        sender = self.senders.get(message.channel)
        try:
            if sender is None:
                outcome = Outcome.retry(f"channel {message.channel!r} is not configured")
            else:
                async with asyncio.timeout(self.settings.send_timeout_seconds + 5):
                    outcome = await sender.send(message)
        except asyncio.CancelledError:
            await asyncio.shield(self._release(claim))
            raise
        except Exception as exc:  # a timeout or a bug in a channel: retried like any failure
            outcome = Outcome.retry(repr(exc))
        self.metrics.attempts.labels(message.channel, outcome.result).inc()
        try:
            await self.settle(claim, outcome)
        except Exception as exc:
            # the lease runs out and the row is tried again: at least once, never lost
            log.warning("could not record delivery outcome", notification_id=message.id, error=repr(exc))

    async def settle(self, claim: Claim, outcome: Outcome, now: datetime | None = None) -> None:
        """Record the attempt and move the row to its next status."""
        s = self.settings
        message = claim.message
        now = now or datetime.now(UTC)
        async with self.rt.sessions() as session, session.begin():
            row = await session.get(Notification, message.id, with_for_update=True)
            if row is None or row.status != "sending" or row.attempts != message.attempt:
                log.warning("stale delivery outcome ignored", notification_id=message.id, attempt=message.attempt)
                return
            session.add(DeliveryAttempt(notification_id=row.id, attempt=message.attempt, started_at=claim.started_at,
                                        finished_at=now, outcome=outcome.result, status_code=outcome.status_code,
                                        error=outcome.error))
            if outcome.provider_ref:
                row.provider_ref = outcome.provider_ref
            if outcome.result == "ok":
                self._finish(row, "sent", now)
                row.sent_at = now
                await self._publish(session, row)
            elif outcome.result == "failed":
                self._finish(row, "failed", now, error=outcome.error)
                await self._publish(session, row)
            elif outcome.result == "cancelled":
                self._finish(row, "cancelled", now, error=outcome.error)
            else:
                when = next_attempt(now, message.attempt, base=s.retry_base_seconds, cap=s.retry_max_seconds,
                                    first_attempt_at=utc(row.first_attempt_at) or claim.started_at,
                                    horizon=s.retry_horizon_seconds, retry_after=outcome.retry_after)
                if when is None:
                    self._finish(row, "dead", now, error=outcome.error)
                    await self._publish(session, row)
                else:
                    row.status, row.next_attempt_at, row.last_error, row.updated_at = (
                        "pending", when, outcome.error, now)
        if row.status in FINAL_EVENT_STATUS:
            self.rt.wake_relay()
        log.info("delivery attempt", notification_id=message.id, channel=message.channel, attempt=message.attempt,
                 outcome=outcome.result, status=row.status, error=outcome.error)

    async def _release(self, claim: Claim) -> None:
        """Shutting down mid-send: give the row back at once instead of waiting out the lease."""
        try:
            async with self.rt.sessions() as session, session.begin():
                row = await session.get(Notification, claim.message.id, with_for_update=True)
                if row is not None and row.status == "sending" and row.attempts == claim.message.attempt:
                    row.status, row.next_attempt_at = "pending", datetime.now(UTC)
                    session.add(DeliveryAttempt(
                        notification_id=row.id, attempt=claim.message.attempt, started_at=claim.started_at,
                        finished_at=datetime.now(UTC), outcome="interrupted", error="service stopping"))
        except Exception as exc:  # noqa: BLE001 — the lease covers this case too
            log.warning("could not release claimed row", notification_id=claim.message.id, error=repr(exc))

    def _finish(self, row: Notification, status: str, now: datetime, error: str | None = None) -> None:
        row.status, row.updated_at, row.next_attempt_at = status, now, now
        if error is not None:
            row.last_error = error
        self.metrics.final.labels(row.channel, status).inc()

    async def _publish(self, session: AsyncSession, row: Notification) -> None:
        await outbox.stage(session, self.rt.outbox, NotificationSent(
            notification_id=uuid.UUID(row.id), source_event_id=row.source_event_id,
            source_event_type=row.source_event_type, recipient=row.recipient,
            channel=row.channel,  # type: ignore[arg-type]
            status=FINAL_EVENT_STATUS[row.status],  # type: ignore[arg-type]
        ), tenant=row.tenant, source=self.rt.source, traceparent=row.traceparent)

    async def due_count(self) -> int:
        async with self.rt.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Notification).where(
                Notification.status.in_(("pending", "sending")),
                Notification.next_attempt_at <= datetime.now(UTC)))
        self.metrics.backlog.set(count or 0)
        return count or 0
