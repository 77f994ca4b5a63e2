"""The delivery loop against real PostgreSQL: several instances, leases, fencing, quiet hours, expiry.

Workers run in-process here (two runtimes, two connection pools on one database) so
that rounds can be driven directly; channels are fakes that count what they are given.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from services.notify.channels.base import Message, Outcome
from services.notify.delivery import DeliveryWorker
from services.notify.settings import NotifySettings
from services.notify.store import Base, DeliveryAttempt, Notification, TenantSettings, outbox
from services.runtime import migrations
from services.runtime.service import ServiceRuntime
from tests.notify.inprocess import MIGRATIONS, row, runtime

pytestmark = pytest.mark.infra


class CountingSender:
    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()

    async def send(self, message: Message) -> Outcome:
        await asyncio.sleep(0.005)  # an outside call: let the other instance run meanwhile
        self.sent[message.id] += 1
        return Outcome.ok()


@pytest.fixture
async def runtimes(pg_url: str):  # type: ignore[no-untyped-def]
    await migrations.upgrade_async(MIGRATIONS, pg_url, Base.metadata)
    several = [runtime(pg_url) for _ in range(3)]
    yield several
    for rt in several:
        await rt.engine.dispose()


async def test_two_instances_never_take_the_same_row(runtimes: list[ServiceRuntime]) -> None:
    rt1 = runtimes[0]
    async with rt1.sessions() as session, session.begin():
        session.add_all([row("t1") for _ in range(120)])
    settings = NotifySettings(delivery_batch_size=7, delivery_concurrency=4)
    sender = CountingSender()
    workers = [DeliveryWorker(rt, settings, {"webhook": sender}) for rt in runtimes]

    async def drain(worker: DeliveryWorker) -> int:
        total = 0
        while claimed := await worker.round():
            total += claimed
        return total

    per_worker = await asyncio.gather(*(drain(w) for w in workers))
    assert sum(per_worker) == 120 and len(sender.sent) == 120
    assert set(sender.sent.values()) == {1}
    assert sum(1 for n in per_worker if n) >= 2, per_worker  # the work was shared
    async with rt1.sessions() as session:
        statuses = Counter((await session.scalars(select(Notification.status))).all())
        audited = await session.scalar(select(func.count()).select_from(outbox))
    assert statuses == {"sent": 120} and audited == 120


async def test_an_expired_lease_is_taken_over_and_the_late_answer_ignored(
    runtimes: list[ServiceRuntime],
) -> None:
    rt1, rt2, _ = runtimes
    async with rt1.sessions() as session, session.begin():
        session.add(item := row("t2"))
    settings = NotifySettings(lease_seconds=5)
    first = DeliveryWorker(rt1, settings, {})
    second = DeliveryWorker(rt2, settings, {})
    now = datetime.now(UTC)
    [slow] = await first.claim(now)
    assert await second.claim(now + timedelta(seconds=1)) == []  # leased
    [takeover] = await second.claim(now + timedelta(seconds=6))  # the first instance looks dead
    assert (slow.message.attempt, takeover.message.attempt) == (1, 2)

    await first.settle(slow, Outcome.ok())  # a late answer of the expired lease: must not count
    async with rt1.sessions() as session:
        assert (await session.get(Notification, item.id)).status == "sending"  # type: ignore[union-attr]
    await second.settle(takeover, Outcome.ok())
    async with rt1.sessions() as session:
        stored = await session.get(Notification, item.id)
        attempts = (await session.scalars(select(DeliveryAttempt.attempt).where(
            DeliveryAttempt.notification_id == item.id))).all()
    assert stored is not None and (stored.status, stored.attempts) == ("sent", 2)
    assert attempts == [2]


async def test_quiet_hours_and_expiry_at_claim_time(runtimes: list[ServiceRuntime]) -> None:
    rt = runtimes[0]
    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo("Asia/Jakarta"))  # no tenant row: default zone
    async with rt.sessions() as session, session.begin():
        session.add(TenantSettings(tenant="t3", quiet_start=(local - timedelta(hours=1)).time().replace(microsecond=0),
                                   quiet_end=(local + timedelta(hours=1)).time().replace(second=0, microsecond=0),
                                   escalate_daily=0, escalate_weekly=0, updated_at=now))
        session.add_all([email := row("t3", "email"), hook := row("t3", "webhook"),
                         late := row("t3", "email", expires_at=now - timedelta(minutes=1))])
    worker = DeliveryWorker(rt, NotifySettings(), {})
    claims = await worker.claim(now)
    assert [c.message.id for c in claims] == [hook.id]  # webhooks ignore quiet hours
    async with rt.sessions() as session:
        deferred = await session.get(Notification, email.id)
        expired = await session.get(Notification, late.id)
    assert deferred is not None and expired is not None
    assert (deferred.status, deferred.attempts) == ("pending", 0)
    assert deferred.next_attempt_at > now + timedelta(minutes=50)
    assert deferred.next_attempt_at.astimezone(local.tzinfo).time() == (local + timedelta(hours=1)).time().replace(
        second=0, microsecond=0)
    assert expired.status == "dead" and "expired" in (expired.last_error or "")
