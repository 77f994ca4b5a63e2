"""The dashboard's own endpoints without a browser or a broker: the reporting app with its web
router on a SQLite file, read models and the ledger written directly, reached through httpx's
ASGI transport.

A seeded day (2026-11-23, a Monday) with two windows: *pagi* closed (its rows in the ledger) and
*sore* past its deadline but not closed yet (its rows built on the fly from the verdicts). The
day endpoint's tiles and its missing/late list come from the same rows, per status; units come
worst first; the check-ins endpoint gives names and distances, never coordinates, and keeps a
unit head to their unit and every caller to their tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import httpx
import pytest

from services.contracts.policy import CheckinKind, PolicyContent, Window
from services.reporting import store
from services.runtime.settings import load_settings
from tests.support.tokens import Tokens

TENANT, OTHER_TENANT = "banten", "jabar"
DAY = date(2026, 11, 23)  # Monday, not a national holiday
UNITS = {"arsip": "Dinas Arsip", "bkd": "Badan Kepegawaian Daerah", "dinkes": "Dinas Kesehatan"}
PEOPLE = {  # nip → (name, unit)
    "198703152010011001": ("Siti Rahmawati", "bkd"),
    "199002202015032002": ("Budi Santoso", "bkd"),
    "199105102019031003": ("Citra Lestari", "dinkes"),
    "198512122010012004": ("Dedi Kurniawan", "dinkes"),
    "199208082015031006": ("Eka Putri", "arsip"),
    "199304042018012007": ("Fajar Nugroho", "arsip"),
}
A, B, C, D, E, F = PEOPLE
PAGI = {A: "on_time", B: "missing", C: "late", D: "on_time", E: "on_time", F: "on_time"}  # the ledger (closed)
SORE = {A: ("on_time", "inside", 35.0, 10), C: ("on_time", "inside", 80.0, 20), E: ("on_time", "inside", 12.0, 30),
        F: ("late", "outside", 7800.0, 69)}  # verdicts of the open window (minute after 15:00); B and D sent nothing
WINDOWS = [Window(id="pagi", name="Lokasi pagi", start=time(8), end=time(9), kinds=[CheckinKind.LOCATION]),
           Window(id="sore", name="Lokasi sore", start=time(15), end=time(16), kinds=[CheckinKind.LOCATION])]


@pytest.fixture
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour - 7, minute, tzinfo=UTC)  # WIB → UTC


@pytest.fixture
async def reporting(tmp_path: Path, dev_keys: tuple[Path, Path]) -> AsyncIterator[httpx.AsyncClient]:
    from services.reporting.app import build

    settings = load_settings("reporting", 0, database_url=f"sqlite+aiosqlite:///{tmp_path / 'reporting.db'}",
                             jwt_jwks_file=dev_keys[1])
    app, rt = build(settings)
    async with rt.engine.begin() as conn:
        await conn.run_sync(rt.metadata.create_all)
    content = PolicyContent(windows=WINDOWS, geofence_radius_m=150).model_dump(mode="json")
    async with rt.sessions() as session, session.begin():
        for tenant in (TENANT, OTHER_TENANT):
            session.add(store.Tenant(id=tenant, name=f"Pemprov {tenant.title()}", timezone="Asia/Jakarta"))
            session.add(store.PolicyVersion(tenant=tenant, policy_id="se-1", version=1, number="800/1-BKD/2026",
                                            valid_from=date(2026, 1, 1), valid_until=None,
                                            effective_at=datetime(2026, 1, 1, tzinfo=UTC), content=content))
        for unit, name in UNITS.items():
            session.add(store.Unit(tenant=TENANT, id=unit, name=name, effective_sector="non_essential"))
        for nip, (name, unit) in PEOPLE.items():
            session.add(store.Employee(tenant=TENANT, nip=nip, name=name, unit_id=unit, active=True))
        session.add(store.WindowClosure(tenant=TENANT, day=DAY, window_id="pagi", phase="overdue",
                                        closed_at=at(9, 20), flagged=1, expected=6, deadline=at(9)))
        for nip, status in PAGI.items():
            session.add(store.Expectation(
                tenant=TENANT, day=DAY, window_id="pagi", nip=nip, unit_id=PEOPLE[nip][1], sector="non_essential",
                status=status, late_minutes=12 if status == "late" else 0, deadline=at(9),
                checkin_at=None if status == "missing" else at(8, 30), overdue=status == "missing"))
        for nip, (status, geofence, distance, minute) in SORE.items():
            session.add(store.Evaluation(
                tenant=TENANT, checkin_id=str(uuid.uuid4()), nip=nip, unit_id=PEOPLE[nip][1], kind="location",
                local_date=DAY, window_id="sore", status=status, late_minutes=9 if status == "late" else 0,
                geofence=geofence, suspicious=False, captured_at=at(15 + minute // 60, minute % 60),
                place_kind="home", nearest_place="Rumah", distance_m=distance))
        session.add(store.Evaluation(  # another tenant's check-in: never in this tenant's answers
            tenant=OTHER_TENANT, checkin_id=str(uuid.uuid4()), nip="199406062019032008", unit_id="bkd",
            kind="location", local_date=DAY, window_id="sore", status="on_time", geofence="outside",
            suspicious=False, captured_at=at(15, 5), place_kind="home", nearest_place="Rumah", distance_m=9000.0))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client:
        yield client
    await rt.engine.dispose()


def head(tokens: Tokens, unit: str = "bkd") -> dict[str, str]:
    return tokens.headers(tenant=TENANT, roles=["unit_head"], nip=A, unit=unit, subject=A)


async def test_tiles_and_the_list_count_the_same_rows_per_status(reporting: httpx.AsyncClient,
                                                                 tokens: Tokens) -> None:
    r = await reporting.get("/dashboard/api/day", params={"date": str(DAY)}, headers=tokens.admin(TENANT))
    assert r.status_code == 200, r.text
    board = r.json()
    totals = board["report"]["totals"]
    listed = {status: sorted(a["nip"] for a in board["attention"] if a["status"] == status)
              for status in ("missing", "late")}
    # pagi (ledger): B missing, C late; sore (live, past its deadline): B and D missing, F late.
    assert listed == {"missing": sorted([B, B, D]), "late": sorted([C, F])}
    assert (totals["missing"], totals["late"]) == (len(listed["missing"]), len(listed["late"]))
    assert totals["expected"] == 12
    budi = [a for a in board["attention"] if a["nip"] == B]
    assert {(a["name"], a["unit_name"], a["window_name"]) for a in budi} == {
        ("Budi Santoso", "Badan Kepegawaian Daerah", "Lokasi pagi"),
        ("Budi Santoso", "Badan Kepegawaian Daerah", "Lokasi sore")}
    assert [a["status"] for a in board["attention"]] == ["missing"] * 3 + ["late"] * 2  # missing first


async def test_units_come_worst_first(reporting: httpx.AsyncClient, tokens: Tokens) -> None:
    board = (await reporting.get("/dashboard/api/day", params={"date": str(DAY)},
                                 headers=tokens.admin(TENANT))).json()
    # bkd: 2 of 4 missing; dinkes: 1 of 4 missing, 1 late; arsip: none missing, 1 late (alphabetical is the reverse)
    assert [u["unit_id"] for u in board["report"]["units"]] == ["bkd", "dinkes", "arsip"]


async def test_a_unit_head_sees_their_units_day_only(reporting: httpx.AsyncClient, tokens: Tokens) -> None:
    board = (await reporting.get("/dashboard/api/day", params={"date": str(DAY)}, headers=head(tokens))).json()
    assert [u["unit_id"] for u in board["report"]["units"]] == ["bkd"]
    assert {a["unit_id"] for a in board["attention"]} == {"bkd"}
    assert board["report"]["totals"]["missing"] == 2
    other = await reporting.get("/dashboard/api/day", params={"date": str(DAY), "unit_id": "dinkes"},
                                headers=head(tokens))
    assert other.status_code == 403
    employee = tokens.employee(TENANT, A, "bkd")
    assert (await reporting.get("/dashboard/api/day", headers=employee)).status_code == 403


async def test_checkins_give_names_and_distances_without_coordinates(reporting: httpx.AsyncClient,
                                                                    tokens: Tokens) -> None:
    r = await reporting.get("/dashboard/api/checkins", params={"date": str(DAY)}, headers=tokens.admin(TENANT))
    assert r.status_code == 200, r.text
    day = r.json()
    assert (day["zone"], day["geofence_radius_m"], day["truncated"]) == ("WIB", 150, False)
    rows = day["checkins"]
    assert [x["nip"] for x in rows] == [F, E, C, A]  # outside the geofence first, then newest first
    fajar = rows[0]
    assert (fajar["name"], fajar["unit_name"], fajar["distance_m"], fajar["place_name"], fajar["place_kind"],
            fajar["geofence"], fajar["status"]) == ("Fajar Nugroho", "Dinas Arsip", 7800.0, "Rumah", "home",
                                                    "outside", "late")
    text = r.text.lower()
    assert "latitude" not in text and "longitude" not in text

    own = (await reporting.get("/dashboard/api/checkins", params={"date": str(DAY)}, headers=head(tokens))).json()
    assert [x["nip"] for x in own["checkins"]] == [A]
    refused = await reporting.get("/dashboard/api/checkins", params={"date": str(DAY), "unit_id": "arsip"},
                                  headers=head(tokens))
    assert refused.status_code == 403
    limited = (await reporting.get("/dashboard/api/checkins", params={"date": str(DAY), "limit": 2},
                                   headers=tokens.admin(TENANT))).json()
    assert len(limited["checkins"]) == 2 and limited["truncated"] is True
    assert (await reporting.get("/dashboard/api/checkins", params={"limit": 0},
                                headers=tokens.admin(TENANT))).status_code == 422


async def test_context_names_the_person_their_role_and_unit(reporting: httpx.AsyncClient, tokens: Tokens) -> None:
    context = (await reporting.get("/dashboard/api/context", headers=head(tokens))).json()
    assert (context["name"], context["unit_id"], context["unit_name"], context["roles"]) == (
        "Siti Rahmawati", "bkd", "Badan Kepegawaian Daerah", ["unit_head"])
    admin = (await reporting.get("/dashboard/api/context", headers=tokens.admin(TENANT))).json()
    assert (admin["unit_id"], admin["unit_name"], admin["tenant_name"]) == (None, None, "Pemprov Banten")
