"""The check-in page and the dashboard in real headless Chromium, on the whole suite.

One tenant for the module: a department with four employees and its head (exempt:
always in the office) and a circular letter whose location window opened ten minutes
ago and closes 60 seconds after the letter is issued (every day a working day). In order:

1. an employee checks in on the page (geolocation overridden) and the check-in shows
   up on the agency's dashboard, in its unit's counts and on the geofence dial;
2. a check-in made offline waits in the page's queue and is sent once when the
   connection returns; a batch whose answer is lost is retried with the same keys and
   still stored once;
3. once the window has closed, the unit head sees who is missing, downloads the
   export and verifies the unit's day.

Screenshots land in ``test-artifacts/web/``.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools.suite import Suite
from tools.zones import zone_with_room

pytestmark = pytest.mark.infra

WINDOW_SECONDS = 60
UNIT = "bkd"
HOME = {  # Serang, Banten
    "198703152010011001": (-6.1202, 106.1503),
    "199002202015032002": (-6.1100, 106.1600),
    "199105102019031003": (-6.1150, 106.1550),
    "198512122010012004": (-6.1250, 106.1450),
}
NIP_PAGE, NIP_OFFLINE, NIP_LOST, NIP_MISSING = HOME
NIP_HEAD = "197501012000031005"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


class Scenario:
    def __init__(self, suite: Suite, tokens: Tokens, tenant: str, deadline: datetime, day: str) -> None:
        self.suite, self.tokens, self.tenant, self.deadline, self.day = suite, tokens, tenant, deadline, day
        self.checkin, self.reporting = suite["checkin"].url, suite["reporting"].url

    def employee(self, nip: str) -> dict[str, str]:
        return self.tokens.employee(self.tenant, nip, UNIT)

    def bearer(self, headers: dict[str, str]) -> str:
        return headers["Authorization"].removeprefix("Bearer ")

    @property
    def admin(self) -> dict[str, str]:
        return self.tokens.admin(self.tenant)

    @property
    def head(self) -> dict[str, str]:
        return self.tokens.headers(tenant=self.tenant, roles=["unit_head"], nip=NIP_HEAD, unit=UNIT,
                                   subject=NIP_HEAD)

    async def known(self, http: httpx.AsyncClient, nip: str) -> None:
        """Wait until the check-in service's directory knows the employee (as the page asks)."""
        async def probe() -> bool:
            r = await http.get(f"{self.checkin}/app/api/me", headers=self.employee(nip))
            return r.status_code == 200 and r.json()["known"]

        await eventually(probe, timeout=30, what=f"check-in service knows {nip}")

    async def mine(self, http: httpx.AsyncClient, nip: str) -> list[dict]:
        r = await http.get(f"{self.checkin}/v1/checkins/mine", headers=self.employee(nip))
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module")
async def scenario(web_suite: Suite, tokens: Tokens) -> Scenario:
    tenant = f"web-{uuid.uuid4().hex[:8]}"
    policy = web_suite["policy"].url
    admin = tokens.admin(tenant)
    now = datetime.now(UTC)
    tz = zone_with_room(now, timedelta(minutes=10))
    local_now = now.astimezone(ZoneInfo(tz))
    async with httpx.AsyncClient(timeout=10, headers=admin) as http:
        r = await http.put(f"{policy}/v1/tenant", json={"name": "Pemerintah Provinsi Uji Web", "kind": "province",
                                                        "timezone": tz})
        assert r.status_code == 200, r.text
        r = await http.put(f"{policy}/v1/units/{UNIT}", json={"name": "Badan Kepegawaian Daerah",
                                                              "sector": "non_essential"})
        assert r.status_code == 200, r.text
        people = [(nip, f"Pegawai {nip[-4:]}", home) for nip, home in HOME.items()]
        for nip, name, home in [*people, (NIP_HEAD, "Kepala BKD", None)]:
            body = {"name": name, "unit_id": UNIT, "is_unit_head": home is None,
                    "places": [{"name": "Rumah", "kind": "home", "latitude": home[0], "longitude": home[1],
                                "radius_m": 200}] if home else []}
            r = await http.put(f"{policy}/v1/employees/{nip}", json=body)
            assert r.status_code == 200, r.text
        start = (local_now - timedelta(minutes=10)).time().replace(microsecond=0)
        end_local = (local_now + timedelta(seconds=WINDOW_SECONDS)).replace(microsecond=0)
        r = await http.post(f"{policy}/v1/policies", json={
            "number": "800/9-BKD/2026", "title": "Uji halaman web", "signatory": "Sekda",
            "valid_from": str(local_now.date()),
            "content": {"windows": [{"id": "lokasi", "name": "Lokasi pagi", "start": str(start),
                                     "end": str(end_local.time()), "grace_minutes": 0, "kinds": ["location"]}],
                        "exemptions": {"roles": ["teacher", "front_line", "unit_head"]},
                        "geofence_radius_m": 200, "working_days": [1, 2, 3, 4, 5, 6, 7]},
        })
        assert r.status_code == 201, r.text
    return Scenario(web_suite, tokens, tenant, end_local.astimezone(UTC), str(local_now.date()))


async def phone(browser: Browser, nip: str, *, offset_m: float = 30) -> BrowserContext:
    lat, lon = HOME[nip]
    return await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="id-ID",
        geolocation={"latitude": lat, "longitude": lon + offset_m / 111_000, "accuracy": 12},
        permissions=["geolocation"],
    )


async def open_checkin_page(context: BrowserContext, scenario: Scenario, nip: str) -> Page:
    page = await context.new_page()
    await page.goto(f"{scenario.checkin}/app/?token={scenario.bearer(scenario.employee(nip))}")
    await expect(page.get_by_test_id("name")).to_have_text(f"Pegawai {nip[-4:]}")
    assert "token=" not in page.url, "the token is taken out of the address bar"
    return page


async def test_a_checkin_made_on_the_page_appears_on_the_dashboard(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient, shots: Path,
) -> None:
    await scenario.known(http, NIP_PAGE)
    context = await phone(browser, NIP_PAGE)
    try:
        page = await open_checkin_page(context, scenario, NIP_PAGE)
        await expect(page.get_by_test_id("nip")).to_have_text("19870315 201001 1 001")
        await expect(page.get_by_test_id("queue-count")).to_have_text("0")

        await page.get_by_test_id("send-location").click()
        await expect(page.get_by_test_id("fix")).to_have_attribute("data-accuracy", "12")
        await expect(page.get_by_test_id("fix")).to_contain_text("akurasi")
        await expect(page.get_by_test_id("message")).to_contain_text("terkirim")
        judged = page.get_by_test_id("today").locator("li[data-kind=location]")
        await expect(judged).to_have_count(1)
        await expect(judged.first).to_have_attribute("data-status", "on_time", timeout=40_000)
        await expect(judged.first).to_contain_text("di dalam geofence")
        await page.screenshot(path=shots / "checkin-phone.png", full_page=True)

        await page.get_by_test_id("lang").click()
        await expect(page.get_by_test_id("send-location")).to_have_text("Send location")
        await page.reload()
        await expect(page.get_by_test_id("send-location")).to_have_text("Send location")  # kept in localStorage
        await expect(judged.first).to_contain_text("On time")
        await page.screenshot(path=shots / "checkin-phone-en.png", full_page=True)
        await page.get_by_test_id("lang").click()
    finally:
        await context.close()

    rows = await scenario.mine(http, NIP_PAGE)
    assert [(r["kind"], r["status"], r["geofence"]) for r in rows] == [("location", "on_time", "inside")]

    async def reported() -> bool:
        r = await http.get(f"{scenario.reporting}/v1/reports/daily", headers=scenario.admin)
        unit = next((u for u in r.json().get("units", []) if u["unit_id"] == UNIT), None)
        return bool(unit and unit["totals"]["on_time"] == 1)

    await eventually(reported, timeout=30, what="the check-in counted by reporting")

    context = await browser.new_context(viewport=DESKTOP, locale="id-ID")
    try:
        page = await context.new_page()
        await page.goto(f"{scenario.reporting}/dashboard/?token={scenario.bearer(scenario.admin)}")
        row = page.get_by_test_id("units").locator(f"tr[data-unit={UNIT}]")
        await expect(row.locator("td[data-count=on_time]")).to_have_text("1")
        await expect(row.locator("td[data-count=expected]")).to_have_text("4")
        await expect(row).to_contain_text("kuota 25%")
        geofence = page.get_by_test_id("geofence-list").locator(f"tr[data-employee='{NIP_PAGE}']")
        await expect(geofence).to_contain_text(f"Pegawai {NIP_PAGE[-4:]}")
        await expect(geofence).to_contain_text("di dalam")
        dial = page.get_by_test_id("geofence").locator(f"circle[data-employee='{NIP_PAGE}']")
        await expect(dial).to_have_attribute("data-geofence", "inside")
        await expect(page.get_by_test_id("trend").locator(f"g[data-date='{scenario.day}']")).to_have_count(1)
        await page.screenshot(path=shots / "dashboard-desktop.png", full_page=True)
        await page.set_viewport_size(PHONE)
        await page.reload()  # the charts are drawn for the width they get
        await expect(row.locator("td[data-count=on_time]")).to_have_text("1")
        await expect(dial).to_have_count(1)
        await page.screenshot(path=shots / "dashboard-phone.png", full_page=True)
    finally:
        await context.close()


async def test_a_checkin_made_offline_is_sent_once_when_the_connection_returns(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient, shots: Path,
) -> None:
    await scenario.known(http, NIP_OFFLINE)
    context = await phone(browser, NIP_OFFLINE)
    try:
        page = await open_checkin_page(context, scenario, NIP_OFFLINE)
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await context.set_offline(True)
        await expect(page.get_by_test_id("network")).to_have_text("Luring")
        await page.get_by_test_id("send-location").click()
        await expect(page.get_by_test_id("queue-count")).to_have_text("1")
        await expect(page.get_by_test_id("message")).to_contain_text("antrean")
        await expect(page.get_by_test_id("today").locator("li[data-status=queued]")).to_have_count(1)

        await page.reload()  # offline: the service worker serves the page, the queue is in localStorage
        await expect(page.get_by_test_id("queue-count")).to_have_text("1")
        await page.screenshot(path=shots / "checkin-phone-offline.png", full_page=True)
        await asyncio.sleep(3)  # a retry tick or two while offline sends nothing
        assert await scenario.mine(http, NIP_OFFLINE) == []

        await context.set_offline(False)
        await expect(page.get_by_test_id("queue-count")).to_have_text("0", timeout=15_000)
        await expect(page.get_by_test_id("network")).to_have_text("Daring")
        await asyncio.sleep(3)  # later ticks must not send it again
        await expect(page.get_by_test_id("queue-count")).to_have_text("0")
    finally:
        await context.close()
    rows = await scenario.mine(http, NIP_OFFLINE)
    assert len(rows) == 1, rows
    assert rows[0]["kind"] == "location"


async def test_a_batch_whose_answer_is_lost_is_retried_and_stored_once(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient,
) -> None:
    await scenario.known(http, NIP_LOST)
    context = await phone(browser, NIP_LOST)
    answered: list[int] = []

    async def lose_first_answer(route) -> None:  # type: ignore[no-untyped-def]
        response = await route.fetch()  # the server stores the check-in …
        answered.append(response.status)
        if len(answered) == 1:
            await route.abort("connectionreset")  # … but the phone never hears back
        else:
            await route.fulfill(response=response)

    try:
        page = await open_checkin_page(context, scenario, NIP_LOST)
        await page.route("**/v1/checkins/batch", lose_first_answer)
        await page.get_by_test_id("send-location").click()
        await expect(page.get_by_test_id("queue-count")).to_have_text("1")
        await expect(page.get_by_test_id("queue-count")).to_have_text("0", timeout=15_000)
    finally:
        await context.close()
    assert answered[:2] == [200, 200], answered
    rows = await scenario.mine(http, NIP_LOST)
    assert len(rows) == 1, rows


async def test_the_unit_head_sees_who_is_missing_downloads_and_verifies_the_day(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient, shots: Path,
) -> None:
    async def overdue() -> list | None:
        r = await http.get(f"{scenario.reporting}/v1/reports/overdue", headers=scenario.head,
                           params={"date": scenario.day})
        missing = [o["nip"] for o in r.json() if o["status"] == "missing"] if r.status_code == 200 else []
        return missing or None

    wait = (scenario.deadline - datetime.now(UTC)).total_seconds() + 40
    assert await eventually(overdue, timeout=max(wait, 40), what="overdue after the window closed") == [NIP_MISSING]

    context = await browser.new_context(viewport=DESKTOP, locale="id-ID")
    try:
        page = await context.new_page()
        await page.goto(f"{scenario.reporting}/dashboard/?token={scenario.bearer(scenario.head)}")
        missing = page.get_by_test_id("missing").locator("li[data-status=missing]")
        await expect(missing).to_have_count(1)
        await expect(missing.first).to_have_attribute("data-nip", NIP_MISSING)
        row = page.get_by_test_id("units").locator(f"tr[data-unit={UNIT}]")
        await expect(row.locator("td[data-count=expected]")).to_have_text("4")
        await expect(row.locator("td[data-count=missing]")).to_have_text("1")

        async with page.expect_download() as download:
            await page.get_by_test_id("export-daily-csv").click()
        assert (await download.value).suggested_filename.endswith(".csv")

        await page.get_by_test_id("verify").click()
        await expect(page.get_by_test_id("message")).to_contain_text("terverifikasi")
        await expect(row.locator("[data-testid=verified]")).to_be_visible()
        await page.screenshot(path=shots / "dashboard-head-verified.png", full_page=True)
    finally:
        await context.close()
    r = await http.get(f"{scenario.reporting}/v1/reports/verifications", headers=scenario.head,
                       params={"date": scenario.day})
    assert [(u["unit_id"], u["verified"]) for u in r.json()["units"]] == [(UNIT, True)]
