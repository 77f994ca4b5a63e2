"""The dashboard's "belum check-in" panel in real headless Chromium, on the whole suite (the four
services on real Kafka and PostgreSQL, ``web_suite``), signed in with development tokens.

A tenant whose location window opened ten minutes ago (in a zone with room left in its day, a
calendar without national holidays, a letter working every day): of its employees, two check in
through the API before the browser opens. Then

- the tenant admin sees the others, unit by unit, under "Belum check-in — <window> (s.d. <deadline>
  <zone>)", with a WhatsApp link (wa.me, normalized from 08…) that opens, a telephone link, and
  "tanpa nomor telepon" where the directory has none; the panel follows the language switch;
- a unit head sees their own unit only; the head of a unit where everyone checked in reads
  "Semua sudah check-in";
- with no window open the panel says so, and when its endpoint fails it shows the failure (it never
  vanishes).

Screenshots: ``test-artifacts/web/missing-now-*.png`` (phone 390×844, desktop 1366×900).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect

from services.contracts.policy import zone_abbreviation
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

pytestmark = pytest.mark.infra

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WINDOW = timedelta(minutes=30)  # the window closes this long after the module starts
ANI, BUDI, CITRA, DEWI, EKO, HEAD_BKD, HEAD_UMUM = (
    "198703152010011001", "199002202015032002", "199105102019031003", "198512122010012004",
    "199208082015031006", "197501012000031005", "197602022001041006")
PEOPLE = {  # NIP → (name, unit, phone)
    ANI: ("Ani Wijaya", "bkd", "081234560001"),  # checks in
    BUDI: ("Budi Santoso", "bkd", "081234560002"),
    CITRA: ("Citra Lestari", "dinkes", "+622155501234"),  # a landline: a call, no WhatsApp
    DEWI: ("Dewi Rahma", "dinkes", None),
    EKO: ("Eko Prasetyo", "umum", "081234560005"),  # checks in: his unit is complete
    HEAD_BKD: ("Kepala BKD", "bkd", "081234560006"),  # unit heads work in the office: not asked
    HEAD_UMUM: ("Kepala Bagian Umum", "umum", None),
}
UNITS = {"bkd": "Badan Kepegawaian Daerah", "dinkes": "Dinas Kesehatan", "umum": "Bagian Umum"}
HOME = (-6.1202, 106.1503)  # Serang, Banten
PANEL = "missing-now-panel"
LINKS = {  # who is listed once reporting has everything: name → (unit, WhatsApp, telephone)
    "Budi Santoso": ("Badan Kepegawaian Daerah", "https://wa.me/6281234560002", "tel:+6281234560002"),
    "Citra Lestari": ("Dinas Kesehatan", None, "tel:+622155501234"),
    "Dewi Rahma": ("Dinas Kesehatan", None, None),
}


@dataclass
class World:
    tenant: str
    tz: str
    deadline: str  # HH:MM, local
    reporting: str
    tokens: Tokens

    def token(self, headers: dict[str, str]) -> str:
        return headers["Authorization"].removeprefix("Bearer ")

    def admin(self) -> str:
        return self.token(self.tokens.admin(self.tenant))

    def head(self, nip: str, unit: str) -> str:
        return self.token(self.tokens.headers(tenant=self.tenant, roles=["unit_head"], nip=nip, unit=unit,
                                              subject=nip))


@pytest.fixture(scope="module")
async def world(web_suite: Suite, tokens: Tokens) -> World:
    tenant = f"mn-{uuid.uuid4().hex[:8]}"
    tz, local_now = now_with_room(WINDOW + timedelta(minutes=10))
    checkin, reporting = web_suite["checkin"].url, web_suite["reporting"].url
    async with httpx.AsyncClient(timeout=10) as http:
        seeder = Seeder(http, web_suite["policy"].url, tokens.admin(tenant))
        await seeder.directory(
            name="Pemerintah Kota Uji", timezone=tz, units={u: seed.unit(name) for u, name in UNITS.items()},
            employees={nip: {"name": name, "unit_id": unit, "is_unit_head": nip in (HEAD_BKD, HEAD_UMUM),
                             "places": [seed.home(HOME)], **({"phone": phone} if phone else {})}
                       for nip, (name, unit, phone) in PEOPLE.items()})
        start, end_local = seed.opened_now(local_now, WINDOW)
        await seeder.letter(seed.letter("800/12-BKD/2026", "Uji daftar belum check-in", local_now.date(),
                                        [seed.window("lokasi", "Lapor lokasi siang", start, end_local, ["location"])],
                                        exemptions={"roles": ["teacher", "front_line", "unit_head"]},
                                        geofence_radius_m=200))
        for nip in (ANI, EKO):
            await check_in(http, checkin, tokens.employee(tenant, nip, PEOPLE[nip][1]))
        admin = tokens.admin(tenant)

        async def listed() -> list[str] | None:
            r = await http.get(f"{reporting}/dashboard/api/missing-now", headers=admin)
            rows = (r.json() if r.status_code == 200 else {}).get("rows") or []
            links = {row["name"]: (row["unit_name"], row["whatsapp_url"], row["tel_url"]) for row in rows}
            return [row["name"] for row in rows] if links == LINKS else None

        names = await eventually(listed, timeout=60, what="the check-ins, the directory and the phones in reporting")
    assert names == ["Budi Santoso", "Citra Lestari", "Dewi Rahma"]
    return World(tenant, tz, f"{end_local:%H:%M}", reporting, tokens)


async def check_in(http: httpx.AsyncClient, checkin: str, headers: dict[str, str]) -> None:
    async def known() -> bool:
        r = await http.get(f"{checkin}/app/api/me", headers=headers)
        return r.status_code == 200 and r.json()["known"]

    await eventually(known, timeout=30, what="the check-in service knows the employee")
    r = await http.post(f"{checkin}/v1/checkins", headers=headers, json={
        "kind": "location", "captured_at": datetime.now(UTC).isoformat(),
        "location": {"latitude": HOME[0], "longitude": HOME[1], "accuracy_m": 12}})
    assert r.status_code == 201, r.text


async def dashboard(browser: Browser, world: World, token: str, viewport: dict[str, int]) -> Page:
    context = await browser.new_context(viewport=viewport, locale="id-ID", is_mobile=viewport is PHONE,
                                        has_touch=viewport is PHONE, device_scale_factor=2 if viewport is PHONE else 1)
    page = await context.new_page()
    await page.goto(f"{world.reporting}/dashboard/?token={token}")
    return page


def rows(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("missing-now").locator("li")


def person(page: Page, nip: str):  # type: ignore[no-untyped-def]
    return page.get_by_test_id("missing-now").locator(f"li[data-employee='{nip}']")


async def test_the_admin_sees_who_has_not_checked_in_with_a_working_whatsapp_link(
        world: World, browser: Browser, shots: Path) -> None:
    page = await dashboard(browser, world, world.admin(), DESKTOP)
    try:
        panel = page.get_by_test_id(PANEL)
        zone = zone_abbreviation(world.tz)
        await expect(panel.locator("h2")).to_have_text(
            f"Belum check-in — Lapor lokasi siang (s.d. {world.deadline} {zone})")
        await expect(rows(page)).to_have_count(3)
        await expect(page.get_by_test_id("missing-now-count")).to_have_text("3 orang belum check-in")
        assert [await li.locator("strong").text_content() for li in await rows(page).all()] == [
            "Budi Santoso", "Citra Lestari", "Dewi Rahma"], "by unit (Badan…, Dinas…), then name"
        budi = person(page, BUDI)
        await expect(budi).to_contain_text("Badan Kepegawaian Daerah")
        whatsapp = budi.get_by_role("link", name="Kirim WhatsApp ke Budi Santoso")
        await expect(whatsapp).to_have_attribute("href", "https://wa.me/6281234560002")
        await expect(budi.get_by_role("link", name="Telepon Budi Santoso")).to_have_attribute(
            "href", "tel:+6281234560002")
        citra = person(page, CITRA)
        await expect(citra.get_by_role("link")).to_have_count(1)  # a landline: no WhatsApp
        await expect(citra.get_by_role("link", name="Telepon Citra Lestari")).to_have_attribute(
            "href", "tel:+622155501234")
        dewi = person(page, DEWI)
        await expect(dewi).to_contain_text("tanpa nomor telepon")
        await expect(dewi.get_by_role("link")).to_have_count(0)
        await expect(panel).not_to_contain_text("Ani Wijaya")  # checked in
        await page.screenshot(path=shots / "missing-now-desktop.png", full_page=True)

        # The link opens WhatsApp's chat address (wa.me answered here: the machine may be offline).
        opened: list[str] = []

        async def wa_me(route: Route) -> None:
            opened.append(route.request.url)
            await route.fulfill(status=200, content_type="text/html", body="<title>WhatsApp</title>")

        await page.context.route("https://wa.me/**", wa_me)
        async with page.expect_popup() as popup_info:
            await whatsapp.click()
        popup = await popup_info.value
        await popup.wait_for_load_state()
        assert popup.url == "https://wa.me/6281234560002" and opened == ["https://wa.me/6281234560002"]
        await popup.close()

        await page.get_by_test_id("lang").click()
        await expect(panel.locator("h2")).to_have_text(
            f"Not checked in yet — Lapor lokasi siang (until {world.deadline} {zone})")
        await expect(budi.get_by_role("link", name="Call Budi Santoso")).to_have_text("Call")
        await expect(dewi).to_contain_text("no phone number")
        await page.get_by_test_id("lang").click()
        await expect(panel.locator("h2")).to_contain_text("Belum check-in")
    finally:
        await page.context.close()


async def test_a_unit_head_sees_their_unit_and_a_complete_unit_says_so(
        world: World, browser: Browser, shots: Path) -> None:
    page = await dashboard(browser, world, world.head(HEAD_BKD, "bkd"), PHONE)
    try:
        await expect(rows(page)).to_have_count(1)
        await expect(rows(page).first).to_contain_text("Budi Santoso")
        await expect(rows(page).first.get_by_role("link", name="Kirim WhatsApp ke Budi Santoso")).to_be_visible()
        box = await rows(page).first.get_by_role("link", name="Kirim WhatsApp ke Budi Santoso").bounding_box()
        assert box is not None and box["height"] >= 40 and box["x"] + box["width"] <= PHONE["width"], box
        await page.get_by_test_id(PANEL).scroll_into_view_if_needed()
        await page.screenshot(path=shots / "missing-now-phone.png", full_page=True)
    finally:
        await page.context.close()

    page = await dashboard(browser, world, world.head(HEAD_UMUM, "umum"), PHONE)
    try:
        await expect(page.get_by_test_id("missing-now-state")).to_have_text("Semua sudah check-in.")
        await expect(rows(page)).to_have_count(0)
        await expect(page.get_by_test_id(PANEL).locator("h2")).to_contain_text("Lapor lokasi siang")
    finally:
        await page.context.close()


async def test_no_open_window_and_a_failure_are_said_in_the_panel(
        world: World, browser: Browser, shots: Path) -> None:
    page = await dashboard(browser, world, world.admin(), PHONE)
    answers = {
        "closed": (200, {"date": "2026-03-10", "timezone": world.tz, "zone": "WIB", "window": None, "total": 0,
                         "rows": []}),
        "down": (503, {"detail": [{"loc": [], "msg": "Basis data tidak dapat dihubungi", "type": "x"}]}),
    }
    now = {"answer": "closed"}  # what the endpoint answers from now on (the page also refreshes by itself)

    async def answer(route: Route) -> None:
        status, body = answers[now["answer"]]
        await route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    state = page.get_by_test_id("missing-now-state")

    async def refreshed_to(text: str) -> None:
        """Click "Muat ulang" and wait for that load to finish, until the panel says ``text``: a click
        during a load joins it, and that load may have asked before the answer changed (once at most)."""
        for _ in range(3):
            await page.wait_for_function("() => !!document.body.dataset.loadedAt")
            before = await page.evaluate("() => document.body.dataset.loadedAt")
            await page.get_by_test_id("refresh").click()
            await page.wait_for_function("b => document.body.dataset.loadedAt !== b", arg=before)
            if await state.text_content() == text:
                break
        await expect(state).to_have_text(text)

    try:
        await expect(rows(page)).to_have_count(3)  # the real answer first
        await page.route("**/dashboard/api/missing-now*", answer)
        await refreshed_to("Tidak ada jendela yang terbuka sekarang.")
        await expect(rows(page)).to_have_count(0)
        now["answer"] = "down"
        await refreshed_to("Daftar belum check-in tidak dapat dimuat: Basis data tidak dapat dihubungi")
        await expect(state).to_have_attribute("role", "alert")
        await expect(page.get_by_test_id(PANEL)).to_be_visible()
        await page.get_by_test_id(PANEL).scroll_into_view_if_needed()
        await page.screenshot(path=shots / "missing-now-phone-error.png", full_page=True)
    finally:
        await page.context.close()
