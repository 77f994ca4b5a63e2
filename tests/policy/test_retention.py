"""Retention in the policy service on real PostgreSQL: two replicas of its job, run at once on one
database, delete exactly the last fixes past their period, remove exactly the place versions closed
longer ago than their period, and reduce exactly the employees inactive for longer than
``leaver_days`` (places, contacts and last fix, one tombstone on ``directory.contacts.v1`` each), and
delete exactly the access-log rows older than ``access_log_days`` (through the append-only trigger);
two tenants with different periods and zones, each row once; nothing else changes, and a third run
reduces (and publishes) nothing."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from services.contracts.events import DirectoryContact, DirectoryUpdated
from services.contracts.policy import local_date
from services.policy.settings import PolicySettings
from services.policy.store import Employee, LastFix, LocationRead, Tenant, outbox
from services.runtime.outbox import TOMBSTONE
from services.runtime.retention import SENT_EVENTS, Retention
from services.runtime.service import ServiceRuntime
from tests.policy.conftest import nip_for
from tests.support import infra
from tests.support.retention import changed, printed, replicas, side_by_side, stop, total, two_replicas

pytestmark = pytest.mark.infra

NOW = datetime(2026, 6, 30, 16, 30, tzinfo=UTC)  # 23:30 on the 30th in Jakarta, 01:30 on 1 July in Jayapura
SECOND, DAY = timedelta(seconds=1), timedelta(days=1)
EMPLOYEE_KEY = "t.tenant || '/' || t.nip"


two = two_replicas("policy")


def place(name: str, kind: str, start: date | None, until: date | None, lat: float = -6.12) -> dict[str, Any]:
    return {"name": name, "kind": kind, "latitude": lat, "longitude": 106.15, "radius_m": 150.0,
            "valid_from": start.isoformat() if start else None, "valid_until": until.isoformat() if until else None}


@dataclass
class Expected:
    """What the run must do, by key ``tenant/nip``."""

    fixes: set[str] = field(default_factory=set)  # last fixes deleted
    places: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # employees' places afterwards
    leavers: dict[str, tuple[str, str]] = field(default_factory=dict)  # reduced leavers: (tenant, nip)
    reads: set[str] = field(default_factory=set)  # access-log rows deleted (read ids)


async def seed(rt: ServiceRuntime, expected: Expected) -> tuple[str, str]:
    """Two tenants: A (WIB) with short periods, B (WIT) with the defaults."""
    a, b = f"t-{uuid.uuid4().hex[:10]}", f"t-{uuid.uuid4().hex[:10]}"
    employees: list[dict[str, Any]] = []
    fixes: list[dict[str, Any]] = []
    reads: list[dict[str, Any]] = []
    for tenant, zone, fix_days, place_days, leaver_days, log_days in ((a, "Asia/Jakarta", 10, 0, 5, 365),
                                                                      (b, "Asia/Jayapura", 30, 90, 90, 730)):
        today, n = local_date(NOW, zone), iter(range(1000))

        def person(*, places: list[dict[str, Any]] | None = None, since: date | None = None, contacts: bool = True,
                   fix: datetime | None = None, tenant: str = tenant, n: Any = n) -> str:
            nip = nip_for(next(n))
            employees.append({"tenant": tenant, "nip": nip, "name": f"Pegawai {nip[-3:]}", "position": "Analis",
                              "unit_id": "bkd", "is_teacher": False, "is_front_line": False, "is_unit_head": False,
                              "active": since is None, "email": f"{nip}@example.go.id" if contacts else None,
                              "phone": "+6281234567" if contacts else None, "places": places or [],
                              "inactive_since": since})
            if fix is not None:
                fixes.append({"tenant": tenant, "nip": nip, "captured_at": fix, "latitude": -6.1, "longitude": 106.1})
            return f"{tenant}/{nip}"

        first_kept = today - place_days * DAY  # a version closed on this day is still kept
        office = place("Kantor", "office", None, None, lat=-6.2)
        for _ in range(5):  # moved house: the first home's version has expired, the second is at the cut-off
            old = place("Rumah", "home", None, first_kept - 2 * DAY)
            kept = place("Rumah", "home", first_kept - DAY, first_kept, lat=-6.13)
            current = place("Rumah", "home", first_kept + DAY, None, lat=-6.14)
            expected.places[person(places=[office, old, kept, current])] = [office, kept, current]
        person(places=[office, place("Rumah", "home", None, first_kept),
                       place("Rumah", "home", first_kept + DAY, None)])  # closed on the last day kept
        fix_cut = NOW - fix_days * DAY
        for i in range(4):  # last fixes one second (and more) past their period
            expected.fixes.add(person(places=[office], fix=fix_cut - SECOND - i * timedelta(hours=3)))
        person(places=[office], fix=fix_cut)  # exactly at the cut-off: kept
        person(places=[office], fix=NOW - timedelta(hours=2))
        left = today - (leaver_days + 1) * DAY
        gone = person(places=[office, place("Rumah", "home", None, None)], since=left, fix=NOW - 3 * DAY)
        fix_only = person(since=left, contacts=False, fix=NOW - 3 * DAY)
        expected.places[gone] = []  # the other one's row held nothing but a last fix elsewhere: unchanged
        for key in (gone, fix_only):
            expected.fixes.add(key)
            expected.leavers[key] = (tenant, key.split("/")[1])
        person(since=left, contacts=False)  # reduced before: nothing left to reduce, no second tombstone
        person(places=[office], since=today - leaver_days * DAY, fix=NOW - 3 * DAY)  # gone exactly the period
        log_cut = NOW - log_days * DAY
        for age, expires in ((SECOND, True), (DAY, True), (40 * DAY, True), (timedelta(0), False), (-DAY, False)):
            read = uuid.uuid4()
            reads.append({"read_id": read, "tenant": tenant, "employee_id": nip_for(0), "actor": "admin",
                          "actor_nip": None, "actor_roles": ["tenant_admin"], "purpose": "Verifikasi alamat",
                          "endpoint": "policy GET /v1/employees/{nip}/places", "data": "places", "records": 1,
                          "at": log_cut - age})
            if expires:
                expected.reads.add(str(read))
    async with rt.sessions() as session, session.begin():
        await session.execute(insert(Tenant), [
            {"id": a, "name": "Pemkot A", "kind": "city", "timezone": "Asia/Jakarta",
             "retention": {"last_fix_days": 10, "superseded_places_days": 0, "leaver_days": 5,
                           "access_log_days": 365}},
            {"id": b, "name": "Pemkab B", "kind": "regency", "timezone": "Asia/Jayapura", "retention": None}])
        await session.execute(insert(Employee), employees)
        await session.execute(insert(LastFix), fixes)
        await session.execute(insert(LocationRead), reads)
        sent = [(NOW - 8 * DAY, "old"), (NOW - DAY, "recent")]
        await session.execute(insert(outbox), [dict(
            event_id=f"{label}-{uuid.uuid4().hex}", topic="policy.updated.v1", ce_type="hadir.policy.updated.v1",
            ce_source="/hadir/policy", tenant=a, subject="x", ce_time=at, payload=b"{}", created_at=at,
            published_at=at + SECOND) for at, label in sent])
    return a, b


async def state(rt: ServiceRuntime) -> tuple[dict[str, str], ...]:
    async with rt.sessions() as session:
        return (await printed(session, "employees", EMPLOYEE_KEY), await printed(session, "last_fixes", EMPLOYEE_KEY),
                await printed(session, "outbox", "t.event_id"), await printed(session, "location_reads", "t.read_id"))


@pytest.mark.parametrize("lock", ["shared", "defeated"])
async def test_two_replicas_reduce_exactly_what_passed_its_period_each_once(
        two: list[tuple[ServiceRuntime, Retention]], lock: str) -> None:
    (rt, first), (_, second) = two
    assert [r.kind for r in first.reducers] == ["last_fixes", "superseded_places", "leavers", "access_log"]
    if lock == "defeated":  # as if the lock were lost: the statements alone must keep them apart
        second.lock = first.lock + 1
    first.limit = second.limit = 3
    expected = Expected()
    await seed(rt, expected)
    employees, fixes, events, reads = await state(rt)

    runs = await side_by_side([first, second], NOW)
    assert all(r.outcome in ("ok", "skipped") for r in runs), runs
    assert total(runs, "last_fixes") == 8
    assert total(runs, "superseded_places") == 10
    assert total(runs, "leavers") == len(expected.leavers) == 4
    assert total(runs, SENT_EVENTS) == 1
    assert total(runs, "access_log") == len(expected.reads) == 6
    employees_after, fixes_after, events_after, reads_after = await state(rt)
    assert changed(reads, reads_after) == set(reads) - set(reads_after) == expected.reads, \
        "exactly the access-log rows past their period are deleted, none changed"
    assert changed(employees, employees_after) == set(expected.places), "nothing but these employees changed"
    assert changed(fixes, fixes_after) == expected.fixes
    assert set(fixes) - set(fixes_after) == expected.fixes, "expired fixes are deleted, none changed"

    async with rt.sessions() as session:
        rows = {f"{e.tenant}/{e.nip}": e for e in (await session.scalars(select(Employee))).all()}
        staged = (await session.execute(select(outbox).where(outbox.c.published_at.is_(None)))).all()
    assert {k: rows[k].places for k in expected.places} == expected.places
    assert all((rows[k].email, rows[k].phone) == (None, None) for k in expected.leavers)
    assert sorted((r.tenant, r.subject, r.ce_type, r.payload) for r in staged) == sorted(
        (tenant, nip, DirectoryContact.TYPE, TOMBSTONE) for tenant, nip in expected.leavers.values()), \
        "one tombstone per reduced leaver on directory.contacts.v1, nothing else (directory.updated.v1 is off)"
    assert {r.topic for r in staged} == {DirectoryContact.TOPIC}
    gone = changed(events, events_after) - {r.event_id for r in staged}
    assert len(gone) == 1 and next(iter(gone)).startswith("old-"), "the sent event past the keep period"

    again = await side_by_side([first, second], NOW)
    assert all(total(again, kind) == 0
               for kind in ("last_fixes", "superseded_places", "leavers", "access_log", SENT_EVENTS))
    assert await state(rt) == (employees_after, fixes_after, events_after, reads_after), \
        "nothing reduced or published twice"


async def test_while_directory_updated_v1_is_on_it_learns_of_reduced_places_and_leavers(
        postgres_server: infra.PostgresServer, dev_keys: tuple[Path, Path]) -> None:
    [(rt, job)] = await replicas(await postgres_server.create_database("policy_retention"), "policy", dev_keys[1],
                                 count=1, settings=PolicySettings, publish_directory_v1=True)
    try:
        expected = Expected()
        await seed(rt, expected)
        await job.run_once(NOW)
        async with rt.sessions() as session:
            staged = (await session.execute(select(outbox).where(outbox.c.published_at.is_(None))
                                            .order_by(outbox.c.id))).all()
        v1 = [r for r in staged if r.topic == DirectoryUpdated.TOPIC]
        republished = {f"{r.tenant}/{r.subject}": json.loads(r.payload)["employee"]["places"]
                       for r in v1 if r.payload != TOMBSTONE}
        moved = {k: v for k, v in expected.places.items() if k not in expected.leavers}
        assert republished == moved, "each employee whose superseded places went, with the places kept"
        tombstones = sorted((r.tenant, r.subject) for r in v1 if r.payload == TOMBSTONE)
        assert tombstones == sorted(expected.leavers.values()), "a leaver's v1 record carried places and contacts"
    finally:
        await stop([(rt, job)])
