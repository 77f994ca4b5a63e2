"""Acceptance: ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) of every service render in real
headless Chromium with the network cut off — every request that is not to the service itself is
aborted, so a page that still needed a CDN would stay blank — and Swagger UI shows every operation
of the service's OpenAPI document and the Authorize button with both credentials.

The four applications are served in process by uvicorn without their lifespan (the pages and the
OpenAPI document need neither Kafka nor a database). Screenshots: ``test-artifacts/web/docs-<service>.png``
(Swagger UI, desktop), ``docs-<service>-phone.png`` and ``redoc-<service>.png``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, Route, expect

from tests.security.apps import SERVICES, build

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
RENDER_TIMEOUT_MS = 60_000  # bounded waits, generous for a loaded CI machine


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, str]]:
    """Each service's application on a loopback port of its own: name → base URL."""
    tmp = tmp_path_factory.mktemp("docs-pages")
    servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
    urls: dict[str, str] = {}
    try:
        for name in SERVICES:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            app = build(name, tmp, kafka_bootstrap_servers="127.0.0.1:1").app
            server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False))
            servers.append((server, asyncio.create_task(server.serve(sockets=[sock]))))
            urls[name] = f"http://127.0.0.1:{sock.getsockname()[1]}"
        for name, url in urls.items():
            async with httpx.AsyncClient() as client:
                for _ in range(200):  # bounded: uvicorn answers within a moment of starting
                    try:
                        if (await client.get(f"{url}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                else:
                    raise AssertionError(f"{name} did not answer at {url}")
        yield urls
    finally:
        for server, _task in servers:
            server.should_exit = True
        await asyncio.gather(*(task for _server, task in servers), return_exceptions=True)


async def operations(url: str) -> list[tuple[str, dict[str, Any]]]:
    """(path, operation) of the service's OpenAPI document, once per tag (both pages list an
    operation under each of its tags)."""
    async with httpx.AsyncClient() as client:
        doc = (await client.get(f"{url}/openapi.json")).json()
    return [(path, op) for path, item in doc["paths"].items() for op in item.values()
            for _tag in (op.get("tags") or [None])]


async def offline_page(browser: Browser, url: str, viewport: dict[str, int]) -> tuple[Page, list[str], list[str]]:
    """A page whose every request but the service's own is aborted; the aborted URLs and the
    page's errors (uncaught exceptions and console errors) are collected."""
    context = await browser.new_context(viewport=viewport, service_workers="block")
    page = await context.new_page()
    page.set_default_timeout(RENDER_TIMEOUT_MS)  # navigation and actions too
    aborted: list[str] = []
    problems: list[str] = []

    async def only_the_service(route: Route) -> None:
        if route.request.url.startswith(url + "/"):
            await route.continue_()
        else:
            aborted.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_the_service)
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    return page, aborted, problems


@pytest.mark.parametrize("service", SERVICES)
async def test_swagger_ui_renders_offline(browser: Browser, served: dict[str, str], shots: Path,
                                          service: str) -> None:
    url = served[service]
    expected = await operations(url)
    for viewport, shot in ((DESKTOP, f"docs-{service}.png"), (PHONE, f"docs-{service}-phone.png")):
        page, aborted, problems = await offline_page(browser, url, viewport)
        try:
            await page.goto(f"{url}/docs")
            blocks = page.locator(".opblock")
            await expect(blocks).to_have_count(len(expected), timeout=RENDER_TIMEOUT_MS)
            first_path = expected[0][0]
            await expect(page.locator(".opblock-summary-path").first).to_have_attribute(
                "data-path", first_path, timeout=RENDER_TIMEOUT_MS)
            authorize = page.locator("button.authorize")
            await expect(authorize).to_be_visible(timeout=RENDER_TIMEOUT_MS)
            locks = page.locator(".opblock .authorization__btn")  # one lock per protected operation
            protected = [op for _path, op in expected if op.get("security")]
            await expect(locks).to_have_count(len(protected), timeout=RENDER_TIMEOUT_MS)
            await page.screenshot(path=shots / shot)
            await authorize.click()
            dialog = page.locator(".modal-ux")
            for text in ("bearerAuth", "apiKeyAuth", "X-API-Key"):
                await expect(dialog).to_contain_text(text, timeout=RENDER_TIMEOUT_MS)
            assert aborted == [], f"{service} /docs asked the network for {aborted}"
            assert problems == [], f"{service} /docs: {problems}"
        finally:
            await page.context.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_redoc_renders_offline(browser: Browser, served: dict[str, str], shots: Path, service: str) -> None:
    url = served[service]
    expected = await operations(url)
    page, aborted, problems = await offline_page(browser, url, DESKTOP)
    try:
        await page.goto(f"{url}/redoc")
        sections = page.locator("[data-section-id^='operation/']")
        await expect(sections).to_have_count(len(expected), timeout=RENDER_TIMEOUT_MS)
        first = expected[0][1]["summary"]
        await expect(page.locator("h2", has_text=first).first).to_be_visible(timeout=RENDER_TIMEOUT_MS)
        await page.screenshot(path=shots / f"redoc-{service}.png")
        assert aborted == [], f"{service} /redoc asked the network for {aborted}"
        # ReDoc's footer links its logo from cdn.redoc.ly: the page's policy refuses it before any request.
        assert [p for p in problems if "cdn.redoc.ly/redoc/logo-mini.svg" not in p] == [], problems
    finally:
        await page.context.close()
