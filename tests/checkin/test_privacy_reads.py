"""Need to know: a unit head reads verdicts, distances and the place's name, never coordinates.
Every GET route of the check-in service (found in its OpenAPI document, so a new one is not
forgotten) is called as the unit head of a unit whose employees checked in with coordinates;
no answer carries a latitude or longitude, by key or by value. The place's name comes from
``checkin.evaluated`` (``nearest_place``), through the real consumer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.checkin.conftest import CheckinService, new_tenant, nip
from tests.checkin.privacy import POINTS, digits, judged, location_reads, submit

pytestmark = pytest.mark.infra

ANI, BUDI, HEAD = nip(51), nip(52), nip(53)
ZONE = "Asia/Jakarta"
PURPOSE = "Pemeriksaan laporan lokasi unit"

# What the unit head gets from each GET route: 200 with data, or refused. A route missing here
# fails the test: decide what a unit head may read there before adding it.
HEAD_GETS = {
    "/v1/checkins/mine": 200,  # their own (none here)
    "/v1/units/{unit_id}/checkins": 200,
    "/v1/checkins/{checkin_id}/location": 403,  # the tenant admin's, with a purpose
    "/v1/me/export": 200,  # their own (none here)
    "/app/api/me": 200,
    "/app/api/today": 200,  # their own day by the schedule (verdicts, never coordinates)
    "/app/api/month": 200,  # their own month
    "/v1/reviews": 200,  # their unit's activity reports and video conferences, to review
    "/v1/reviews/{checkin_id}": 200,
}
# No personal data (the event schemas name fields, no values).
OPERATIONS = {"/asyncapi.json", "/healthz", "/readyz", "/auth/config"}


def leaks(body: str) -> list[str]:
    found = [key for key in ("latitude", "longitude") if key in body]
    return found + [d for point in POINTS for d in digits(point) if d in body]


async def test_no_read_of_a_unit_head_carries_coordinates(checkin: CheckinService, kafka_bootstrap: str) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [ANI, BUDI, HEAD], timezone=ZONE)
    captured = datetime.now(UTC) - timedelta(minutes=10)
    stored = [await submit(checkin, tenant, who, "bkd", captured + timedelta(minutes=i), point=POINTS[i])
              for i, who in enumerate((ANI, BUDI))]
    stored.append(await submit(checkin, tenant, ANI, "bkd", captured + timedelta(minutes=2), kind="attendance",
                               point=POINTS[2]))
    # An activity report sent with a location: its review shows the text, never the coordinates.
    report = await submit(checkin, tenant, BUDI, "bkd", captured + timedelta(minutes=3), kind="activity_report",
                          point=POINTS[1], activity_text="Menyusun laporan")
    for i, row in enumerate(stored):
        await judged(checkin, kafka_bootstrap, tenant, row, place="Rumah" if i != 1 else "Kantor BKD",
                     distance_m=40.0 + i)
    head = checkin.head(tenant, "bkd", nip_=HEAD)
    spec = (await checkin.client.get("/openapi.json")).json()
    gets = sorted(path for path, ops in spec["paths"].items() if "get" in ops and path not in OPERATIONS)
    assert sorted(HEAD_GETS) == gets, "every GET route of the service is in HEAD_GETS"
    day = str(captured.astimezone(ZoneInfo(ZONE)).date())

    bodies: dict[str, Any] = {}
    for path in gets:
        url = path.format(unit_id="bkd", checkin_id=report["id"] if path.startswith("/v1/reviews") else stored[0]["id"])
        response = await checkin.client.get(url, headers=head, params={"date": day, "purpose": PURPOSE})
        assert response.status_code == HEAD_GETS[path], (path, response.text)
        assert leaks(response.text) == [], f"{path} shows coordinates to a unit head: {response.text}"
        bodies[path] = response.json()

    unit = {c["id"]: c for c in bodies["/v1/units/{unit_id}/checkins"]["items"]}
    assert [i["checkin_id"] for i in bodies["/v1/reviews"]["items"]] == [report["id"]]
    assert bodies["/v1/reviews/{checkin_id}"]["activity_text"] == "Menyusun laporan"
    assert {i: (c["place_name"], c["distance_m"]) for i, c in unit.items() if i != report["id"]} == {
        stored[0]["id"]: ("Rumah", 40.0), stored[1]["id"]: ("Kantor BKD", 41.0), stored[2]["id"]: ("Rumah", 42.0)}
    assert bodies["/v1/checkins/mine"] == {"items": [], "next_after": None}
    assert bodies["/v1/me/export"]["sections"]["checkins"] == []
    assert await location_reads(checkin, tenant) == [], "the head's reads read no coordinates"

    # The check-ins' coordinates are there all the same: the employee's own export holds them.
    mine = await checkin.client.get("/v1/me/export", headers=checkin.employee(tenant, ANI))
    assert len(leaks(mine.text)) > 0
    assert json.loads(mine.text)["sections"]["checkins"][0]["place_name"] == "Rumah"


async def test_a_long_place_name_is_kept_to_the_columns_length(checkin: CheckinService, kafka_bootstrap: str) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [ANI])
    row = await submit(checkin, tenant, ANI, "bkd", datetime.now(UTC) - timedelta(minutes=3), point=POINTS[0])
    await judged(checkin, kafka_bootstrap, tenant, row, place="Gedung " + "x" * 80, distance_m=5.0)
    [mine] = (await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, ANI))).json()["items"]
    assert mine["place_name"] == ("Gedung " + "x" * 80)[:60]
