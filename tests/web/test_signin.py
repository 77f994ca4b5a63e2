"""Signing in on a web page through the real OIDC provider (tools/oidc), in headless Chromium.

A minimal page (tests/web/signin_page/) uses the shared ``signin.js`` exactly as Hadir's pages
do: it is served by the check-in service (built in this process on its own SQLite database,
served by uvicorn on a free port) next to the shared files, with the CSP the pages get from
``services.runtime.signin.connect_src``. The person clicks *Masuk*, signs in on the provider's
form, comes back signed in (authorization code + PKCE, done by the vendored oidc-client-ts) and
the page calls a protected API of the service with the provider's access token; after a reload
they are still signed in (also when the OIDC client script cannot be loaded, as offline before it
was cached); *Keluar* signs them out here and at the provider.

Screenshots land in ``test-artifacts/web/`` (signin-*.png).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import APIRouter
from playwright.async_api import Browser, Page, expect

from services.runtime import migrations, signin
from services.runtime.web_assets import add_static, page_headers
from tests.security.apps import build
from tools import oidc as provider_tool
from tools import ports

PAGE = Path(__file__).parent / "signin_page"
PREFIX = "/signin-test"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
SIGNED_IN = "Masuk sebagai Siti Rahmawati (NIP 198703152010011001)"
WAIT = 30_000  # ms: a shared, loaded machine may take seconds for a redirect round trip
EMPTY_PAGE = '200 {"items":[],"next_after":null}'  # the employee's (empty) page of check-ins


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path) -> Iterator[tuple[str, str]]:
    """(page URL, issuer): the provider and the check-in service serving the test page."""
    lack = provider_tool.missing()
    if lack:
        pytest.fail(f"the OIDC test provider needs {lack} (.ci/setup installs it)", pytrace=False)
    port = ports.free_port()
    page_url = f"http://127.0.0.1:{port}{PREFIX}/"
    logs = artifacts_dir / "web" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with provider_tool.started([page_url], log_path=logs / "oidc-provider.log", tenant="signin") as provider:
        built = build("checkin", tmp_path_factory.mktemp("signin"), oidc_issuer=provider.issuer,
                      oidc_roles_claim="realm_access.roles")
        router = APIRouter()
        add_static(router, PREFIX, PAGE, index_headers=lambda request: page_headers(signin.connect_src(request)))
        built.app.include_router(router)
        server = uvicorn.Server(uvicorn.Config(built.app, host="127.0.0.1", port=port, lifespan="off",
                                               log_level="warning"))

        async def serve() -> None:
            rt = built.rt
            await migrations.upgrade_async(rt.versions_dir, rt.settings.database_url, rt.metadata)
            await server.serve()

        thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
        thread.start()
        try:
            deadline = 30.0
            while not server.started and deadline > 0 and thread.is_alive():
                threading.Event().wait(0.05)  # bounded wait for the server to listen
                deadline -= 0.05
            assert server.started, "the service did not start"
            yield page_url, provider.issuer
        finally:
            server.should_exit = True
            thread.join(15)


async def sign_in_on_the_form(page: Page, login: str, shot: Path | None = None) -> None:
    await page.get_by_role("button", name="Masuk").click()
    await page.wait_for_url(lambda url: "/interaction/" in url)
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", "rahasia")
    if shot is not None:
        await page.screenshot(path=str(shot))
    await page.locator("button[type=submit]").first.click()


@pytest.mark.parametrize(("viewport", "label"), [(PHONE, "phone"), (DESKTOP, "desktop")])
async def test_sign_in_through_the_provider_and_call_the_api(browser: Browser, site: tuple[str, str],
                                                             shots: Path, viewport: dict[str, int],
                                                             label: str) -> None:
    page_url, issuer = site
    context = await browser.new_context(viewport=viewport)
    try:
        page = await context.new_page()
        await page.goto(page_url)
        await expect(page.locator("#who")).to_have_text("Belum masuk", timeout=WAIT)
        await sign_in_on_the_form(page, "pegawai", shots / f"signin-{label}-provider.png")
        await expect(page.locator("#who")).to_have_text(SIGNED_IN, timeout=WAIT)
        assert page.url == page_url  # back on the page, the code gone from the address
        # The service accepted the provider's token.
        await expect(page.locator("#api")).to_have_text(EMPTY_PAGE, timeout=WAIT)
        await page.screenshot(path=str(shots / f"signin-{label}.png"))
        token = await page.evaluate("JSON.parse(localStorage.getItem("
                                    f"'oidc.user:{issuer}:hadir-web')).access_token")
        assert token.count(".") == 2  # a JWT access token from the provider, kept for the next visit
        await page.reload()
        await expect(page.locator("#api")).to_have_text(EMPTY_PAGE, timeout=WAIT)  # still signed in, no second login
        # Offline before the OIDC client script was ever cached: the stored session still serves.
        await context.route("**/oidc-client-ts.min.js", lambda route: route.abort())
        await page.reload()
        await expect(page.locator("#who")).to_have_text(SIGNED_IN, timeout=WAIT)
        await expect(page.locator("#api")).to_have_text(EMPTY_PAGE, timeout=WAIT)
        await context.unroute("**/oidc-client-ts.min.js")
        await page.reload()
        await page.get_by_role("button", name="Keluar").click()
        await page.wait_for_url(lambda url: url.startswith(f"{issuer}/session/end"))
        await page.get_by_role("button", name="Yes, sign me out").click()  # the provider's own confirmation
        await expect(page.locator("#who")).to_have_text("Belum masuk", timeout=WAIT)
        assert page.url == page_url
    finally:
        await context.close()


async def test_a_token_about_to_expire_is_renewed_with_the_refresh_token(browser: Browser,
                                                                        site: tuple[str, str]) -> None:
    page_url, issuer = site
    key = f"oidc.user:{issuer}:hadir-web"
    context = await browser.new_context(viewport=PHONE)
    try:
        page = await context.new_page()
        await page.goto(page_url)
        await sign_in_on_the_form(page, "pegawai")
        await expect(page.locator("#api")).to_have_text(EMPTY_PAGE, timeout=WAIT)
        first = await page.evaluate(f"JSON.parse(localStorage.getItem('{key}'))")
        assert first["refresh_token"]
        # The stored token now looks 30 s from expiry (inside signin.js's renewal margin): the next
        # page load's token() renews it at the provider before calling the API.
        await page.evaluate(f"""() => {{
            const user = JSON.parse(localStorage.getItem('{key}'));
            user.expires_at = Math.floor(Date.now() / 1000) + 30;
            localStorage.setItem('{key}', JSON.stringify(user));
        }}""")
        await page.reload()
        await expect(page.locator("#api")).to_have_text(EMPTY_PAGE, timeout=WAIT)
        renewed = await page.evaluate(f"JSON.parse(localStorage.getItem('{key}'))")
        assert renewed["access_token"] != first["access_token"]
        assert renewed["expires_at"] > first["expires_at"] - 60  # a fresh lifetime, not the shortened one
    finally:
        await context.close()
