"""An employee's day on the check-in page, in headless Chromium on the whole suite (real Kafka,
PostgreSQL and the real OIDC provider, tools/oidc): they sign in through the provider's form,
the header names them with their formatted NIP, today's windows show with the open one
highlighted, the map shows their allowed place's circle and the phone's fix before they send
(the places read from the policy service across origins), and the verdict comes back with its
reason and next step once policy has evaluated the check-in. Phone (390×844) at home, desktop
(1366×900) 7.8 km from home. An employee on approved leave today is told plainly that no
check-in is needed, and so is one whose letter does not work today's weekday; when the places
cannot be read, the map says so in words; a check-in that waited in the queue goes out with a
token renewed at the provider, not the one it was made with.

The letter's windows are built around the moment the tenant is made (:func:`tools.zones.now_with_room`
picks WIB, WITA or WIT so that the three windows fit in the local day, whatever the hour):
*Apel pagi* closed a quarter of an hour ago, *Lokasi pagi* opened ten minutes ago and stays open
through the tests, *Laporan sore* opens after it. The tenant's calendar has no national days and
the letter works every day, so today is a working day. Map tiles are blocked (nothing leaves the
machine): the map's circles still draw and the text fallback says the tiles did not load.

Screenshots: ``test-artifacts/web/employee-*.png``.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tests.web.test_signin import sign_in_on_the_form
from tools import oidc as provider_tool
from tools import seed
from tools.seed import Seeder
from tools.suite import Suite
from tools.zones import now_with_room

pytestmark = pytest.mark.infra

TENANT = f"jalan-{uuid.uuid4().hex[:8]}"
TENANT_OFF = f"libur-{uuid.uuid4().hex[:8]}"  # its letter does not work today's weekday
UNIT = "bkd"
OPEN_FOR = timedelta(minutes=40)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WAIT = 30_000  # ms: a redirect round trip on a loaded machine
VERDICT_WAIT = 60_000  # ms: checked-in → evaluated by policy → back in the check-in service → on the page
EARTH_M_PER_DEGREE = 6_371_000 * math.pi / 180  # along a meridian


@dataclass(frozen=True)
class Person:
    login: str
    nip: str
    name: str
    home: tuple[float, float]


HOME = Person("pegawai", "198703152010011001", "Siti Rahmawati", (-6.1202, 106.1503))
AWAY = Person("jauh", "199002202015032002", "Dewi Lestari", (-6.1100, 106.1600))
LEAVE = Person("cuti", "199105102019031003", "Agus Pratama", (-6.1150, 106.1550))
BLIND = Person("buta", "199304042018012007", "Rina Wulandari", (-6.1130, 106.1580))
QUEUED = Person("antre", "199406062019032008", "Wahyu Hidayat", (-6.1160, 106.1510))
PEOPLE = (HOME, AWAY, LEAVE, BLIND, QUEUED)
OFF = Person("libur", "198512122010012004", "Yanti Susanti", (-6.1250, 106.1450))


@pytest.fixture(scope="module")
def oidc_users() -> dict[str, dict[str, object]]:
    """The provider's users are the people seeded below: same tenant, NIP and unit."""
    return {p.login: {"name": p.name, "nip": p.nip, "unit": UNIT, "tenant": TENANT_OFF if p is OFF else TENANT,
                      "realm_access": {"roles": ["employee", "offline_access"]}} for p in (*PEOPLE, OFF)}


@dataclass(frozen=True)
class Day:
    suite: Suite
    provider: provider_tool.Provider
    date: str

    @property
    def page_url(self) -> str:
        return f"{self.suite['checkin'].url}/app/"


@pytest.fixture(scope="module")
async def day(oidc_web_suite: tuple[Suite, provider_tool.Provider], tokens: Tokens) -> Day:
    suite, provider = oidc_web_suite
    tz, local_now = now_with_room(OPEN_FOR + timedelta(minutes=30))
    policy = suite["policy"].url
    async with httpx.AsyncClient(timeout=10) as http:
        seeder = Seeder(http, policy, tokens.admin(TENANT))
        await seeder.directory(name="Pemerintah Provinsi Uji Pegawai", timezone=tz, units={UNIT: seed.unit("BKD")},
                               employees={p.nip: {"name": p.name, "unit_id": UNIT, "places": [seed.home(p.home)]}
                                          for p in PEOPLE})
        await seeder.letter(seed.letter("800/16-BKD/2026", "Uji perjalanan pegawai", local_now.date(),
                                        seed.day_around_now(local_now, OPEN_FOR), geofence_radius_m=200))
        # LEAVE asks for a day of cuti today; the BKD approves it (each step it is asked for).
        asked = await seeder.call("POST", "/v1/me/absences", expect=(201,),
                                  headers=tokens.employee(TENANT, LEAVE.nip, UNIT),
                                  json={"kind": "cuti", "start": str(local_now.date()), "end": str(local_now.date()),
                                        "reason": "Cuti tahunan"})
        absence = asked.json()
        for _ in range(2):
            if absence["status"] == "approved":
                break
            absence = (await seeder.call("POST", f"/v1/absences/{absence['id']}/decision",
                                         json={"decision": "approve"})).json()
        assert absence["status"] == "approved", absence

        async def schedule_known() -> bool:
            for p in PEOPLE:
                me = await http.get(f"{suite['checkin'].url}/app/api/me", headers=tokens.employee(TENANT, p.nip, UNIT))
                today = await http.get(f"{suite['checkin'].url}/app/api/today",
                                       headers=tokens.employee(TENANT, p.nip, UNIT))
                if today.status_code != 200 or len(today.json()["windows"]) != 3 or not me.json()["known"]:
                    return False
            return True

        await eventually(schedule_known, timeout=30, what="the check-in service knows the people and the letter")
    return Day(suite, provider, str(local_now.date()))


@pytest.fixture(scope="module")
async def day_off(oidc_web_suite: tuple[Suite, provider_tool.Provider], tokens: Tokens) -> Day:
    """A second tenant whose letter works every weekday but today's."""
    suite, provider = oidc_web_suite
    tz, local_now = now_with_room(timedelta(minutes=30))
    async with httpx.AsyncClient(timeout=10) as http:
        seeder = Seeder(http, suite["policy"].url, tokens.admin(TENANT_OFF))
        await seeder.directory(name="Pemerintah Kabupaten Uji Libur", timezone=tz, units={UNIT: seed.unit("BKD")},
                               employees={OFF.nip: {"name": OFF.name, "unit_id": UNIT,
                                                    "places": [seed.home(OFF.home)]}})
        start, end = seed.opened_now(local_now, timedelta(minutes=20))
        await seeder.letter(seed.letter("800/17-BKD/2026", "Uji hari libur", local_now.date(),
                                        [seed.window("lokasi", "Lokasi pagi", start, end, ["location"])],
                                        working_days=[d for d in seed.EVERY_DAY if d != local_now.isoweekday()]))

        async def known() -> bool:
            r = await http.get(f"{suite['checkin'].url}/app/api/today",
                               headers=tokens.employee(TENANT_OFF, OFF.nip, UNIT))
            return r.status_code == 200 and [w["state"] for w in r.json()["windows"]] == ["not_required"]

        await eventually(known, timeout=30, what="the check-in service knows the letter of the day off")
    return Day(suite, provider, str(local_now.date()))


async def open_signed_in(browser: Browser, day: Day, person: Person, *, viewport: dict[str, int], north_m: float,
                         shots: Path | None = None, label: str = "", policy_down: list[str] | None = None,
                         ) -> tuple[BrowserContext, Page, list[str]]:
    """The page, signed in as ``person`` through the provider's form, the phone standing ``north_m``
    north of home; requests off this machine (map tiles) are aborted and listed. ``policy_down``:
    the policy service is out of reach from the browser (its requests are listed there)."""
    lat, lon = person.home
    phone = viewport == PHONE
    context = await browser.new_context(
        viewport=viewport, device_scale_factor=2 if phone else 1, is_mobile=phone, has_touch=phone, locale="id-ID",
        service_workers="block", permissions=["geolocation"],
        geolocation={"latitude": lat + north_m / EARTH_M_PER_DEGREE, "longitude": lon, "accuracy": 12})
    blocked: list[str] = []

    async def offline_world(route: Route) -> None:
        blocked.append(route.request.url)
        await route.abort("internetdisconnected")

    await context.route(lambda url: not url.startswith("http://127.0.0.1"), offline_world)
    if policy_down is not None:
        async def unreachable(route: Route) -> None:
            policy_down.append(route.request.url)
            await route.abort("connectionrefused")

        await context.route(f"{day.suite['policy'].url}/**", unreachable)
    page = await context.new_page()
    await page.goto(day.page_url)
    await expect(page.get_by_test_id("signin-provider")).to_be_visible(timeout=WAIT)
    await expect(page.get_by_text("hadir token")).to_have_count(0)  # no command-line hint any more
    if shots is not None:
        await page.screenshot(path=shots / f"employee-{label}-1-signin.png", full_page=True)
    await sign_in_on_the_form(page, person.login,
                              shots / f"employee-{label}-2-provider.png" if shots is not None else None)
    await expect(page.get_by_test_id("name")).to_have_text(person.name, timeout=WAIT)
    assert page.url == day.page_url, "back on the page, the code gone from the address"
    blocked.clear()  # the provider's own form asks for web fonts; from here on, the page's requests only
    return context, page, blocked


async def the_header_names_the_person(page: Page, person: Person) -> None:
    await expect(page.get_by_test_id("person-name")).to_have_text(person.name)
    nip = person.nip
    await expect(page.get_by_test_id("person-nip")).to_have_text(f"NIP {nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}")
    header = await page.locator("header").inner_text()
    assert "realm_access" not in header and TENANT not in header and "{" not in header, header  # no claim dump


async def the_open_window_is_highlighted(page: Page) -> None:
    windows = page.get_by_test_id("windows")
    await expect(windows.locator("li")).to_have_count(3, timeout=WAIT)
    await expect(windows.locator("li[data-window=apel]")).to_have_attribute("data-state", "missed")
    opened = windows.locator("li[data-window=lokasi]")
    await expect(opened).to_have_attribute("data-state", "open")
    await expect(opened).to_have_attribute("aria-current", "time")
    await expect(windows.locator("li[aria-current]")).to_have_count(1)
    await expect(windows.locator("li[data-window=laporan]")).to_have_attribute("data-state", "upcoming")
    await expect(page.get_by_test_id("countdown")).to_contain_text("Sekarang: Lokasi pagi — ditutup dalam")
    await expect(page.get_by_test_id("due-action")).to_have_text("Kirim lokasi — Lokasi pagi")


async def the_map_shows_home_and_the_fix(page: Page, blocked: list[str], distance: str) -> None:
    await page.get_by_test_id("due-action").click()
    card = page.get_by_test_id("map-card")
    await expect(card).to_be_visible()
    await expect(card).to_have_attribute("data-places", "1", timeout=WAIT)
    await expect(card.locator("path.allowed-place")).to_have_count(1)  # home's circle, drawn by Leaflet
    await expect(card.locator("path.fix")).to_have_count(1)  # the phone's fix
    places = page.get_by_test_id("map-places")
    await expect(places).to_have_attribute("data-state", "shown")
    await expect(places).to_contain_text(
        f"Lingkaran hijau: Rumah (radius 200\u00a0m); posisi Anda sekitar {distance} darinya.")
    text = page.get_by_test_id("map-text")  # the tiles could not load: said in words
    await expect(text).to_have_attribute("data-state", "failed")
    await expect(text).to_contain_text("Peta tidak dapat dimuat")
    await expect(text).to_contain_text("±\u00a012\u00a0m")
    assert blocked and all(u.startswith("https://tile.openstreetmap.org/") for u in blocked), blocked


@pytest.mark.parametrize(("viewport", "label"), [(PHONE, "phone"), (DESKTOP, "desktop")])
async def test_sign_in_see_the_open_window_send_from_the_map_and_read_the_verdict(
        day: Day, browser: Browser, shots: Path, viewport: dict[str, int], label: str) -> None:
    person, north_m = (HOME, 30.0) if viewport == PHONE else (AWAY, 7_800.0)
    context, page, blocked = await open_signed_in(browser, day, person, viewport=viewport, north_m=north_m,
                                                  shots=shots, label=label)
    try:
        await the_header_names_the_person(page, person)
        await the_open_window_is_highlighted(page)
        await expect(page.get_by_test_id("schedule-absence")).to_be_hidden()
        await page.screenshot(path=shots / f"employee-{label}-3-schedule.png", full_page=True)
        await the_map_shows_home_and_the_fix(page, blocked, "30\u00a0m" if viewport == PHONE else "7,8\u00a0km")
        await page.screenshot(path=shots / f"employee-{label}-4-map.png", full_page=True)
        await page.get_by_test_id("confirm-location").click()
        verdict = page.get_by_test_id("verdict")
        await expect(verdict).to_have_attribute("data-status", "on_time", timeout=VERDICT_WAIT)
        await expect(verdict).to_contain_text("Lokasi pagi: Tepat waktu")
        if viewport == PHONE:
            await expect(verdict).to_contain_text("di dalam geofence — 30\u00a0m dari Rumah", timeout=VERDICT_WAIT)
        else:
            await expect(verdict).to_contain_text("Anda 7,8\u00a0km dari Rumah, di luar area yang diizinkan",
                                                  timeout=VERDICT_WAIT)
            await expect(verdict).to_contain_text("Kirim ulang dari Rumah atau ajukan keterangan kepada atasan.")
        assert str(person.home[1])[:6] not in await verdict.inner_text()  # no raw coordinates
        done = page.get_by_test_id("windows").locator("li[data-window=lokasi]")
        await expect(done).to_have_attribute("data-state", "done")
        await expect(page.get_by_test_id("countdown")).to_contain_text("Berikutnya: Laporan sore")
        await page.screenshot(path=shots / f"employee-{label}-5-verdict.png", full_page=True)
    finally:
        await context.close()


async def test_on_approved_leave_the_page_says_no_check_in_is_needed(
        day: Day, browser: Browser, shots: Path) -> None:
    context, page, _ = await open_signed_in(browser, day, LEAVE, viewport=PHONE, north_m=0)
    try:
        leave = page.get_by_test_id("schedule-absence")
        await expect(leave).to_have_text("Hari ini Anda cuti (disetujui) — tidak perlu check-in.", timeout=WAIT)
        await expect(page.get_by_test_id("due-action")).to_be_hidden()
        await expect(page.get_by_test_id("countdown")).to_be_hidden()
        await page.screenshot(path=shots / "employee-phone-leave.png", full_page=True)
        await page.get_by_test_id("lang").click()
        await expect(leave).to_have_text("Today you are on leave (approved) — no check-in needed.")
        # Signing out ends the session at the provider too and leaves nothing of theirs on the phone.
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url(lambda url: url.startswith(f"{day.provider.issuer}/session/end"))
        await page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own confirmation
        await expect(page.get_by_test_id("signin-provider")).to_be_visible(timeout=WAIT)
        kept = await page.evaluate("Object.keys(localStorage).filter((k) => /^(oidc\\.user|hadir\\.(me|today|policy))/"
                                   ".test(k))")
        assert kept == [], kept
    finally:
        await context.close()


async def test_on_a_non_working_day_the_page_says_no_check_in_is_needed(
        day_off: Day, browser: Browser, shots: Path) -> None:
    context, page, _ = await open_signed_in(browser, day_off, OFF, viewport=PHONE, north_m=0)
    try:
        said = page.get_by_test_id("schedule-holiday")
        await expect(said).to_have_text("Hari ini bukan hari kerja — tidak perlu check-in.", timeout=WAIT)
        await expect(page.get_by_test_id("windows").locator("li[data-state=not_required]")).to_have_count(1)
        await expect(page.get_by_test_id("due-action")).to_be_hidden()
        await page.screenshot(path=shots / "employee-phone-day-off.png", full_page=True)
        await page.get_by_test_id("lang").click()
        await expect(said).to_have_text("Today is not a working day — no check-in needed.")
    finally:
        await context.close()


async def test_when_the_places_cannot_be_read_the_map_says_so(day: Day, browser: Browser, shots: Path) -> None:
    refused: list[str] = []
    context, page, _ = await open_signed_in(browser, day, BLIND, viewport=PHONE, north_m=40, policy_down=refused)
    try:
        await the_open_window_is_highlighted(page)
        await page.get_by_test_id("due-action").click()
        card = page.get_by_test_id("map-card")
        await expect(card).to_be_visible()
        places = page.get_by_test_id("map-places")
        await expect(places).to_have_attribute("data-state", "failed")
        await expect(places).to_contain_text("Tempat yang diizinkan (rumah/kantor) tidak dapat dibaca sekarang")
        await expect(card.locator("path.allowed-place")).to_have_count(0)
        await expect(card.locator("path.fix")).to_have_count(1)  # the fix is still shown
        await expect(page.get_by_test_id("schedule-absence-unknown")).to_be_visible()
        assert any("/v1/me/places" in url for url in refused), refused
        await page.screenshot(path=shots / "employee-phone-places-unreadable.png", full_page=True)
    finally:
        await context.close()


async def test_a_queued_check_in_goes_out_with_a_renewed_token(day: Day, browser: Browser, tokens: Tokens,
                                                                http: httpx.AsyncClient) -> None:
    context, page, _ = await open_signed_in(browser, day, QUEUED, viewport=PHONE, north_m=20)
    key = f"oidc.user:{day.provider.issuer}:{day.provider.client_id}"
    batches: list[str] = []  # the Authorization header of every batch the page tried to send
    down = True

    async def checkin_api(route: Route) -> None:
        batches.append(route.request.headers.get("authorization", ""))
        if down:
            await route.abort("internetdisconnected")
        else:
            await route.continue_()

    try:
        await context.route("**/v1/checkins/batch", checkin_api)
        await page.get_by_test_id("send-location").click()
        await expect(page.get_by_test_id("queue-count")).to_have_text("1")
        first = await page.evaluate(f"JSON.parse(localStorage.getItem('{key}')).access_token")
        assert batches and all(b == f"Bearer {first}" for b in batches), "tried at once, with the token of then"
        # Later: the token is about to expire (inside signin.js's renewal margin) when the connection returns.
        await page.evaluate(f"""() => {{
            const user = JSON.parse(localStorage.getItem('{key}'));
            user.expires_at = Math.floor(Date.now() / 1000) + 30;
            localStorage.setItem('{key}', JSON.stringify(user));
        }}""")
        await page.reload()  # signing in again renews the token, then tries the queue (still unreachable)

        async def renewed() -> str | None:
            token = await page.evaluate(f"JSON.parse(localStorage.getItem('{key}')).access_token")
            return token if token != first else None

        fresh = await eventually(renewed, timeout=WAIT / 1000, what="the token renewed with the refresh token")
        down = False  # the connection returns
        await expect(page.get_by_test_id("queue-count")).to_have_text("0", timeout=WAIT)
        assert batches[-1] == f"Bearer {fresh}", "the queued check-in went out with the renewed token"
    finally:
        await context.close()

    async def stored() -> bool:
        r = await http.get(
            f"{day.suite['checkin'].url}/v1/checkins/mine", params={"date": day.date},
            headers=tokens.employee(TENANT, QUEUED.nip, UNIT))
        return r.status_code == 200 and [c["kind"] for c in r.json()["items"]] == ["location"]

    await eventually(stored, timeout=15, what="the queued check-in stored once")
