"""Browser tests of the web pages: the four services as processes on real Kafka and
PostgreSQL (the check-in and reporting services with their web routers, see
``app.py``), driven by Debian's Chromium through Playwright.

The services run on a Kafka broker of the module's own (``module_kafka``, tests/conftest.py):
the end-to-end suite's services stay subscribed to the session broker under the same
consumer-group names until the session ends and would take a share of this tenant's
events. PostgreSQL is the session server.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support import infra, suites
from tools.suite import Suite

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def web_suite(module_kafka: str, module_databases: dict[str, str], dev_keys: tuple[Path, Path],
              artifacts_dir: Path) -> Iterator[Suite]:
    base = infra.free_port_block(18401, span=4)
    ports = {name: base + i for i, name in enumerate(suites.SERVICES)}
    env = {"HADIR_CHECKIN_PUBLIC_URL": f"http://127.0.0.1:{ports['checkin']}"}
    with suites.started(module_kafka, module_databases, dev_keys, artifacts_dir / "web" / "logs", first_port=base,
                        ports=ports, env=env) as started:
        yield started


@pytest.fixture(scope="module")
def shots(artifacts_dir: Path) -> Path:
    path = artifacts_dir / "web"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[object]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        infra.unavailable("Playwright", "pip install playwright (the dev extras)")
    executable = shutil.which("chromium") or shutil.which(CHROMIUM)
    if executable is None:
        infra.unavailable("Chromium", "apt-get install chromium (.ci/run installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
