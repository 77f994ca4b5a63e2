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
from playwright.async_api import expect

from tests.support import infra, suites
from tools import oidc as provider_tool
from tools.suite import Suite

# Playwright's expect() waits 5 s by default; the suites share a machine whose load makes a page's first answers
# take longer than that now and then. A bounded wait still: a page that never shows the text fails.
expect.set_options(timeout=20_000)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def web_suite(module_kafka: str, module_databases: dict[str, str], dev_keys: tuple[Path, Path],
              artifacts_dir: Path) -> Iterator[Suite]:
    base = infra.free_port_block(18401, span=4)
    ports = {name: base + i for i, name in enumerate(suites.SERVICES)}
    env = {"HADIR_POLICY_PUBLIC_URL": f"http://127.0.0.1:{ports['policy']}"}
    with suites.started(module_kafka, module_databases, dev_keys, artifacts_dir / "web" / "logs", first_port=base,
                        ports=ports, env=env) as started:
        yield started


@pytest.fixture(scope="module")
def oidc_users() -> dict[str, dict[str, object]] | None:
    """The OIDC provider's users (login → ID-token claims; the tenant defaults to the provider's
    ``tenant``). A test module overrides this fixture to match the people it seeds; None keeps the
    provider's default users (tools/oidc/server.mjs)."""
    return None


@pytest.fixture(scope="module")
def oidc_web_suite(module_kafka: str, module_databases: dict[str, str], dev_keys: tuple[Path, Path],
                   artifacts_dir: Path, oidc_users: dict[str, dict[str, object]] | None,
                   ) -> Iterator[tuple[Suite, provider_tool.Provider]]:
    """The four services signing people in through the real OIDC provider (tools/oidc): its client
    redirects to the check-in page (``/app/``) and the dashboard (``/dashboard/``); the services
    trust its keys (discovery + JWKS) besides the development keys the tests seed with. Roles come
    from ``realm_access.roles`` as Keycloak sends them."""
    lack = provider_tool.missing()
    if lack:
        pytest.fail(f"the OIDC test provider needs {lack} (.ci/setup installs it)", pytrace=False)
    base = infra.free_port_block(18421, span=4)
    ports = {name: base + i for i, name in enumerate(suites.SERVICES)}
    pages = [f"http://127.0.0.1:{ports['checkin']}/app/", f"http://127.0.0.1:{ports['reporting']}/dashboard/"]
    logs = artifacts_dir / "web" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with provider_tool.started(pages, log_path=logs / "oidc-provider-suite.log", users=oidc_users) as provider:
        env = {"HADIR_POLICY_PUBLIC_URL": f"http://127.0.0.1:{ports['policy']}",
               "HADIR_OIDC_ISSUER": provider.issuer, "HADIR_OIDC_ROLES_CLAIM": "realm_access.roles"}
        with suites.started(module_kafka, module_databases, dev_keys, logs, first_port=base, ports=ports,
                            env=env) as started:
            yield started, provider


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
