"""Bulk roster generation (POST /v1/rosters/generate, GET /v1/rosters/jobs/{id}) on real PostgreSQL: a job
over three units writes the same roster rows and stages the same ``roster.published`` events as three
single calls; progress shows units done of the total while a unit is still held; a unit the generation
refuses is listed with its reason in both languages while the others complete; workers racing over one
job (the service's own and two more) generate each unit exactly once, and a unit whose transaction died
is generated once afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update

from services.policy import roster_jobs
from services.policy.job_schemas import RosterJobIn
from services.policy.store import RosterDay, RosterJobUnit, RosterRun
from tests.policy.conftest import PolicyService, nip_for, setup_tenant
from tests.support.waiting import eventually
from tools import seed

pytestmark = pytest.mark.infra

PUBLISHED = "hadir.roster.published.v1"
UNITS = ["dinas-a", "dinas-b", "dinas-c"]
SPAN = {"start": "2026-08-10", "end": "2026-08-21"}  # 17 August: a national holiday, left out
EVERY_HOUR = seed.window("lokasi", "Lokasi", "00:00", "23:59:59", ["location"])


async def directory(policy: PolicyService, tenant: str, units: list[str] = UNITS) -> dict[str, str]:
    """Units with five employees each (the first a teacher) and a letter from 1 August 2026."""
    admin = await setup_tenant(policy, tenant)
    seeder = seed.Seeder(policy.client, str(policy.client.base_url), admin)
    await seeder.units({u: seed.unit(f"Dinas {u}", "essential" if i % 2 else "non_essential")
                        for i, u in enumerate(units)})
    await seeder.employees({nip_for(i * 10 + j): {"name": f"P{i}.{j}", "unit_id": u, "is_teacher": j == 0}
                            for i, u in enumerate(units) for j in range(5)}, concurrency=4)
    await seeder.letter(seed.letter("800/9-BKD/2026", "Uji", "2026-08-01", [EVERY_HOUR],
                                    working_days=[1, 2, 3, 4, 5]))
    return admin


async def finished(policy: PolicyService, admin: dict[str, str], job_id: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        r = await policy.client.get(f"/v1/rosters/jobs/{job_id}", headers=admin)
        assert r.status_code == 200, r.text
        return r.json() if r.json()["status"] in ("done", "failed") else None
    return await eventually(probe, timeout=60)


async def rows(policy: PolicyService, tenant: str) -> list[tuple[str, str, str, str, str]]:
    async with policy.rt.sessions() as session:
        found = (await session.scalars(select(RosterDay).where(RosterDay.tenant == tenant))).all()
    return sorted((r.unit_id, r.nip, str(r.day), r.mode, r.source) for r in found)


async def test_a_job_over_three_units_equals_three_single_calls(policy: PolicyService, tenant: str) -> None:
    admin = await directory(policy, tenant)
    single = f"t-{uuid.uuid4().hex[:10]}"
    single_admin = await directory(policy, single)
    for unit in UNITS:
        r = await policy.client.post(f"/v1/units/{unit}/rosters", headers=single_admin, json=SPAN)
        assert r.status_code == 200, r.text

    r = await policy.client.post("/v1/rosters/generate", headers=admin, json={**SPAN, "unit_ids": None})
    assert r.status_code == 202, r.text
    assert (r.json()["units_total"], r.json()["units_done"], r.json()["status"]) == (3, 0, "queued")
    job = await finished(policy, admin, r.json()["id"])
    assert (job["status"], job["units_done"], job["units_failed"], job["errors"]) == ("done", 3, 0, [])
    assert job["requested_by"] == f"admin@{tenant}" and job["finished_at"] is not None

    ours, theirs = await rows(policy, tenant), await rows(policy, single)
    assert ours == theirs and len(ours) == 3 * 5 * 9, "3 units, 5 people, 9 working days"
    assert "2026-08-17" not in {day for _, _, day, _, _ in ours}
    assert await policy.outbox(tenant, PUBLISHED) == await policy.outbox(single, PUBLISHED)
    async with policy.rt.sessions() as session:
        audited = (await session.scalars(select(RosterRun.created_by).where(RosterRun.tenant == tenant))).all()
    assert sorted(audited) == [f"admin@{tenant}"] * 3


async def test_progress_shows_units_done_while_one_is_still_held(policy: PolicyService, tenant: str) -> None:
    admin = await directory(policy, tenant)
    held = (RosterJobUnit.unit_id == "dinas-b")
    async with policy.rt.sessions() as session, session.begin():  # dinas-b not claimable yet: a worker "holds" it
        job = await roster_jobs.create(session, tenant=tenant, actor="admin", now=datetime.now(UTC),
                                       body=RosterJobIn.model_validate({**SPAN, "unit_ids": UNITS}))
        await session.execute(update(RosterJobUnit).where(RosterJobUnit.job_id == job.id, held).values(status="held"))

    async def two_done() -> dict[str, Any] | None:
        r = await policy.client.get(f"/v1/rosters/jobs/{job.id}", headers=admin)
        return r.json() if r.json()["units_done"] == 2 else None
    progress = await eventually(two_done, timeout=60)
    assert (progress["status"], progress["units_total"], progress["errors"]) == ("running", 3, [])
    assert progress["started_at"] is not None and progress["finished_at"] is None
    assert {u for u, *_ in await rows(policy, tenant)} == {"dinas-a", "dinas-c"}

    async with policy.rt.sessions() as session, session.begin():
        await session.execute(update(RosterJobUnit).where(RosterJobUnit.job_id == job.id, held)
                              .values(status="pending"))
    final = await finished(policy, admin, str(job.id))
    assert (final["status"], final["units_done"]) == ("done", 3)
    assert {u for u, *_ in await rows(policy, tenant)} == set(UNITS)


async def test_a_unit_that_cannot_be_generated_is_listed_with_its_reason_and_the_others_complete(
        policy: PolicyService, tenant: str) -> None:
    admin = await directory(policy, tenant)
    r = await policy.client.post("/v1/units/dinas-b/rosters", headers=admin, json=SPAN)
    assert r.status_code == 200, r.text
    office = next(a for a in r.json()["assignments"] if a["date"] == "2026-08-10" and a["mode"] == "wfh")
    r = await policy.client.put(f"/v1/units/dinas-b/rosters/2026-08-10/{office['employee_id']}", headers=admin,
                                json={"mode": "wfo", "reason": "Piket layanan"})
    assert r.status_code == 200, r.text

    r = await policy.client.post("/v1/rosters/generate", headers=admin,
                                 json={**SPAN, "unit_ids": ["dinas-a", "dinas-b", "dinas-c", "tidak-ada"]})
    assert r.status_code == 202, r.text
    job = await finished(policy, admin, r.json()["id"])
    assert (job["status"], job["units_total"], job["units_done"], job["units_failed"]) == ("done", 4, 4, 2)
    errors = {e["unit_id"]: e for e in job["errors"]}
    assert errors["dinas-b"]["type"] == "overrides_in_the_way"
    assert "replace_overrides" in errors["dinas-b"]["reason_id"] and "overridden" in errors["dinas-b"]["reason_en"]
    assert (errors["tidak-ada"]["reason_id"], errors["tidak-ada"]["reason_en"]) == ("Unit tidak ditemukan",
                                                                                    "unit not found")
    assert {u for u, *_ in await rows(policy, tenant)} == {"dinas-a", "dinas-b", "dinas-c"}

    r = await policy.client.post("/v1/rosters/generate", headers=admin,
                                 json={"start": "2026-07-27", "end": "2026-08-07", "unit_ids": ["dinas-a", "dinas-c"]})
    job = await finished(policy, admin, r.json()["id"])
    assert (job["status"], job["units_failed"]) == ("failed", 2), "every unit failed: no letter before August"
    assert {e["type"] for e in job["errors"]} == {"no_letter_on_day"}
    assert all("2026-07-27" in e["reason_id"] and "no circular letter applies" in e["reason_en"]
               for e in job["errors"])


async def test_workers_racing_over_one_job_generate_each_unit_once(policy: PolicyService, tenant: str) -> None:
    units = [f"unit-{i:02d}" for i in range(10)]
    await directory(policy, tenant, units)
    async with policy.rt.sessions() as session, session.begin():
        job = await roster_jobs.create(session, tenant=tenant, actor="admin", now=datetime.now(UTC),
                                       body=RosterJobIn.model_validate({**SPAN, "unit_ids": None}))

    async def drain() -> int:
        done = 0
        while await roster_jobs.run_one(policy.rt, datetime.now(UTC)):
            done += 1
        return done

    await asyncio.gather(drain(), drain(), drain())  # besides the service's own worker
    admin = policy.tokens.admin(tenant)
    final = await finished(policy, admin, str(job.id))
    assert (final["status"], final["units_done"], final["units_failed"]) == ("done", 10, 0)
    async with policy.rt.sessions() as session:
        runs = (await session.execute(select(RosterRun.unit_id, func.count()).where(RosterRun.tenant == tenant)
                                      .group_by(RosterRun.unit_id))).all()
    assert sorted(runs) == [(u, 1) for u in units], "each unit generated exactly once"
    revisions = [e["revision"] for e in await policy.outbox(tenant, PUBLISHED)]
    assert sorted(revisions) == list(range(1, 11)), "one revision per unit: one stream, no unit twice"


@pytest.mark.parametrize(("body", "loc"), [
    ({**SPAN, "unit_ids": ["dinas-a", "dinas-a"]}, ["body"]),
    ({**SPAN, "unit_ids": [f"u{i}" for i in range(2001)]}, ["body", "unit_ids"]),
    ({**SPAN, "unit_ids": []}, ["body", "unit_ids"]),
    ({**SPAN, "unit_ids": ["Bukan Kode"]}, ["body", "unit_ids", 0]),
    ({"start": "2026-08-01", "end": "2026-12-31"}, ["body"]),
    ({"start": "2026-08-21", "end": "2026-08-10"}, ["body"]),
    ({**SPAN, "tenant": "t-other"}, ["body", "tenant"]),
])
async def test_a_bad_request_is_refused_and_no_job_is_made(policy: PolicyService, tenant: str, body: dict,
                                                            loc: list) -> None:
    admin = await setup_tenant(policy, tenant)
    r = await policy.client.post("/v1/rosters/generate", headers=admin, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == loc


async def test_only_the_tenants_admin_starts_or_reads_a_job(policy: PolicyService, tenant: str) -> None:
    admin = await directory(policy, tenant, ["dinas-a"])
    head = policy.tokens.headers(tenant=tenant, roles=["unit_head"], unit="dinas-a")
    assert (await policy.client.post("/v1/rosters/generate", headers=head, json=SPAN)).status_code == 403
    r = await policy.client.post("/v1/rosters/generate", headers=admin, json=SPAN)
    assert r.status_code == 202, r.text
    path = f"/v1/rosters/jobs/{r.json()['id']}"
    assert (await policy.client.get(path, headers=head)).status_code == 403
    other = await setup_tenant(policy, f"{tenant}-x")
    assert (await policy.client.get(path, headers=other)).status_code == 404
    assert (await policy.client.get("/v1/rosters/jobs/not-a-uuid", headers=admin)).status_code == 422
    assert (await finished(policy, admin, r.json()["id"]))["units_done"] == 1


async def test_a_unit_whose_transaction_dies_is_generated_once_afterwards(policy: PolicyService, tenant: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that dies after generating a unit but before committing (here: counting it fails once) leaves
    nothing behind: the unit stays pending and the next round generates it, exactly once."""
    admin = await directory(policy, tenant)
    crashes: list[uuid.UUID] = []
    count = roster_jobs.count

    async def dies_once(session: Any, job_id: uuid.UUID, **kwargs: Any) -> None:
        if not crashes:
            crashes.append(job_id)
            raise RuntimeError("worker killed")
        await count(session, job_id, **kwargs)

    monkeypatch.setattr(roster_jobs, "count", dies_once)
    async with policy.rt.sessions() as session, session.begin():
        job = await roster_jobs.create(session, tenant=tenant, actor="admin", now=datetime.now(UTC),
                                       body=RosterJobIn.model_validate({**SPAN, "unit_ids": UNITS}))

    async def crashed() -> bool:  # the service's own worker may be the one that dies instead
        with contextlib.suppress(RuntimeError):
            await roster_jobs.run_one(policy.rt, datetime.now(UTC))
        return bool(crashes)
    await eventually(crashed, timeout=60)
    final = await finished(policy, admin, str(job.id))
    assert crashes == [job.id]
    assert (final["status"], final["units_done"], final["units_failed"]) == ("done", 3, 0)
    async with policy.rt.sessions() as session:
        runs = (await session.execute(select(RosterRun.unit_id, func.count()).where(RosterRun.tenant == tenant)
                                      .group_by(RosterRun.unit_id))).all()
    assert sorted(runs) == [(u, 1) for u in UNITS]
    assert sorted(e["revision"] for e in await policy.outbox(tenant, PUBLISHED)) == [1, 2, 3]
