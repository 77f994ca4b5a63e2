"""The check-in page by schedule, in real headless Chromium on the whole suite (real Kafka and
PostgreSQL): today's windows with the open one highlighted and its countdown, the map shown
before a location is sent (tiles blocked: the page says it in words; nothing leaves the
machine), and the verdict told with its reason and the next step. Phone (390×844) and desktop
(1366×900); screenshots in ``test-artifacts/web/``.

The letter's windows are built around the moment the tenant is made, with room
(:func:`tools.zones.now_with_room`): *Apel* closed a quarter of an hour ago (missed), *Lokasi
pagi* opened ten minutes ago and stays open through the tests, *Laporan sore* opens after it.
"""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

pytestmark = pytest.mark.infra

OPEN_FOR = timedelta(minutes=40)
NIP_HOME, NIP_AWAY, NIP_OFFLINE = "198703152010011001", "199002202015032002", "199105102019031003"
HOME = {NIP_HOME: (-6.1202, 106.1503), NIP_AWAY: (-6.1100, 106.1600), NIP_OFFLINE: (-6.1150, 106.1550)}
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
EARTH_M_PER_DEGREE = 6_371_000 * math.pi / 180  # along a meridian


class Place:
    def __init__(self, suite: Suite, tokens: Tokens, tenant: str, day: str) -> None:
        self.suite, self.tokens, self.tenant, self.day = suite, tokens, tenant, day

    def url(self, nip: str) -> str:
        token = self.tokens.employee(self.tenant, nip, "bkd")["Authorization"].removeprefix("Bearer ")
        return f"{self.suite['checkin'].url}/app/?token={token}"


@pytest.fixture(scope="module")
async def place(web_suite: Suite, tokens: Tokens) -> Place:
    tenant = f"jadwal-{uuid.uuid4().hex[:8]}"
    tz, local_now = now_with_room(OPEN_FOR + timedelta(minutes=30))
    async with httpx.AsyncClient(timeout=10) as http:
        seeder = Seeder(http, web_suite["policy"].url, tokens.admin(tenant))
        await seeder.directory(name="Pemerintah Provinsi Uji Jadwal", timezone=tz, units={"bkd": seed.unit("BKD")},
                               employees={nip: {"name": f"Pegawai {nip[-4:]}", "unit_id": "bkd",
                                                "places": [seed.home(point)]} for nip, point in HOME.items()})
        await seeder.letter(seed.letter("800/12-BKD/2026", "Uji jadwal", local_now.date(),
                                        seed.day_around_now(local_now, OPEN_FOR), geofence_radius_m=200))
        place = Place(web_suite, tokens, tenant, str(local_now.date()))

        async def schedule_known() -> bool:
            for nip in HOME:
                r = await http.get(f"{web_suite['checkin'].url}/app/api/today",
                                   headers=tokens.employee(tenant, nip, "bkd"))
                me = await http.get(f"{web_suite['checkin'].url}/app/api/me",
                                    headers=tokens.employee(tenant, nip, "bkd"))
                if r.status_code != 200 or len(r.json()["windows"]) != 3 or not me.json()["known"]:
                    return False
            return True

        await eventually(schedule_known, timeout=30, what="the check-in service knows the letter's windows")
    return place


async def open_page(browser: Browser, place: Place, nip: str, *, viewport: dict[str, int], north_m: float,
                    blocked: list[str], service_workers: str = "block") -> tuple[BrowserContext, Page]:
    """The page for ``nip`` standing ``north_m`` north of home; requests off this machine (the
    map's tiles) are aborted and listed in ``blocked``."""
    lat, lon = HOME[nip]
    context = await browser.new_context(
        viewport=viewport, device_scale_factor=2 if viewport == PHONE else 1, is_mobile=viewport == PHONE,
        has_touch=viewport == PHONE, locale="id-ID", service_workers=service_workers,  # type: ignore[arg-type]
        permissions=["geolocation"],
        geolocation={"latitude": lat + north_m / EARTH_M_PER_DEGREE, "longitude": lon, "accuracy": 12})

    async def offline_world(route: Route) -> None:
        blocked.append(route.request.url)
        await route.abort("internetdisconnected")

    await context.route(lambda url: not url.startswith("http://127.0.0.1"), offline_world)
    page = await context.new_page()
    await page.goto(place.url(nip))
    await expect(page.get_by_test_id("name")).to_have_text(f"Pegawai {nip[-4:]}")
    return context, page


async def the_open_window_is_highlighted(page: Page) -> None:
    windows = page.get_by_test_id("windows")
    await expect(windows.locator("li")).to_have_count(3)
    await expect(windows.locator("li[data-window=apel]")).to_have_attribute("data-state", "missed")
    opened = windows.locator("li[data-window=lokasi]")
    await expect(opened).to_have_attribute("data-state", "open")
    await expect(opened).to_have_attribute("aria-current", "time")
    await expect(opened).to_contain_text("Lokasi pagi")
    await expect(windows.locator("li[data-window=laporan]")).to_have_attribute("data-state", "upcoming")
    await expect(page.get_by_test_id("countdown")).to_contain_text("Sekarang: Lokasi pagi — ditutup dalam")
    await expect(page.get_by_test_id("schedule-zone")).to_contain_text("WI")  # WIB, WITA or WIT
    await expect(page.get_by_test_id("due-action")).to_have_text("Kirim lokasi — Lokasi pagi")


async def send_from_the_map(page: Page, blocked: list[str]) -> None:
    await page.get_by_test_id("due-action").click()
    card = page.get_by_test_id("map-card")
    await expect(card).to_be_visible()
    await expect(card.locator(".leaflet-container")).to_have_count(1)  # Leaflet from this service
    await expect(page.get_by_test_id("map-text")).to_have_attribute("data-state", "failed")
    await expect(page.get_by_test_id("map-text")).to_contain_text("Peta tidak dapat dimuat")
    await expect(page.get_by_test_id("map-text")).to_contain_text("±\u00a012\u00a0m")
    assert blocked and all(u.startswith("https://tile.openstreetmap.org/") for u in blocked), blocked


async def test_the_phone_shows_todays_windows_sends_from_the_map_and_reads_the_verdict(
        place: Place, browser: Browser, shots: Path) -> None:
    blocked: list[str] = []
    context, page = await open_page(browser, place, NIP_HOME, viewport=PHONE, north_m=30, blocked=blocked)
    try:
        await the_open_window_is_highlighted(page)
        await page.screenshot(path=shots / "schedule-phone.png", full_page=True)
        await send_from_the_map(page, blocked)
        await page.screenshot(path=shots / "schedule-phone-map.png", full_page=True)
        await page.get_by_test_id("confirm-location").click()
        await expect(page.get_by_test_id("message")).to_contain_text("terkirim", timeout=30_000)
        verdict = page.get_by_test_id("verdict")
        await expect(verdict).to_have_attribute("data-status", "on_time", timeout=40_000)
        await expect(verdict).to_contain_text("Lokasi pagi: Tepat waktu")
        await expect(verdict).to_contain_text("di dalam geofence — 30\u00a0m dari Rumah")
        done = page.get_by_test_id("windows").locator("li[data-window=lokasi]")
        await expect(done).to_have_attribute("data-state", "done")
        await expect(done).to_contain_text("Tepat waktu")
        await expect(page.get_by_test_id("countdown")).to_contain_text("Berikutnya: Laporan sore")
        await expect(page.get_by_test_id("due-action")).to_be_hidden()
        await page.get_by_test_id("month-load").click()
        today = page.get_by_test_id("month-days").locator(f"li[data-date='{place.day}']")
        await expect(today).to_have_attribute("data-state", "today")  # Laporan sore is still to come
        await expect(today).to_contain_text("1/3 terisi")
        await expect(page.get_by_test_id("month-summary")).to_contain_text("1 dari 3 jendela terisi · 1 terlewat")
        await page.screenshot(path=shots / "schedule-phone-verdict.png", full_page=True)
        await page.get_by_test_id("lang").click()
        await expect(verdict).to_contain_text("Lokasi pagi: On time")
        await expect(page.get_by_test_id("countdown")).to_contain_text("Next: Laporan sore")
    finally:
        await context.close()


async def test_far_from_home_the_desktop_page_says_how_far_and_what_to_do(
        place: Place, browser: Browser, shots: Path) -> None:
    blocked: list[str] = []
    context, page = await open_page(browser, place, NIP_AWAY, viewport=DESKTOP, north_m=7_800, blocked=blocked)
    try:
        await the_open_window_is_highlighted(page)
        await send_from_the_map(page, blocked)
        await page.screenshot(path=shots / "schedule-desktop-map.png")
        await page.get_by_test_id("confirm-location").click()
        verdict = page.get_by_test_id("verdict")
        await expect(verdict).to_have_attribute("data-status", "on_time", timeout=40_000)
        await expect(verdict).to_contain_text("Anda 7,8\u00a0km dari Rumah, di luar area yang diizinkan")
        await expect(verdict).to_contain_text("Kirim ulang dari Rumah atau ajukan keterangan kepada atasan.")
        assert "106.16" not in await verdict.inner_text()  # no raw coordinates
        await page.screenshot(path=shots / "schedule-desktop-verdict.png")
    finally:
        await context.close()


async def test_offline_the_cached_schedule_still_leads_and_the_queue_fills_the_window(
        place: Place, browser: Browser, shots: Path) -> None:
    blocked: list[str] = []
    context, page = await open_page(browser, place, NIP_OFFLINE, viewport=PHONE, north_m=20, blocked=blocked,
                                    service_workers="allow")
    try:
        await the_open_window_is_highlighted(page)
        assert await page.evaluate("""async () => {
            const sw = navigator.serviceWorker;
            await sw.ready;
            if (!sw.controller) await new Promise((resolve) => sw.addEventListener("controllerchange", resolve));
            return sw.controller !== null;
        }""")
        service = place.suite["checkin"].url

        async def down(route: Route) -> None:
            await route.abort("internetdisconnected")

        await context.route(f"{service}/**", down)  # nothing of the service is reachable
        await context.set_offline(True)
        await page.reload()
        await expect(page.get_by_test_id("network")).to_have_text("Luring")
        await the_open_window_is_highlighted(page)  # from the last answer kept on the phone
        await send_from_the_map(page, blocked)
        await page.get_by_test_id("confirm-location").click()
        await expect(page.get_by_test_id("message")).to_contain_text("antrean", timeout=30_000)
        filled = page.get_by_test_id("windows").locator("li[data-window=lokasi]")
        await expect(filled).to_have_attribute("data-state", "done")
        await expect(filled).to_contain_text("Di antrean")
        await expect(page.get_by_test_id("countdown")).to_contain_text("Berikutnya: Laporan sore")
        await page.screenshot(path=shots / "schedule-phone-offline.png", full_page=True)

        await context.unroute(f"{service}/**", down)
        await context.set_offline(False)
        await expect(page.get_by_test_id("queue-count")).to_have_text("0", timeout=15_000)
        await page.locator("#refresh").click()
        await expect(filled).to_contain_text("Tepat waktu", timeout=40_000)
    finally:
        await context.close()
