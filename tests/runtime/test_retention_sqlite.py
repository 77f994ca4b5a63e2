"""Every service's retention job on SQLite (``hadir run`` keeps each service's data in a SQLite file):
the dialect's own JSON functions reduce the same rows as PostgreSQL's, without advisory locks."""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from services.runtime.service import ServiceRuntime
from tests.support.retention import replicas

NOW = datetime.now(UTC)
GONE, STAYS = "199001012015031001", "199001012015031002"
OLD_HOME = {"name": "Rumah", "kind": "home", "latitude": -6.1, "longitude": 106.1, "radius_m": None,
            "valid_from": None, "valid_until": "2020-01-01"}
HOME = {**OLD_HOME, "latitude": -6.2, "valid_from": "2020-01-02", "valid_until": None}


async def seed_checkin(rt: ServiceRuntime, store: Any) -> None:
    body = {"kind": "location", "captured_at": NOW.isoformat(), "device_id": "hp", "location": {"latitude": -6.1}}
    await rt_insert(rt, store.DirectoryTenant, [{"id": "a", "timezone": "Asia/Makassar", "retention": None}])
    await rt_insert(rt, store.DirectoryEmployee, [
        {"tenant": "a", "nip": n, "name": "x", "unit_id": "u", "active": since is None, "is_unit_head": False,
         "inactive_since": since} for n, since in ((GONE, date(2020, 1, 1)), (STAYS, None))])
    await rt_insert(rt, store.Checkin, [dict(
        id=str(uuid.uuid4()), tenant="a", employee_id=who, unit_id="u", kind="location", received_at=NOW,
        captured_at=NOW - timedelta(days=days), idempotency_key=f"k{days}{who}", request_hash="h", payload=body)
        for who, days in ((GONE, 1), (STAYS, 91), (STAYS, 89))])


async def seed_policy(rt: ServiceRuntime, store: Any) -> None:
    await rt_insert(rt, store.Tenant, [{"id": "a", "name": "A", "kind": "city", "timezone": "Asia/Jayapura",
                                        "retention": None}])
    await rt_insert(rt, store.Employee, [
        {"tenant": "a", "nip": STAYS, "name": "x", "unit_id": "u", "places": [OLD_HOME, HOME]},
        {"tenant": "a", "nip": GONE, "name": "y", "unit_id": "u", "active": False, "inactive_since": date(2020, 1, 1),
         "email": "y@example.go.id", "places": [HOME]}])
    await rt_insert(rt, store.LastFix, [{"tenant": "a", "nip": STAYS, "captured_at": NOW - timedelta(days=31),
                                         "latitude": -6.1, "longitude": 106.1}])
    await rt_insert(rt, store.LocationRead, [dict(
        read_id=uuid.uuid4(), tenant="a", employee_id=STAYS, actor="admin", actor_roles=["tenant_admin"],
        purpose="Verifikasi alamat", endpoint="policy GET /v1/employees/{nip}/places", data="places", records=1,
        at=NOW - timedelta(days=days)) for days in (731, 729)])


async def seed_notify(rt: ServiceRuntime, store: Any) -> None:
    await rt_insert(rt, store.Tenant, [{"id": "a", "name": "A", "timezone": "Asia/Jakarta", "retention": None}])
    await rt_insert(rt, store.Notification, [dict(
        id=str(uuid.uuid4()), tenant="a", source_event_id=str(uuid.uuid4()), source_event_type="t", kind="overdue",
        recipient=STAYS, channel="log", subject="s", body="b", status=status, next_attempt_at=NOW,
        created_at=NOW - timedelta(days=400), updated_at=NOW) for status in ("sent", "pending")])
    # notify's copy of two absences (the first ended before notices_days) and an escalated month of each
    await rt_insert(rt, store.Absence, [dict(
        tenant="a", id=str(uuid.uuid4()), nip=STAYS, start=(NOW - timedelta(days=days)).date(),
        end=(NOW - timedelta(days=days)).date(), status="approved") for days in (400, 300)])
    await rt_insert(rt, store.BkdEscalation, [dict(
        tenant="a", nip=STAYS, month=(NOW - timedelta(days=days)).date().replace(day=1), event_id="e")
        for days in (400, 300)])


async def rt_insert(rt: ServiceRuntime, model: Any, rows: list[dict[str, Any]]) -> None:
    async with rt.sessions() as session, session.begin():
        await session.execute(insert(model), rows)


SEEDS = {"checkin": (seed_checkin, {"checkin_coordinates": 2}),
         "policy": (seed_policy, {"last_fixes": 1, "superseded_places": 1, "leavers": 1, "access_log": 1}),
         "notify": (seed_notify, {"notices": 1, "absences": 1, "bkd_escalations": 1}),
         "reporting": (None, {})}


@pytest.mark.parametrize("service", sorted(SEEDS))
async def test_the_job_reduces_on_sqlite_too(service: str, tmp_path: Path, dev_keys: tuple[Path, Path]) -> None:
    store = importlib.import_module(f"services.{service}.store")
    [(rt, job)] = await replicas(f"sqlite+aiosqlite:///{tmp_path / service}.db", service, dev_keys[1], count=1,
                                 var_dir=tmp_path)
    try:
        seed, expected = SEEDS[service]
        if seed is not None:
            await seed(rt, store)
        async with rt.sessions() as session, session.begin():
            await session.execute(insert(rt.outbox), [dict(
                event_id=str(uuid.uuid4()), topic="t.v1", ce_type="t", ce_source="/t", tenant="a", subject="s",
                ce_time=NOW, payload=b"{}", created_at=NOW, published_at=NOW - timedelta(days=days))
                for days in (8, 6)])
        run = await job.run_once()
        assert (run.outcome, run.reduced) == ("ok", {**expected, "sent_events": 1})
        assert set((await job.run_once()).reduced.values()) == {0}
        if service == "checkin":
            async with rt.sessions() as session:
                rows = (await session.scalars(select(store.Checkin).order_by(store.Checkin.captured_at))).all()
            assert [("location" in r.payload, "device_id" in r.payload, r.reduced_at is not None) for r in rows] == \
                [(False, False, True), (True, True, False), (False, False, True)]
        if service == "policy":
            async with rt.sessions() as session:
                people = {e.nip: e for e in (await session.scalars(select(store.Employee))).all()}
            assert (people[STAYS].places, people[GONE].places, people[GONE].email) == ([HOME], [], None)
    finally:
        await rt.engine.dispose()
