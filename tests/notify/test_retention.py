"""Retention in the notify service on real PostgreSQL: two replicas of its job, run at once on one
database, delete exactly the finished notices (with their delivery attempts) older than their
tenant's ``notices_days``, two tenants with different periods; a notice still pending or being sent
stays whatever its age, nothing else changes, and a third run deletes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from services.notify.store import DeliveryAttempt, Notification, Tenant
from services.runtime.retention import Retention
from services.runtime.service import ServiceRuntime
from tests.notify.inprocess import row
from tests.support.retention import changed, printed, side_by_side, total, two_replicas

pytestmark = pytest.mark.infra

NOW = datetime(2026, 6, 30, 3, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
two = two_replicas("notify")


async def seed(rt: ServiceRuntime) -> set[str]:
    """Notices of two tenants on both sides of their periods; the ids to delete."""
    a, b = f"t-{uuid.uuid4().hex[:10]}", f"t-{uuid.uuid4().hex[:10]}"
    expected: set[str] = set()
    rows: list[Notification] = []

    def notice(tenant: str, created: datetime, status: str, gone: bool) -> None:
        n = row(tenant, channel="email", status=status, created_at=created, updated_at=created + SECOND,
                address="siti@example.go.id", subject="Laporan terlambat", body="Check-in pagi belum diterima")
        rows.append(n)
        if gone:
            expected.add(n.id)

    for tenant, days in ((a, 30), (b, 365)):
        cut = NOW - timedelta(days=days)
        for i, status in enumerate(["sent", "sent", "failed", "dead", "cancelled", "sent", "sent"]):
            notice(tenant, cut - SECOND - timedelta(hours=i), status, True)
        notice(tenant, cut, "sent", False)  # exactly at the cut-off
        notice(tenant, NOW - timedelta(days=1), "sent", False)
        notice(tenant, cut - timedelta(days=100), "pending", False)  # never delivered yet: kept
        notice(tenant, cut - timedelta(days=100), "sending", False)
    async with rt.sessions() as session, session.begin():
        await session.execute(insert(Tenant), [{"id": a, "name": "A", "timezone": "Asia/Makassar",
                                                "retention": {"notices_days": 30}},
                                               {"id": b, "name": "B", "timezone": "Asia/Jakarta", "retention": None}])
        session.add_all(rows)
        await session.flush()
        session.add_all([DeliveryAttempt(notification_id=n.id, attempt=1, started_at=n.created_at,
                                         finished_at=n.created_at + SECOND, outcome="ok") for n in rows])
    return expected


@pytest.mark.parametrize("lock", ["shared", "defeated"])
async def test_two_replicas_delete_exactly_the_finished_notices_past_their_period_each_once(
        two: list[tuple[ServiceRuntime, Retention]], lock: str) -> None:
    (rt, first), (_, second) = two
    assert [r.kind for r in first.reducers] == ["notices", "absences", "bkd_escalations"]
    if lock == "defeated":  # as if the lock were lost: the statements alone must keep them apart
        second.lock = first.lock + 1
    first.limit = second.limit = 3
    expected = await seed(rt)

    async def state() -> tuple[dict[str, str], dict[str, str]]:
        async with rt.sessions() as session:
            return (await printed(session, "notifications", "t.id"),
                    await printed(session, "delivery_attempts", "t.notification_id"))

    notices, attempts = await state()
    runs: list[Any] = await side_by_side([first, second], NOW)
    assert total(runs, "notices") == len(expected) == 14
    notices_after, attempts_after = await state()
    assert changed(notices, notices_after) == expected and not expected & set(notices_after)
    assert changed(attempts, attempts_after) == expected, "their delivery attempts went with them"

    again = await side_by_side([first, second], NOW)
    assert total(again, "notices") == 0
    assert await state() == (notices_after, attempts_after)
