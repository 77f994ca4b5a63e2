"""The dashboard for action, in real headless Chromium on the whole suite (real Kafka and
PostgreSQL) with people signing in through the real OIDC provider (tools/oidc): the unit head
``kepala`` and the BKD admin ``bkd`` of a tenant seeded here, on a phone (390×844) and a desktop
(1366×900).

The tenant's *Lokasi* window opens before the module seeds it and ends ``WINDOW`` after: while it
is open four employees check in through the real check-in API (development tokens) — one of them
7.8 km from home — and two send nothing. Once the window has ended the dashboard shows, for the
head: their name, role and unit in words (no NIP, role code or unit id), the tiles and the list
of who is missing or late counting the same people, and the far check-in on the head's
schematic map with its label ("7,8 km dari Rumah · di luar batas 150 m"; the same words when the
map cannot draw); for the admin: units worst first. Screenshots: test-artifacts/web/dashboard-*.png.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import oidc as provider_tool
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

pytestmark = pytest.mark.infra

TENANT = f"dasbor-{uuid.uuid4().hex[:8]}"
WINDOW = timedelta(seconds=75)  # the Lokasi window ends this long after the module seeds it
RADIUS = 150  # the letter's geofence radius (the homes have none of their own)
FAR_M = 7800
EARTH_M_PER_DEGREE = 111_195  # along a meridian (haversine's 6371 km sphere)
NIP_HEAD = "197501012000031005"
NIP_FAR, NIP_HOME, NIP_GONE = "198703152010011001", "199002202015032002", "199105102019031003"
NIP_DINKES_HOME, NIP_DINKES_GONE, NIP_ARSIP = "198512122010012004", "199208082015031006", "199304042018012007"
PEOPLE = {  # nip → (name, unit, home)
    NIP_FAR: ("Siti Rahmawati", "bkd", (-6.1202, 106.1503)),
    NIP_HOME: ("Agus Salim", "bkd", (-6.1100, 106.1600)),
    NIP_GONE: ("Rina Marlina", "bkd", (-6.1150, 106.1550)),
    NIP_DINKES_HOME: ("Dewi Lestari", "dinkes", (-6.1250, 106.1450)),
    NIP_DINKES_GONE: ("Joko Widodo", "dinkes", (-6.1180, 106.1520)),
    NIP_ARSIP: ("Tuti Handayani", "arsip", (-6.1130, 106.1580)),
}
SENDERS = (NIP_FAR, NIP_HOME, NIP_DINKES_HOME, NIP_ARSIP)
UNITS = {"arsip": "Arsip Daerah", "bkd": "Badan Kepegawaian Daerah", "dinkes": "Dinas Kesehatan"}
WORST_FIRST = ["dinkes", "bkd", "arsip"]  # 1 of 2 missing, 1 of 3, none (by name it would be the reverse)
HEAD_HEADER = "Budi Santoso · Kepala unit · Badan Kepegawaian Daerah"
ADMIN_HEADER = "Admin BKD · BKD (admin kepegawaian) · Pemerintah Provinsi Uji Dasbor"
FAR_LABEL = f"7,8 km dari Rumah · di luar batas {RADIUS} m"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WAIT = 30_000  # ms: a shared, loaded machine may take seconds for a redirect round trip


@pytest.fixture(scope="module")
def oidc_users() -> dict[str, dict[str, object]]:
    return {
        "kepala": {"name": "Budi Santoso", "nip": NIP_HEAD, "unit": "bkd", "tenant": TENANT,
                   "realm_access": {"roles": ["unit_head", "employee"]}},
        "bkd": {"name": "Admin BKD", "tenant": TENANT, "realm_access": {"roles": ["tenant_admin"]}},
    }


class Day:
    def __init__(self, suite: Suite, provider: provider_tool.Provider, deadline: datetime) -> None:
        self.suite, self.provider, self.deadline = suite, provider, deadline
        self.page = f"{suite['reporting'].url}/dashboard/"


@pytest.fixture(scope="module")
async def day(oidc_web_suite: tuple[Suite, provider_tool.Provider], tokens: Tokens) -> Day:
    suite, provider = oidc_web_suite
    tz, local_now = now_with_room(WINDOW + timedelta(minutes=15))
    admin = tokens.admin(TENANT)
    async with httpx.AsyncClient(timeout=10) as http:
        seeder = Seeder(http, suite["policy"].url, admin)
        people = {nip: {"name": name, "unit_id": unit, "is_unit_head": False,
                        "places": [seed.home(home, radius_m=None)]} for nip, (name, unit, home) in PEOPLE.items()}
        people[NIP_HEAD] = {"name": "Budi Santoso", "unit_id": "bkd", "is_unit_head": True, "places": []}
        await seeder.directory(name="Pemerintah Provinsi Uji Dasbor", timezone=tz,
                               units={unit: seed.unit(name) for unit, name in UNITS.items()}, employees=people)
        start, end = seed.opened_now(local_now, WINDOW)
        await seeder.letter(seed.letter("800/16-BKD/2026", "Uji dasbor", local_now.date(),
                                        [seed.window("lokasi", "Lokasi pagi", start, end, ["location"])],
                                        exemptions={"roles": ["teacher", "front_line", "unit_head"]},
                                        geofence_radius_m=RADIUS))
        checkin = suite["checkin"].url
        for nip in SENDERS:
            name, unit, (lat, lon) = PEOPLE[nip]
            employee = tokens.employee(TENANT, nip, unit)

            async def known(employee: dict[str, str] = employee) -> bool:
                r = await http.get(f"{checkin}/app/api/me", headers=employee)
                return r.status_code == 200 and r.json()["known"]

            await eventually(known, timeout=30, what=f"the check-in service knows {name}")
            north = FAR_M / EARTH_M_PER_DEGREE if nip == NIP_FAR else 0.0
            r = await http.post(f"{checkin}/v1/checkins", headers=employee, json={
                "kind": "location", "captured_at": datetime.now(UTC).isoformat(),
                "location": {"latitude": lat + north, "longitude": lon, "accuracy_m": 10}})
            assert r.status_code == 201, r.text

        reporting = suite["reporting"].url

        async def evaluated() -> bool:
            r = await http.get(f"{reporting}/dashboard/api/checkins", headers=admin)
            rows = r.json()["checkins"] if r.status_code == 200 else []
            return sorted(x["nip"] for x in rows if x["distance_m"] is not None) == sorted(SENDERS)

        await eventually(evaluated, timeout=60, what="the four verdicts reached reporting")
        deadline = end.astimezone(UTC)

        async def ended() -> bool:
            r = await http.get(f"{reporting}/dashboard/api/day", headers=admin)
            return r.status_code == 200 and r.json()["report"]["totals"]["missing"] == 2

        wait = (deadline - datetime.now(UTC)).total_seconds() + 60
        await eventually(ended, timeout=max(wait, 60), what="the window ended with two people missing")
    return Day(suite, provider, deadline)


async def sign_in(page: Page, login: str) -> None:
    await page.get_by_role("button", name="Masuk", exact=True).click()
    await page.wait_for_url(lambda url: "/interaction/" in url, timeout=WAIT)
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", "rahasia")
    await page.locator("button[type=submit]").first.click()


async def tiles_agree_with_the_list(page: Page, missing: int, late: int) -> None:
    for status, count in (("missing", missing), ("late", late)):
        await expect(page.locator(f"#totals .tile[data-count={status}] strong")).to_have_text(str(count))
        await expect(page.get_by_test_id("missing").locator(f"li[data-status={status}]")).to_have_count(count)


@pytest.mark.parametrize(("viewport", "label"), [(PHONE, "phone"), (DESKTOP, "desktop")])
async def test_the_head_signs_in_and_sees_the_far_checkin_on_the_map(browser: Browser, day: Day, shots: Path,
                                                                     viewport: dict[str, int], label: str) -> None:
    context = await browser.new_context(viewport=viewport, locale="id-ID", is_mobile=label == "phone")
    try:
        page = await context.new_page()
        await page.goto(day.page)
        await sign_in(page, "kepala")
        await expect(page.get_by_test_id("who")).to_have_text(HEAD_HEADER, timeout=WAIT)
        assert page.url == day.page  # back on the dashboard, the code gone from the address
        header = await page.locator("header").inner_text()
        for raw in (NIP_HEAD, "unit_head", "bkd"):
            assert raw not in header, raw

        units = page.get_by_test_id("units").locator("tbody tr")
        await expect(units).to_have_count(1)
        await expect(units.first).to_have_attribute("data-unit", "bkd")
        await tiles_agree_with_the_list(page, missing=1, late=0)
        await expect(page.get_by_test_id("missing").locator("li[data-status=missing]")).to_contain_text(
            "Rina Marlina")

        row = page.get_by_test_id("geofence-list").locator(f"tr[data-employee='{NIP_FAR}']")
        await expect(row).to_contain_text("Siti Rahmawati")
        await expect(row).to_contain_text("di luar")
        await expect(page.get_by_test_id("geofence-list").locator(f"tr[data-employee='{NIP_DINKES_HOME}']")
                     ).to_have_count(0)  # another unit's check-in
        await row.get_by_test_id("open-map").click()
        shown = page.get_by_test_id("checkin-map")
        await expect(shown).to_have_attribute("data-map", "leaflet")
        await expect(page.get_by_test_id("checkin-map-label")).to_have_text(FAR_LABEL)
        await expect(page.get_by_test_id("checkin-map-note")).to_contain_text("Arah tidak diketahui")
        await expect(shown.locator(".leaflet-container")).to_have_count(1)
        await expect(shown.locator(".leaflet-tile")).to_have_count(0)  # schematic: no tiles, no coordinates
        await expect(shown.locator("path.leaflet-interactive")).to_have_count(5)  # place, ring, line, two dots
        body = await page.content()
        assert "latitude" not in body and str(PEOPLE[NIP_FAR][2][0]) not in body
        await shown.scroll_into_view_if_needed()
        await page.screenshot(path=str(shots / f"dashboard-head-{label}.png"), full_page=True)

        await page.get_by_test_id("lang").click()
        await expect(page.get_by_test_id("checkin-map-label")).to_have_text(
            f"7.8 km from Rumah · outside the {RADIUS} m limit")
        await expect(page.get_by_test_id("who")).to_have_text("Budi Santoso · Unit head · Badan Kepegawaian Daerah")
        await page.get_by_test_id("lang").click()

        # Leaflet cannot load: the same words, in the fallback.
        await context.route("**/leaflet/leaflet.js", lambda route: route.abort())
        await page.reload()
        await page.get_by_test_id("geofence-list").locator(f"tr[data-employee='{NIP_FAR}']").get_by_test_id(
            "open-map").click()
        await expect(shown).to_have_attribute("data-map", "text")
        await expect(page.get_by_test_id("checkin-map-fallback")).to_have_text(FAR_LABEL)
        await expect(page.get_by_test_id("checkin-map-fallback")).to_be_visible()
    finally:
        await context.close()


async def test_the_admin_sees_units_worst_first_and_tiles_that_agree(browser: Browser, day: Day,
                                                                     shots: Path) -> None:
    context = await browser.new_context(viewport=DESKTOP, locale="id-ID")
    try:
        page = await context.new_page()
        await page.goto(day.page)
        await sign_in(page, "bkd")
        await expect(page.get_by_test_id("who")).to_have_text(ADMIN_HEADER, timeout=WAIT)
        rows = page.get_by_test_id("units").locator("tbody tr")
        await expect(rows).to_have_count(3)
        assert [await r.get_attribute("data-unit") for r in await rows.all()] == WORST_FIRST
        await tiles_agree_with_the_list(page, missing=2, late=0)
        await page.screenshot(path=str(shots / "dashboard-admin-desktop.png"), full_page=True)
    finally:
        await context.close()


async def test_a_panel_whose_data_fails_says_so(browser: Browser, day: Day) -> None:
    context = await browser.new_context(viewport=PHONE, locale="id-ID")
    try:
        page = await context.new_page()
        await context.route("**/dashboard/api/checkins*", lambda route: route.fulfill(status=503, body="{}"))
        await page.goto(day.page)
        await sign_in(page, "kepala")
        panel = page.locator("#geofence-panel")
        await expect(panel).to_be_visible(timeout=WAIT)
        await expect(panel.get_by_test_id("panel-error")).to_contain_text("Gagal memuat")
        await expect(page.get_by_test_id("units").locator("tbody tr")).to_have_count(1)  # the rest still works
    finally:
        await context.close()
