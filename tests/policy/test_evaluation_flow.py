"""Check-ins evaluated from real Kafka into the outbox, on real PostgreSQL:
the version in force at capture time applies, and the roster's mode is used."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.contracts import topics
from services.contracts.events import CheckinReceived, Location
from services.runtime.kafka import publish_envelope
from services.runtime.outbox import envelope_for
from tests.policy.conftest import PolicyService, nip_for, setup_tenant
from tests.support.waiting import eventually
from tools.zones import zone_with_room

pytestmark = pytest.mark.infra

EVALUATED = "hadir.checkin.evaluated.v1"
HOME = (-6.1202, 106.1503)


def all_day(kind: str, window_id: str) -> dict[str, Any]:
    return {"id": window_id, "name": window_id, "start": "00:30", "end": "23:30", "grace_minutes": 0,
            "kinds": [kind]}


async def send(policy: PolicyService, tenant: str, nip: str, captured_at: datetime, kind: str = "location") -> str:
    event = CheckinReceived(
        checkin_id=uuid.uuid4(), employee_id=nip, kind=kind, captured_at=captured_at,  # type: ignore[arg-type]
        received_at=datetime.now(UTC), location=Location(latitude=HOME[0], longitude=HOME[1], accuracy_m=10))
    envelope = envelope_for(event, tenant=tenant, source="/hadir/checkin-test")
    await policy.rt.kafka_connected.wait()
    await publish_envelope(policy.rt.broker, topics.CHECKIN_RECEIVED, envelope, timeout=10)
    return str(event.checkin_id)


async def verdicts(policy: PolicyService, tenant: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    async def all_in() -> dict[str, dict[str, Any]] | None:
        found = {e["checkin_id"]: e for e in await policy.outbox(tenant, EVALUATED)}
        return found if set(ids) <= set(found) else None

    return await eventually(all_in, timeout=90, what="checkin.evaluated in the outbox")


async def test_a_checkin_is_judged_under_the_version_in_force_when_it_was_captured(
    policy: PolicyService, tenant: str
) -> None:
    tz = zone_with_room(datetime.now(UTC), timedelta(minutes=40), after_midnight=timedelta(minutes=40))
    admin = await setup_tenant(policy, tenant, tz)
    today = datetime.now(UTC).astimezone(ZoneInfo(tz)).date()
    nip = nip_for(1)
    await policy.client.put("/v1/units/bkd", headers=admin, json={"name": "BKD"})
    await policy.client.put(f"/v1/employees/{nip}", headers=admin, json={
        "name": "Siti", "unit_id": "bkd",
        "places": [{"name": "Rumah", "kind": "home", "latitude": HOME[0], "longitude": HOME[1]}]})
    every_day = [1, 2, 3, 4, 5, 6, 7]
    r = await policy.client.post("/v1/policies", headers=admin, json={
        "number": "800/1-BKD/2026", "title": "Versi 1", "valid_from": str(today - timedelta(days=1)),
        "content": {"windows": [all_day("location", "lokasi")], "working_days": every_day}})
    assert r.status_code == 201
    captured_under_v1 = datetime.now(UTC)
    r = await policy.client.post(f"/v1/policies/{r.json()['policy_id']}/versions", headers=admin, json={
        "number": "800/2-BKD/2026", "title": "Versi 2", "valid_from": str(today),
        "content": {"windows": [all_day("attendance", "apel")], "working_days": every_day}})
    assert r.status_code == 201
    history = (await policy.client.get(f"/v1/policies/{r.json()['policy_id']}/versions", headers=admin)).json()
    assert history[0]["valid_until"] == str(today - timedelta(days=1))  # version 1 no longer covers today ...
    captured_under_v2 = datetime.now(UTC)

    late = await send(policy, tenant, nip, captured_under_v1)  # ... but was in force when this was captured
    fresh = await send(policy, tenant, nip, captured_under_v2)
    found = await verdicts(policy, tenant, [late, fresh])
    assert (found[late]["policy_version"], found[late]["status"], found[late]["window_id"]) == (1, "on_time", "lokasi")
    assert found[late]["geofence"] == "inside"
    assert (found[fresh]["policy_version"], found[fresh]["status"]) == (2, "outside_window")


async def test_the_roster_mode_of_the_day_decides_what_is_required(policy: PolicyService, tenant: str) -> None:
    tz = zone_with_room(datetime.now(UTC), timedelta(minutes=40), after_midnight=timedelta(minutes=40))
    admin = await setup_tenant(policy, tenant, tz)
    today = datetime.now(UTC).astimezone(ZoneInfo(tz)).date()
    await policy.client.put("/v1/units/bkd", headers=admin, json={"name": "BKD"})  # non-essential, 25 %
    nips = [nip_for(i) for i in range(4)]
    for nip in nips:
        await policy.client.put(f"/v1/employees/{nip}", headers=admin, json={
            "name": "P", "unit_id": "bkd",
            "places": [{"name": "Rumah", "kind": "home", "latitude": HOME[0], "longitude": HOME[1]}]})
    await policy.client.post("/v1/policies", headers=admin, json={
        "number": "800/3-BKD/2026", "title": "Sistem kerja", "valid_from": str(today),
        "content": {"windows": [all_day("location", "lokasi")], "working_days": [1, 2, 3, 4, 5, 6, 7]}})
    r = await policy.client.post("/v1/units/bkd/rosters", headers=admin,
                                 json={"start": str(today), "end": str(today)})
    assert r.status_code == 200, r.text
    modes = {a["employee_id"]: a["mode"] for a in r.json()["assignments"]}
    in_office = next(n for n, m in modes.items() if m == "wfo")
    at_home = next(n for n, m in modes.items() if m == "wfh")

    now = datetime.now(UTC)
    office_id = await send(policy, tenant, in_office, now)
    home_id = await send(policy, tenant, at_home, now)
    found = await verdicts(policy, tenant, [office_id, home_id])
    # A location share is asked only of people working from home; on a WFO day the home is not an allowed place.
    assert (found[office_id]["status"], found[office_id]["geofence"]) == ("not_required", "not_checked")
    assert (found[home_id]["status"], found[home_id]["geofence"]) == ("on_time", "inside")
