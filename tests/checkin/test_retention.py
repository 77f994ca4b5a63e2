"""Retention in the check-in service on real PostgreSQL: two replicas of its job, run at once on one
database, reduce exactly the check-ins past their tenant's period (or of employees gone longer than
``leaver_days``) and the sent outbox rows past the keep period, each once, and change nothing else; a
third run reduces nothing. A reduced check-in keeps its verdict, and a retry under its idempotency
key is still answered as one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select

from services.checkin.retention import RAW_FIELDS, reduce_checkins
from services.checkin.store import Checkin, DirectoryEmployee, DirectoryTenant, outbox
from services.contracts.policy import local_date
from services.contracts.rules.retention import DEFAULT_PERIODS
from services.runtime.retention import SENT_EVENTS, Retention
from services.runtime.service import ServiceRuntime
from tests.checkin.conftest import CheckinService, new_tenant, nip
from tests.support.retention import changed, printed, side_by_side, total, two_replicas

pytestmark = pytest.mark.infra

NOW = datetime(2026, 6, 30, 3, 0, tzinfo=UTC)  # 10:00 WIB, 12:00 WIT
SECOND = timedelta(seconds=1)
KIND = "checkin_coordinates"
two = two_replicas("checkin")


def payload(captured: datetime) -> dict[str, Any]:
    return {"kind": "location", "captured_at": captured.isoformat(), "device_id": "hp-siti-01",
            "location": {"latitude": -6.12, "longitude": 106.15, "accuracy_m": 8.0, "mock_location": False},
            "activity_text": None, "attachment_ref": None, "meeting_ref": None}


def checkin(tenant: str, who: str, captured: datetime, *, reduced: bool = False) -> dict[str, Any]:
    body = payload(captured)
    if reduced:
        body = {k: v for k, v in body.items() if k not in RAW_FIELDS}
    return dict(id=str(uuid.uuid4()), tenant=tenant, employee_id=who, unit_id="bkd", kind="location",
                captured_at=captured, received_at=captured + SECOND, idempotency_key=f"k-{uuid.uuid4().hex}",
                request_hash="f" * 64, payload=body, status="on_time", window_id="pagi", late_minutes=0,
                geofence="inside", distance_m=12.5, suspicious=False, reasons=[], evaluated_at=captured + 2 * SECOND,
                place_name="Rumah", reduced_at=NOW - timedelta(days=5) if reduced else None)


async def seed(rt: ServiceRuntime) -> set[str]:
    """Two tenants with different periods and zones; returns the ids of the check-ins to reduce."""
    a, b = new_tenant(), new_tenant()
    today_a, today_b = local_date(NOW, "Asia/Jakarta"), local_date(NOW, "Asia/Jayapura")
    staff, gone, going = nip(1), nip(2), nip(3)
    employees = [  # (tenant, nip, inactive_since)
        (a, staff, None), (a, gone, today_a - timedelta(days=11)), (a, going, today_a - timedelta(days=10)),
        (b, staff, None), (b, gone, today_b - timedelta(days=91)), (b, going, today_b - timedelta(days=90)),
    ]
    expected: set[str] = set()
    rows: list[dict[str, Any]] = []

    def add(row: dict[str, Any], reduce: bool) -> None:
        rows.append(row)
        if reduce:
            expected.add(row["id"])

    for tenant, days in ((a, 30), (b, 90)):
        cut = NOW - timedelta(days=days)
        for i in range(7):  # a backlog of several batches
            add(checkin(tenant, staff, cut - SECOND - timedelta(hours=i)), True)
        add(checkin(tenant, staff, cut), False)  # exactly at the cut-off: kept
        add(checkin(tenant, staff, cut + SECOND), False)
        add(checkin(tenant, staff, NOW - timedelta(hours=1)), False)
        add(checkin(tenant, staff, cut - timedelta(days=40), reduced=True), False)  # reduced before
        for i in range(4):  # gone longer than leaver_days: reduced whatever their age
            add(checkin(tenant, gone, NOW - timedelta(days=20 + i)), True)
        add(checkin(tenant, going, NOW - timedelta(days=20)), False)
        add(checkin(tenant, going, cut - SECOND), True)  # by its age
    async with rt.sessions() as session, session.begin():
        await session.execute(insert(DirectoryTenant), [
            {"id": a, "timezone": "Asia/Jakarta", "retention": {"checkin_coordinates_days": 30, "leaver_days": 10}},
            {"id": b, "timezone": "Asia/Jayapura", "retention": None}])
        await session.execute(insert(DirectoryEmployee), [
            {"tenant": t, "nip": n, "name": f"Pegawai {n[-3:]}", "unit_id": "bkd", "active": since is None,
             "is_unit_head": False, "inactive_since": since} for t, n, since in employees])
        await session.execute(insert(Checkin), rows)
    return expected


async def seed_outbox(rt: ServiceRuntime) -> set[str]:
    """Sent, pending and parked outbox rows (``checkin.received`` carries coordinates); the ids to delete."""
    keep_until = NOW - timedelta(days=7)
    rows = [(keep_until - timedelta(days=2), None, True), (keep_until - SECOND, None, True), (None, NOW, False),
            (keep_until, None, False), (NOW - timedelta(hours=2), None, False), (None, None, False)]
    async with rt.sessions() as session, session.begin():
        ids = (await session.scalars(insert(outbox).returning(outbox.c.id), [dict(
            event_id=str(uuid.uuid4()), topic="checkin.received.v1", ce_type="hadir.checkin.received.v1",
            ce_source="/hadir/checkin", tenant="t-x", subject=nip(1), ce_time=NOW, payload=b'{"location": {}}',
            created_at=NOW - timedelta(days=9), published_at=published, parked_at=parked)
            for published, parked, _ in rows])).all()
    return {str(i) for i, (_, _, gone) in zip(ids, rows, strict=True) if gone}


@pytest.mark.parametrize("lock", ["shared", "defeated"])
async def test_two_replicas_reduce_exactly_the_expired_checkins_each_once(
        two: list[tuple[ServiceRuntime, Retention]], lock: str) -> None:
    (rt, first), (_, second) = two
    assert [r.kind for r in first.reducers] == [KIND]
    if lock == "defeated":  # as if the lock were lost: the statements alone must keep them apart
        second.lock = first.lock + 1
    first.limit = second.limit = 3
    expected, sent = await seed(rt), await seed_outbox(rt)
    async with rt.sessions() as session:
        before, outbox_before = await printed(session, "checkins", "t.id"), await printed(session, "outbox", "t.id")
        originals = {c.id: c for c in (await session.scalars(select(Checkin))).all()}

    runs = await side_by_side([first, second], NOW)
    assert [r.outcome for r in runs].count("failed") == 0
    assert total(runs, KIND) == len(expected) == 24, "each expired check-in reduced once, by one replica"
    assert total(runs, SENT_EVENTS) == len(sent) == 2
    async with rt.sessions() as session:
        after, outbox_after = await printed(session, "checkins", "t.id"), await printed(session, "outbox", "t.id")
        reduced = {c.id: c for c in (await session.scalars(select(Checkin).where(Checkin.id.in_(expected)))).all()}
    assert changed(before, after) == expected, "nothing but the expired check-ins changed"
    for id_, row in reduced.items():
        old = originals[id_]
        assert row.reduced_at == NOW
        assert row.payload == {k: v for k, v in old.payload.items() if k not in RAW_FIELDS}
        assert (row.status, row.geofence, row.distance_m, row.place_name, row.reasons, row.request_hash) == \
            (old.status, old.geofence, old.distance_m, old.place_name, old.reasons, old.request_hash)
    assert changed(outbox_before, outbox_after) == sent, "only the sent rows past the keep period are gone"

    again = await side_by_side([first, second], NOW)
    assert total(again, KIND) == total(again, SENT_EVENTS) == 0
    async with rt.sessions() as session:
        assert await printed(session, "checkins", "t.id") == after


async def test_a_retry_of_a_reduced_checkin_is_still_answered_as_the_stored_one(checkin: CheckinService) -> None:
    tenant, who = new_tenant(), nip(31)
    await checkin.seed_employees(tenant, [who], timezone="Asia/Jakarta")
    headers = {**checkin.employee(tenant, who), "Idempotency-Key": "hp-retention-1"}
    body = {"kind": "location", "captured_at": datetime.now(UTC).isoformat(), "device_id": "hp-31",
            "location": {"latitude": -6.12, "longitude": 106.15, "accuracy_m": 8}}
    first = await checkin.client.post("/v1/checkins", json=body, headers=headers)
    assert first.status_code == 201, first.text

    later = datetime.now(UTC) + timedelta(days=DEFAULT_PERIODS.checkin_coordinates_days, seconds=1)
    async with checkin.rt.sessions() as session, session.begin():
        assert await reduce_checkins(session, tenant, DEFAULT_PERIODS, later, local_date(later, "Asia/Jakarta"),
                                     10) == 1
    [row] = await checkin.rows(tenant)
    assert row.reduced_at is not None and "location" not in row.payload and "device_id" not in row.payload

    retry = await checkin.client.post("/v1/checkins", json=body, headers=headers)
    assert retry.status_code == 201, retry.text
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json() == first.json()
    other = await checkin.client.post("/v1/checkins", json={**body, "device_id": "hp-other"}, headers=headers)
    assert other.status_code == 409, other.text
    mine = await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, who))
    assert mine.status_code == 200, mine.text
    assert [c["id"] for c in mine.json()["items"]] == [first.json()["id"]], "the reduced check-in is still listed"
