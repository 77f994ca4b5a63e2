"""Browser tests of the web pages: the four services as processes on real Kafka and
PostgreSQL (the check-in and reporting services with their web routers, see
``launch.py``), driven by Debian's Chromium through Playwright.

The services run on a Kafka broker of their own, as the simulation test's do: the
end-to-end suite's services stay subscribed to the session broker under the same
consumer-group names until the session ends and would take a share of this tenant's
events. PostgreSQL is the session server.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from services.devtools.suite import ServiceProcess, Suite
from tests.support import infra
from tests.support.tokens import Tokens

SERVICES = ("checkin", "policy", "notify", "reporting")
WITH_PAGES = ("checkin", "reporting")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


class PageServiceProcess(ServiceProcess):
    """A service started through ``tests.web.launch`` (its app plus its web router)."""

    def start(self) -> None:
        import subprocess

        from services.runtime.settings import REPO_ROOT

        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.web.launch", self.name],
            cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()


@pytest.fixture(scope="module")
def web_kafka() -> Iterator[str]:
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
async def web_databases(postgres_server: infra.PostgresServer) -> dict[str, str]:
    return {name: await postgres_server.create_database(f"hadir_web_{name}") for name in SERVICES}


@pytest.fixture(scope="module")
def web_suite(web_kafka: str, web_databases: dict[str, str], dev_keys: tuple[Path, Path],
              artifacts_dir: Path) -> Iterator[Suite]:
    base = infra.free_port_block(18401, span=4)
    ports = {name: base + i for i, name in enumerate(SERVICES)}
    suite = Suite(
        log_dir=artifacts_dir / "web" / "logs",
        ports=ports,
        env={
            "HADIR_KAFKA_BOOTSTRAP_SERVERS": web_kafka,
            "HADIR_JWT_JWKS_FILE": str(dev_keys[1]),
            "HADIR_LOG_LEVEL": "INFO",
            "HADIR_OUTBOX_POLL_SECONDS": "0.2",
            "HADIR_REPORTING_SCAN_SECONDS": "0.5",
            "HADIR_REPORTING_SETTLE_SECONDS": "1",
            "HADIR_REPORTING_DUE_SOON_MINUTES": "0",
            "HADIR_CHECKIN_PUBLIC_URL": f"http://127.0.0.1:{ports['checkin']}",
        },
        service_env={name: {f"HADIR_{name.upper()}_DATABASE_URL": url} for name, url in web_databases.items()},
    )
    for name in WITH_PAGES:
        plain = suite.processes[name]
        suite.processes[name] = PageServiceProcess(plain.name, plain.port, plain.log_path, plain.env)
    suite.start()
    try:
        suite.wait_ready(timeout=180)
        yield suite
    finally:
        suite.stop()


@pytest.fixture(scope="module")
def tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


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


@pytest.fixture
async def http() -> AsyncIterator[object]:
    import httpx

    async with httpx.AsyncClient(timeout=10) as client:
        yield client
