"""``GET /app/api/today`` without a browser or a broker: the check-in app on a SQLite file, read
models written directly, explicit past days (every window's state is then settled: done or missed)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.checkin import store as checkin_store
from services.contracts.policy import PolicyContent, Window
from services.contracts.rules.calendar import CalendarDay, TenantCalendar
from services.runtime.service import ServiceRuntime
from tests.support.tokens import Tokens
from tests.web.test_routes import app_for

TENANT = "sulsel"
NIP = "198703152010011001"
MONDAY = date(2026, 3, 2)
HOLIDAY = date(2026, 3, 3)
WITA = ZoneInfo("Asia/Makassar")
CONTENT = PolicyContent(windows=[
    Window(id="apel", name="Apel pagi", start=time(7, 0), end=time(7, 30), grace_minutes=15, kinds=["attendance"]),
    Window(id="lokasi-1", name="Lokasi pagi", start=time(8, 0), end=time(9, 0), kinds=["location"]),
    Window(id="lokasi-2", name="Lokasi siang", start=time(11, 0), end=time(12, 0), kinds=["location"]),
])


@pytest.fixture
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


@pytest.fixture
async def client(tmp_path: Path, dev_keys: tuple[Path, Path]) -> AsyncIterator[httpx.AsyncClient]:
    app, rt = await app_for("checkin", tmp_path, dev_keys[1])
    await seed(rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://checkin") as c:
        yield c
    await rt.engine.dispose()


async def seed(rt: ServiceRuntime) -> None:
    calendar = TenantCalendar(national=False, cuti_bersama=False, added=[CalendarDay(date=HOLIDAY, name="HUT Sulsel")])
    late = datetime.combine(MONDAY, time(7, 40), WITA).astimezone(UTC)
    async with rt.sessions() as session, session.begin():
        session.add(checkin_store.DirectoryTenant(id=TENANT, timezone="Asia/Makassar",
                                                  calendar=calendar.model_dump(mode="json")))
        session.add(checkin_store.DirectoryEmployee(tenant=TENANT, nip=NIP, name="Andi", unit_id="bkd", active=True))
        session.add(checkin_store.PolicyVersion(
            tenant=TENANT, policy_id="se-1", version=1, number="800/1-BKD/2026", valid_from=date(2026, 1, 1),
            valid_until=None, effective_at=datetime(2026, 1, 1, tzinfo=UTC), timezone="Asia/Makassar",
            late_submission_limit_hours=72, content=CONTENT.model_dump(mode="json")))
        session.add(checkin_store.Checkin(
            id=str(uuid.uuid4()), tenant=TENANT, employee_id=NIP, unit_id="bkd", kind="location",
            captured_at=late, received_at=late, idempotency_key="k1", request_hash="x" * 64,
            payload={"kind": "location", "location": {"latitude": -5.1, "longitude": 119.4, "accuracy_m": 12}},
            status="late", window_id="lokasi-1", late_minutes=40, geofence="outside", distance_m=7800.0,
            place_name="Rumah", suspicious=True, reasons=["poor_accuracy"]))


async def test_a_past_day_shows_every_window_with_local_times_and_the_verdict_without_coordinates(
        client: httpx.AsyncClient, tokens: Tokens) -> None:
    r = await client.get("/app/api/today", params={"date": str(MONDAY)}, headers=tokens.employee(TENANT, NIP, "bkd"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["date"], body["zone"], body["policy"], body["holiday"]) == (str(MONDAY), "WITA", "800/1-BKD/2026",
                                                                            None)
    assert [(w["id"], w["name"], w["start"], w["end"], w["deadline"], w["state"]) for w in body["windows"]] == [
        ("apel", "Apel pagi", "07:00", "07:30", "07:45", "missed"),
        ("lokasi-1", "Lokasi pagi", "08:00", "09:00", "09:00", "done"),
        ("lokasi-2", "Lokasi siang", "11:00", "12:00", "12:00", "missed")]
    assert body["windows"][0]["start_at"] == "2026-03-01T23:00:00Z"  # 07:00 WITA
    verdict = body["windows"][1]["checkin"]
    assert (verdict["status"], verdict["late_minutes"], verdict["geofence"], verdict["distance_m"],
            verdict["place_name"], verdict["reasons"]) == ("late", 40, "outside", 7800.0, "Rumah", ["poor_accuracy"])
    assert "latitude" not in r.text and "119.4" not in r.text
    assert body["due"] is None and body["next"] is None


async def test_a_holiday_asks_nothing_and_is_named(client: httpx.AsyncClient, tokens: Tokens) -> None:
    body = (await client.get("/app/api/today", params={"date": str(HOLIDAY)},
                             headers=tokens.employee(TENANT, NIP, "bkd"))).json()
    assert body["holiday"] == "HUT Sulsel"
    assert {(w["state"], w["reason"]) for w in body["windows"]} == {("not_required", "non_working_day")}


async def test_another_employee_sees_none_of_it_and_callers_without_a_nip_are_refused(
        client: httpx.AsyncClient, tokens: Tokens) -> None:
    other = (await client.get("/app/api/today", params={"date": str(MONDAY)},
                              headers=tokens.employee(TENANT, "199002202015032002", "bkd"))).json()
    assert "done" not in {w["state"] for w in other["windows"]}
    stranger = (await client.get("/app/api/today", params={"date": str(MONDAY)},
                                 headers=tokens.employee("other-tenant", NIP, "bkd"))).json()
    assert stranger["windows"] == [] and stranger["policy"] is None  # another tenant's letter is not ours
    head = tokens.headers(tenant=TENANT, roles=["unit_head"], unit="bkd", subject="head")
    assert (await client.get("/app/api/today", headers=head)).status_code == 403
    assert (await client.get("/app/api/today", headers=tokens.admin(TENANT))).status_code == 403
    assert (await client.get("/app/api/today")).status_code == 401
    assert (await client.get("/app/api/today", params={"date": "2026-13-01"},
                             headers=tokens.employee(TENANT, NIP, "bkd"))).status_code == 422


async def test_the_page_allows_the_tile_server_and_serves_leaflet_itself(client: httpx.AsyncClient,
                                                                         tokens: Tokens) -> None:
    csp = (await client.get("/app/")).headers["content-security-policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in csp
    assert "script-src 'self';" in csp  # Leaflet comes from this service, not a CDN
    for name, kind in (("leaflet/leaflet.js", "text/javascript"), ("leaflet/leaflet.css", "text/css"),
                       ("leaflet/images/marker-icon.png", "image/png")):
        r = await client.get(f"/app/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind), name
    assert (await client.get("/app/leaflet/../routes.py")).status_code == 404
    assert (await client.get("/app/leaflet/LICENSE.txt")).status_code == 404  # only the listed media types
    me = (await client.get("/app/api/me", headers=tokens.employee(TENANT, NIP, "bkd"))).json()
    assert me["map"] == {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                         "attribution": "© OpenStreetMap contributors"}


async def test_the_tile_server_is_a_setting(tmp_path: Path, dev_keys: tuple[Path, Path], tokens: Tokens,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HADIR_MAP_TILE_URL", "https://peta.sulselprov.go.id:8443/tiles/{z}/{x}/{y}.png")
    app, rt = await app_for("checkin", tmp_path, dev_keys[1])
    await seed(rt)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://checkin") as c:
        csp = (await c.get("/app/")).headers["content-security-policy"]
        me = (await c.get("/app/api/me", headers=tokens.employee(TENANT, NIP, "bkd"))).json()
    monkeypatch.setenv("HADIR_MAP_TILE_URL", "")
    (tmp_path / "none").mkdir()
    app, rt2 = await app_for("checkin", tmp_path / "none", dev_keys[1])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://checkin") as c:
        bare = (await c.get("/app/")).headers["content-security-policy"]
    await rt.engine.dispose()
    await rt2.engine.dispose()
    assert "img-src 'self' data: https://peta.sulselprov.go.id:8443;" in csp
    assert me["map"]["url"].startswith("https://peta.sulselprov.go.id:8443/")
    assert "img-src 'self' data:;" in bare


async def test_the_month_has_a_line_per_day_with_what_was_asked_filled_and_missed(
        client: httpx.AsyncClient, tokens: Tokens) -> None:
    r = await client.get("/app/api/month", params={"month": "2026-03"}, headers=tokens.employee(TENANT, NIP, "bkd"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["month"], body["zone"], len(body["days"])) == ("2026-03", "WITA", 31)
    days = {d["date"]: d for d in body["days"]}
    sunday, monday, holiday = days["2026-03-01"], days[str(MONDAY)], days[str(HOLIDAY)]
    assert (sunday["asked"], sunday["holiday"]) == (0, None)
    assert (monday["asked"], monday["filled"], monday["late"], monday["outside"], monday["missed"],
            monday["open"]) == (3, 1, 1, 1, 2, 0)
    assert (holiday["asked"], holiday["holiday"]) == (0, "HUT Sulsel")
    assert days["2026-03-04"]["missed"] == 3
    december = (await client.get("/app/api/month", params={"month": "2025-12"},
                                headers=tokens.employee(TENANT, NIP, "bkd"))).json()
    assert december["days"] == []  # before the first letter: no schedule known
    for bad in ("2026-13", "0000-01", "2026-3", "x" * 8):
        assert (await client.get("/app/api/month", params={"month": bad},
                                 headers=tokens.employee(TENANT, NIP, "bkd"))).status_code == 422, bad
    assert (await client.get("/app/api/month", headers=tokens.admin(TENANT))).status_code == 403
