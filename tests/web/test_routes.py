"""The web routers without a browser or a broker: each service's real app with its web
router on a SQLite file, read models written directly, reached through httpx's ASGI
transport (no lifespan: nothing connects to Kafka)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from services.checkin import store as checkin_store
from services.contracts.policy import PolicyContent
from services.reporting import store as reporting_store
from services.runtime.service import ServiceRuntime
from services.runtime.settings import load_settings
from tests.support.tokens import Tokens

TENANT = "banten"
NIP = "198703152010011001"
OTHER = "199002202015032002"


async def app_for(name: str, tmp_path: Path, jwks: Path) -> tuple[FastAPI, ServiceRuntime]:
    module = __import__(f"services.{name}.app", fromlist=["build"])
    settings = load_settings(name, 0, database_url=f"sqlite+aiosqlite:///{tmp_path / f'{name}.db'}",
                             jwt_jwks_file=jwks)
    app, rt = module.build(settings)
    async with rt.engine.begin() as conn:
        await conn.run_sync(rt.metadata.create_all)
    return app, rt


@pytest.fixture
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


@pytest.fixture
async def checkin(tmp_path: Path,
                  dev_keys: tuple[Path, Path]) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    app, rt = await app_for("checkin", tmp_path, dev_keys[1])
    now = datetime.now(UTC)
    async with rt.sessions() as session, session.begin():
        session.add(checkin_store.DirectoryTenant(id=TENANT, timezone="Asia/Makassar"))
        session.add(checkin_store.DirectoryEmployee(tenant=TENANT, nip=NIP, name="Siti Rahmawati", unit_id="bkd",
                                                    active=True))
        session.add(checkin_store.DirectoryEmployee(tenant=TENANT, nip=OTHER, name="Budi", unit_id="dinkes",
                                                    active=True))
        session.add(checkin_store.PolicyVersion(
            tenant=TENANT, policy_id="se-1", version=2, number="800/258-BKD/2022", valid_from=date(2020, 1, 1),
            valid_until=None, effective_at=now - timedelta(days=1), timezone="Asia/Makassar",
            late_submission_limit_hours=48))
        for nip, unit, distance in ((NIP, "bkd", 35.0), (OTHER, "dinkes", 2500.0)):
            session.add(checkin_store.Checkin(
                id=str(uuid.uuid4()), tenant=TENANT, employee_id=nip, unit_id=unit, kind="location",
                captured_at=now, received_at=now, idempotency_key=f"k-{nip}", request_hash="x" * 64,
                payload={"kind": "location", "location": {"latitude": -6.1, "longitude": 106.1, "accuracy_m": 9}},
                status="on_time", window_id="lokasi", geofence="inside" if distance < 200 else "outside",
                distance_m=distance, suspicious=False))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://checkin") as client:
        yield client, rt
    await rt.engine.dispose()


async def test_the_checkin_page_and_its_assets_are_served_with_a_strict_policy(checkin) -> None:  # type: ignore[no-untyped-def]
    client, _ = checkin
    assert (await client.get("/")).headers["location"] == "/app/"
    assert (await client.get("/app")).headers["location"] == "/app/"
    page = await client.get("/app/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'src="app.js"' in page.text and "https://" not in page.text  # no CDN
    for name, kind in (("app.js", "text/javascript"), ("queue.js", "text/javascript"), ("style.css", "text/css"),
                       ("sw.js", "text/javascript"), ("manifest.webmanifest", "application/manifest+json")):
        r = await client.get(f"/app/{name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith(kind), name
    for bad in ("/app/routes.py", "/app/..%2Froutes.py", "/app/%2e%2e/routes.py", "/app/missing.js"):
        assert (await client.get(bad)).status_code == 404, bad


async def test_me_tells_the_page_who_the_token_is(checkin, tokens: Tokens) -> None:  # type: ignore[no-untyped-def]
    client, _ = checkin
    r = await client.get("/app/api/me", headers=tokens.employee(TENANT, NIP, "bkd"))
    assert r.status_code == 200, r.text
    me = r.json()
    assert (me["name"], me["nip"], me["unit_id"], me["known"], me["zone"]) == (
        "Siti Rahmawati", NIP, "bkd", True, "WITA")
    assert me["policy"]["number"] == "800/258-BKD/2022" and me["policy"]["late_submission_limit_hours"] == 48
    stranger = (await client.get("/app/api/me", headers=tokens.employee(TENANT, "199912312020121999", "bkd"))).json()
    assert stranger["known"] is False and stranger["name"] is None
    assert (await client.get("/app/api/me")).status_code == 401


@pytest.fixture
async def reporting(tmp_path: Path, dev_keys: tuple[Path, Path],
                    monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    app, rt = await app_for("reporting", tmp_path, dev_keys[1])
    today = datetime.now(UTC).date()
    async with rt.sessions() as session, session.begin():
        session.add(reporting_store.Tenant(id=TENANT, name="Pemprov Banten", timezone="Asia/Jakarta"))
        content = PolicyContent(geofence_radius_m=150).model_dump(mode="json")
        session.add(reporting_store.PolicyVersion(tenant=TENANT, policy_id="se-1", version=1, number="800/258-BKD/2022",
                                                  valid_from=date(2020, 1, 1), valid_until=None,
                                                  effective_at=datetime(2020, 1, 1, tzinfo=UTC), content=content))
        first = today.replace(day=1)
        ledger = [(first, NIP, "bkd", "on_time"), (first, OTHER, "dinkes", "missing"),
                  (first, "198512122010012004", "bkd", "late")]
        for day, nip, unit, status in ledger:
            session.add(reporting_store.Expectation(
                tenant=TENANT, day=day, window_id="lokasi", nip=nip, unit_id=unit, sector="non_essential",
                status=status, outside_geofence=status == "late", deadline=datetime.now(UTC)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting") as client:
        yield client
    await rt.engine.dispose()


async def test_the_dashboard_is_served_talking_to_its_own_service_only(reporting: httpx.AsyncClient) -> None:
    assert (await reporting.get("/")).headers["location"] == "/dashboard/"
    page = await reporting.get("/dashboard/")
    assert page.status_code == 200
    assert "connect-src 'self';" in page.headers["content-security-policy"]  # no provider configured here
    for name in ("app.js", "api.js", "session.js", "checkins.js", "headmap.js", "charts.js", "i18n.js", "style.css",
                 "icon.svg", "signin.js", "leaflet/leaflet.js", "leaflet/leaflet.css"):
        assert (await reporting.get(f"/dashboard/{name}")).status_code == 200, name
    assert (await reporting.get("/dashboard/routes.py")).status_code == 404


async def test_context_and_trend_follow_the_readers_scope(reporting: httpx.AsyncClient, tokens: Tokens) -> None:
    admin = tokens.admin(TENANT)
    r = await reporting.get("/dashboard/api/context", headers=admin)
    assert r.status_code == 200, r.text
    context = r.json()
    assert "checkin_url" not in context
    assert (context["geofence_radius_m"], context["policy_number"], context["zone"]) == (150, "800/258-BKD/2022",
                                                                                           "WIB")
    assert context["sector_quotas"] == {"critical": 100, "essential": 50, "non_essential": 25}

    month = datetime.now(UTC).date().strftime("%Y-%m")
    trend = (await reporting.get("/dashboard/api/trend", params={"month": month}, headers=admin)).json()
    [day] = trend["days"]
    assert (day["expected"], day["on_time"], day["late"], day["missing"], day["outside_geofence"]) == (3, 1, 1, 1, 1)

    head = tokens.headers(tenant=TENANT, roles=["unit_head"], unit="bkd", subject="head")
    [own] = (await reporting.get("/dashboard/api/trend", params={"month": month}, headers=head)).json()["days"]
    assert (own["expected"], own["missing"]) == (2, 0)
    other = await reporting.get("/dashboard/api/trend", params={"month": month, "unit_id": "dinkes"}, headers=head)
    assert other.status_code == 403
    employee = tokens.employee(TENANT, NIP, "bkd")
    assert (await reporting.get("/dashboard/api/context", headers=employee)).status_code == 403
    assert (await reporting.get("/dashboard/api/trend", params={"month": "2026-13"}, headers=admin)).status_code == 422
