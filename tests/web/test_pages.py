"""The check-in page and the dashboard in real headless Chromium, on the whole suite.

Two tenants, made once for the module, so that every test stands alone and in any order:

- the *page* tenant, whose location window stays open through the tests: an employee
  checks in on the page, downloads their data ("Data saya": JSON and CSV) and the
  check-in shows up on the agency's dashboard; a check-in made while the service is
  unreachable waits in the page's queue and is sent once when the connection returns;
  the page opens offline from its service worker; a batch whose answer is lost is
  retried with the same keys and stored once. Each of these employees is alone in what
  its test counts (its own unit, its own check-ins).
- the *day* tenant, whose window closes 60 seconds after its letter is issued: three of
  its four employees check in through the API while the fixture sets it up, so that once
  the window has closed the unit head sees who is missing, downloads the export and
  verifies the unit's day.

"Offline" is made with Playwright routes on the browser context: while the connection is
down every request of the page to the check-in API fails as a lost connection does, so
nothing can reach the server whatever the browser's network emulation does (its timing
differs from build to build; the emulation only drives the page's online/offline view).
The send tests block service workers, so every request of the page meets the route.

Screenshots land in ``test-artifacts/web/``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Download, Page, Route, expect

from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

pytestmark = pytest.mark.infra

DAY_WINDOW = timedelta(seconds=60)  # the day tenant's window closes this long after its letter
PAGE_WINDOW = timedelta(minutes=30)  # the page tenant's window stays open through the page tests

NIP_PAGE, NIP_COLLEAGUE, NIP_OFFLINE, NIP_SHELL, NIP_LOST = (
    "198703152010011001", "199208082015031006", "199002202015032002", "199304042018012007", "199105102019031003")
NIP_MISSING = "198512122010012004"
NIP_REVIEWED = "199406062019032008"
NIP_HEAD = "197501012000031005"
PAGE_UNITS = {NIP_PAGE: "bkd", NIP_COLLEAGUE: "bkd",  # the dashboard test's unit: one checks in, one not
              NIP_OFFLINE: "offline", NIP_SHELL: "shell", NIP_LOST: "lost", NIP_REVIEWED: "review"}
DAY_UNIT = "bkd"
DAY_PRESENT = ("198703152010011001", "199002202015032002", "199105102019031003")
HOME = {  # Serang, Banten
    "198703152010011001": (-6.1202, 106.1503),
    "199002202015032002": (-6.1100, 106.1600),
    "199105102019031003": (-6.1150, 106.1550),
    "198512122010012004": (-6.1250, 106.1450),
    "199208082015031006": (-6.1180, 106.1520),
    "199304042018012007": (-6.1130, 106.1580),
    "199406062019032008": (-6.1160, 106.1510),
}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


class Tenant:
    def __init__(self, suite: Suite, tokens: Tokens, tenant: str, units: dict[str, str], deadline: datetime,
                 day: str) -> None:
        self.tokens, self.tenant, self.units, self.deadline, self.day = tokens, tenant, units, deadline, day
        self.checkin, self.reporting = suite["checkin"].url, suite["reporting"].url

    def employee(self, nip: str) -> dict[str, str]:
        return self.tokens.employee(self.tenant, nip, self.units[nip])

    def bearer(self, headers: dict[str, str]) -> str:
        return headers["Authorization"].removeprefix("Bearer ")

    @property
    def admin(self) -> dict[str, str]:
        return self.tokens.admin(self.tenant)

    @property
    def head(self) -> dict[str, str]:
        return self.tokens.headers(tenant=self.tenant, roles=["unit_head"], nip=NIP_HEAD, unit=DAY_UNIT,
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
        return r.json()["items"]

    async def check_in_at_home(self, http: httpx.AsyncClient, nip: str) -> None:
        lat, lon = HOME[nip]
        r = await http.post(f"{self.checkin}/v1/checkins", headers=self.employee(nip), json={
            "kind": "location", "captured_at": datetime.now(UTC).isoformat(),
            "location": {"latitude": lat, "longitude": lon, "accuracy_m": 12}})
        assert r.status_code == 201, r.text


class Scenario:
    def __init__(self, pages: Tenant, day: Tenant) -> None:
        self.pages, self.day = pages, day


async def make_tenant(suite: Suite, tokens: Tokens, http: httpx.AsyncClient, units: dict[str, str], *,
                      window: timedelta, head: bool) -> Tenant:
    """A province with the given employees (unit of each), a unit head when asked, and a
    letter whose location window opened ten minutes ago and closes ``window`` from now."""
    tenant = f"web-{uuid.uuid4().hex[:8]}"
    tz, local_now = now_with_room(window + timedelta(minutes=10))
    seeder = Seeder(http, suite["policy"].url, tokens.admin(tenant))
    people = {nip: {"name": f"Pegawai {nip[-4:]}", "unit_id": unit, "is_unit_head": False,
                    "places": [seed.home(HOME[nip])]} for nip, unit in units.items()}
    if head:
        people[NIP_HEAD] = {"name": "Kepala BKD", "unit_id": DAY_UNIT, "is_unit_head": True, "places": []}
    await seeder.directory(name="Pemerintah Provinsi Uji Web", timezone=tz,
                           units={unit: seed.unit(f"Unit {unit}") for unit in sorted(set(units.values()))},
                           employees=people)
    start, end_local = seed.opened_now(local_now, window)
    await seeder.letter(seed.letter("800/9-BKD/2026", "Uji halaman web", local_now.date(),
                                    [seed.window("lokasi", "Lokasi pagi", start, end_local, ["location"])],
                                    exemptions={"roles": ["teacher", "front_line", "unit_head"]},
                                    geofence_radius_m=200))
    return Tenant(suite, tokens, tenant, units, end_local.astimezone(UTC), str(local_now.date()))


@pytest.fixture(scope="module")
async def scenario(web_suite: Suite, tokens: Tokens) -> Scenario:
    async with httpx.AsyncClient(timeout=10) as http:
        # The day tenant first: its window runs out while the page tests run.
        day = await make_tenant(web_suite, tokens, http, {nip: DAY_UNIT for nip in (*DAY_PRESENT, NIP_MISSING)},
                                window=DAY_WINDOW, head=True)
        pages = await make_tenant(web_suite, tokens, http, PAGE_UNITS, window=PAGE_WINDOW, head=False)
        for nip in DAY_PRESENT:
            await day.known(http, nip)
            await day.check_in_at_home(http, nip)
    return Scenario(pages, day)


class Connection:
    """The phone's connection to the check-in API, as the page's requests meet it. While it
    is down every request fails as a lost connection does; the batches the page tried to
    send are kept, refused and delivered, with their idempotency keys."""

    def __init__(self) -> None:
        self.down = False
        self.refused: list[list[str]] = []
        self.delivered: list[list[str]] = []

    @staticmethod
    def matches(url: str) -> bool:
        return "/v1/" in url or "/app/api/" in url

    async def handle(self, route: Route) -> None:
        batch = route.request.method == "POST" and route.request.url.endswith("/v1/checkins/batch")
        keys = [item["idempotency_key"] for item in route.request.post_data_json["items"]] if batch else []
        if self.down:
            self.refused += [keys] if batch else []
            await route.abort("internetdisconnected")
        else:
            self.delivered += [keys] if batch else []
            await route.continue_()


async def phone(browser: Browser, nip: str, *, offset_m: float = 30, service_workers: str = "block",
                ) -> BrowserContext:
    lat, lon = HOME[nip]
    return await browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="id-ID",
        geolocation={"latitude": lat, "longitude": lon + offset_m / 111_000, "accuracy": 12},
        permissions=["geolocation"], service_workers=service_workers,  # type: ignore[arg-type]
    )


async def open_checkin_page(context: BrowserContext, tenant: Tenant, nip: str) -> Page:
    page = await context.new_page()
    await page.goto(f"{tenant.checkin}/app/?token={tenant.bearer(tenant.employee(nip))}")
    await expect(page.get_by_test_id("name")).to_have_text(f"Pegawai {nip[-4:]}")
    assert "token=" not in page.url, "the token is taken out of the address bar"
    return page


async def saved(download: Download) -> str:
    """The text of a file the browser downloaded."""
    return await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8-sig")


async def download_my_data(page: Page, nip: str) -> None:
    """"Data saya": the page saves the check-in service's export of the employee (JSON, CSV)."""
    section = page.get_by_test_id("my-data")
    await expect(section).to_contain_text("docs/privacy.md")
    async with page.expect_download() as pending:
        await page.get_by_test_id("export-json").click()
    download = await pending.value
    name = download.suggested_filename
    assert name.startswith(f"hadir-checkin-{nip}-") and name.endswith(".json"), name
    export = json.loads(await saved(download))
    assert (export["service"], export["employee_id"]) == ("checkin", nip)
    [row] = export["sections"]["checkins"]
    assert (row["kind"], row["status"], row["geofence"], row["place_name"]) == (
        "location", "on_time", "inside", "Rumah")
    assert row["location"]["latitude"] == pytest.approx(HOME[nip][0]) and row["location"]["accuracy_m"] == 12
    assert [p["nip"] for p in export["sections"]["profile"]] == [nip]
    await expect(page.get_by_test_id("message")).to_contain_text(name)

    async with page.expect_download() as pending:
        await page.get_by_test_id("export-csv").click()
    table = (await saved(await pending.value)).splitlines()
    assert table[0] == "section,record,field,value" and f"checkins,1,id,{row['id']}" in table


async def test_a_checkin_made_on_the_page_appears_on_the_dashboard(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient, shots: Path,
) -> None:
    tenant = scenario.pages
    unit = PAGE_UNITS[NIP_PAGE]
    await tenant.known(http, NIP_PAGE)
    context = await phone(browser, NIP_PAGE)
    try:
        page = await open_checkin_page(context, tenant, NIP_PAGE)
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
        await expect(judged.first).to_contain_text("m dari Rumah")  # the place's name, from the verdict
        await page.screenshot(path=shots / "checkin-phone.png", full_page=True)
        await download_my_data(page, NIP_PAGE)

        await page.get_by_test_id("lang").click()
        await expect(page.get_by_test_id("send-location")).to_have_text("Send location")
        await page.reload()
        await expect(page.get_by_test_id("send-location")).to_have_text("Send location")  # kept in localStorage
        await expect(judged.first).to_contain_text("On time")
        await page.screenshot(path=shots / "checkin-phone-en.png", full_page=True)
    finally:
        await context.close()

    rows = await tenant.mine(http, NIP_PAGE)
    assert [(r["kind"], r["status"], r["geofence"]) for r in rows] == [("location", "on_time", "inside")]

    async def reported() -> bool:
        r = await http.get(f"{tenant.reporting}/v1/reports/daily", headers=tenant.admin)
        counted = next((u for u in r.json().get("units", []) if u["unit_id"] == unit), None)
        return bool(counted and counted["totals"]["on_time"] == 1)

    await eventually(reported, timeout=30, what="the check-in counted by reporting")

    context = await browser.new_context(viewport=DESKTOP, locale="id-ID")
    try:
        page = await context.new_page()
        await page.goto(f"{tenant.reporting}/dashboard/?token={tenant.bearer(tenant.admin)}")
        row = page.get_by_test_id("units").locator(f"tr[data-unit={unit}]")
        await expect(row.locator("td[data-count=on_time]")).to_have_text("1")
        await expect(row.locator("td[data-count=expected]")).to_have_text("2")
        await expect(row).to_contain_text("kuota 25%")
        geofence = page.get_by_test_id("geofence-list").locator(f"tr[data-employee='{NIP_PAGE}']")
        await expect(geofence).to_contain_text(f"Pegawai {NIP_PAGE[-4:]}")
        await expect(geofence).to_contain_text("di dalam")
        dial = page.get_by_test_id("geofence").locator(f"circle[data-employee='{NIP_PAGE}']")
        await expect(dial).to_have_attribute("data-geofence", "inside")
        await expect(page.get_by_test_id("trend").locator(f"g[data-date='{tenant.day}']")).to_have_count(1)
        await page.screenshot(path=shots / "dashboard-desktop.png", full_page=True)
        await page.set_viewport_size(PHONE)
        await page.reload()  # the charts are drawn for the width they get
        await expect(row.locator("td[data-count=on_time]")).to_have_text("1")
        await expect(dial).to_have_count(1)
        await page.screenshot(path=shots / "dashboard-phone.png", full_page=True)
    finally:
        await context.close()


async def test_a_returned_report_shows_the_heads_note_on_the_page(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient, shots: Path,
) -> None:
    tenant = scenario.pages
    await tenant.known(http, NIP_REVIEWED)
    sent = await http.post(f"{tenant.checkin}/v1/checkins", headers=tenant.employee(NIP_REVIEWED), json={
        "kind": "activity_report", "captured_at": datetime.now(UTC).isoformat(),
        "activity_text": "Menyusun laporan bulanan"})
    assert sent.status_code == 201, sent.text
    head = tenant.tokens.headers(tenant=tenant.tenant, roles=["unit_head"], nip=NIP_HEAD, unit="review")
    returned = await http.post(f"{tenant.checkin}/v1/checkins/{sent.json()['id']}/review", headers=head,
                               json={"decision": "return", "note": "Lampirkan daftar hadir rapat"})
    assert returned.status_code == 200, returned.text
    context = await phone(browser, NIP_REVIEWED)
    try:
        page = await open_checkin_page(context, tenant, NIP_REVIEWED)
        report = page.get_by_test_id("today").locator("li[data-kind=activity_report]")
        await expect(report).to_have_attribute("data-review", "returned")
        await expect(report).to_contain_text("Dikembalikan kepala")
        await expect(report).to_contain_text("Catatan kepala: Lampirkan daftar hadir rapat")
        await expect(report).to_contain_text("kirim ulang")
        await page.screenshot(path=shots / "checkin-phone-returned.png", full_page=True)
        await page.get_by_test_id("lang").click()
        await expect(report).to_contain_text("Head's note: Lampirkan daftar hadir rapat")
    finally:
        await context.close()


async def test_a_checkin_made_offline_is_sent_once_when_the_connection_returns(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient,
) -> None:
    tenant = scenario.pages
    await tenant.known(http, NIP_OFFLINE)
    context = await phone(browser, NIP_OFFLINE)
    connection = Connection()
    await context.route(connection.matches, connection.handle)
    try:
        page = await open_checkin_page(context, tenant, NIP_OFFLINE)
        queued = page.get_by_test_id("queue-count")
        connection.down = True  # the service is out of reach
        await page.get_by_test_id("send-location").click()
        await expect(queued).to_have_text("1")
        await expect(page.get_by_test_id("message")).to_contain_text("antrean")
        await expect(page.get_by_test_id("today").locator("li[data-status=queued]")).to_have_count(1)
        [key] = connection.refused[0]  # the page tried at once, and the attempt failed

        await page.reload()  # the queue is in localStorage; signing in again tries to send it
        await expect(queued).to_have_text("1")

        async def tried_again() -> bool:
            return len(connection.refused) >= 2

        await eventually(tried_again, timeout=15, what="the reloaded page trying its queue again")
        assert {tuple(keys) for keys in connection.refused} == {(key,)}, "every attempt carries the same key"
        assert await tenant.mine(http, NIP_OFFLINE) == []

        await context.set_offline(True)  # now the phone loses its network too …
        await expect(page.get_by_test_id("network")).to_have_text("Luring")
        connection.down = False
        await context.set_offline(False)  # … and when it comes back, the page sends at once
        await expect(page.get_by_test_id("network")).to_have_text("Daring")
        await expect(queued).to_have_text("0", timeout=15_000)
        await expect(page.get_by_test_id("today").locator("li[data-status=queued]")).to_have_count(0)
    finally:
        await context.close()
    assert connection.delivered == [[key]], "sent once, with the key it was captured with"
    assert [r["kind"] for r in await tenant.mine(http, NIP_OFFLINE)] == ["location"]


async def test_the_page_opens_offline_from_its_service_worker(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient, shots: Path,
) -> None:
    tenant = scenario.pages
    await tenant.known(http, NIP_SHELL)
    context = await phone(browser, NIP_SHELL, service_workers="allow")
    try:
        page = await open_checkin_page(context, tenant, NIP_SHELL)
        assert await page.evaluate("""async () => {
            const sw = navigator.serviceWorker;
            await sw.ready;
            if (!sw.controller) await new Promise((resolve) => sw.addEventListener("controllerchange", resolve));
            return sw.controller !== null;
        }""")
        blocked: list[str] = []

        async def no_network(route: Route) -> None:
            blocked.append(route.request.url)
            await route.abort("internetdisconnected")

        await context.route(f"{tenant.checkin}/**", no_network)  # nothing of the service is reachable
        await context.set_offline(True)
        await page.reload()
        await expect(page.get_by_test_id("name")).to_have_text(f"Pegawai {NIP_SHELL[-4:]}")  # last known profile
        await expect(page.get_by_test_id("network")).to_have_text("Luring")
        await expect(page.get_by_test_id("queue-count")).to_have_text("0")
        await expect(page.get_by_test_id("send-location")).to_be_enabled()
        assert await page.evaluate("navigator.serviceWorker.controller !== null"), "served by the service worker"
        await page.screenshot(path=shots / "checkin-phone-offline.png", full_page=True)
    finally:
        await context.close()


async def test_a_batch_whose_answer_is_lost_is_retried_and_stored_once(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient,
) -> None:
    tenant = scenario.pages
    await tenant.known(http, NIP_LOST)
    context = await phone(browser, NIP_LOST)
    sent: list[list[str]] = []
    answered: list[int] = []
    seen_queued = asyncio.Event()

    async def lose_first_answer(route: Route) -> None:
        sent.append([item["idempotency_key"] for item in route.request.post_data_json["items"]])
        if len(sent) > 1:
            await seen_queued.wait()  # the retry waits until the test has seen the check-in still queued
        response = await route.fetch()  # the server stores the check-in …
        answered.append(response.status)
        if len(answered) == 1:
            await route.abort("connectionreset")  # … but the phone never hears back
        else:
            await route.fulfill(response=response)

    try:
        page = await open_checkin_page(context, tenant, NIP_LOST)
        await context.route("**/v1/checkins/batch", lose_first_answer)
        await page.get_by_test_id("send-location").click()
        await expect(page.get_by_test_id("message")).to_contain_text("antrean")  # not "sent": no answer came
        await expect(page.get_by_test_id("queue-count")).to_have_text("1")
        seen_queued.set()
        await expect(page.get_by_test_id("queue-count")).to_have_text("0", timeout=15_000)
    finally:
        await context.close()
    assert answered == [200, 200], answered
    assert sent[0] == sent[1] and len(sent[0]) == 1, "the retry carries the same idempotency key"
    rows = await tenant.mine(http, NIP_LOST)
    assert len(rows) == 1, rows


async def test_the_unit_head_sees_who_is_missing_downloads_and_verifies_the_day(
    scenario: Scenario, browser: Browser, http: httpx.AsyncClient, shots: Path,
) -> None:
    tenant = scenario.day

    async def overdue() -> list | None:
        r = await http.get(f"{tenant.reporting}/v1/reports/overdue", headers=tenant.head,
                           params={"date": tenant.day})
        missing = [o["nip"] for o in r.json()["items"] if o["status"] == "missing"] if r.status_code == 200 else []
        return missing or None

    wait = (tenant.deadline - datetime.now(UTC)).total_seconds() + 40
    assert await eventually(overdue, timeout=max(wait, 40), what="overdue after the window closed") == [NIP_MISSING]

    context = await browser.new_context(viewport=DESKTOP, locale="id-ID")
    try:
        page = await context.new_page()
        await page.goto(f"{tenant.reporting}/dashboard/?token={tenant.bearer(tenant.head)}")
        missing = page.get_by_test_id("missing").locator("li[data-status=missing]")
        await expect(missing).to_have_count(1)
        await expect(missing.first).to_have_attribute("data-nip", NIP_MISSING)
        row = page.get_by_test_id("units").locator(f"tr[data-unit={DAY_UNIT}]")
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
    r = await http.get(f"{tenant.reporting}/v1/reports/verifications", headers=tenant.head,
                       params={"date": tenant.day})
    assert [(u["unit_id"], u["verified"]) for u in r.json()["units"]] == [(DAY_UNIT, True)]
