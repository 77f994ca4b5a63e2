"""The four services as processes on real Kafka and PostgreSQL, set up as production should be:
each service connects as an ordinary role (no SUPERUSER, no BYPASSRLS) that owns its database,
so row-level security applies. Figures the tests gather are printed at the end of the run and
written to ``test-artifacts/security-figures.json``."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.support import infra, suites
from tests.support.tokens import Tokens
from tools.suite import Suite

SERVICES = ("checkin", "policy", "notify", "reporting")
# Services that still connect as the superuser (row-level security bypassed): reporting's
# bulk writer uses COPY FROM, which PostgreSQL refuses on tables under forced row-level
# security ("COPY FROM not supported with row-level security"); drop it from here once
# reporting inserts instead (INSERT … SELECT unnest, or COPY into a temporary table first).
RLS_BYPASSED: frozenset[str] = frozenset()
APP_ROLE_PASSWORD = "hadir-app"  # noqa: S105 — a throwaway test cluster's role
FIGURES: dict[str, Any] = {}


@dataclass(frozen=True)
class Database:
    app_url: str  # as the service connects: the owning, ordinary role (superuser if RLS_BYPASSED)
    admin_url: str  # the test's superuser, to look behind the services' backs


async def _admin(server: infra.PostgresServer, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server.admin_url.replace("+asyncpg", ""))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def app_role(postgres_server: infra.PostgresServer) -> str:
    role = f"hadir_app_{os.getpid()}"
    await _admin(postgres_server, f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN "
                                  f"CREATE ROLE {role} LOGIN PASSWORD '{APP_ROLE_PASSWORD}' NOSUPERUSER NOBYPASSRLS; "
                                  "END IF; END $$")
    return role


@pytest.fixture(scope="session")
async def owned_database(postgres_server: infra.PostgresServer, app_role: str) -> Any:
    """Factory: a fresh database owned by the application role."""
    count = 0

    async def create(prefix: str, *, bypass: bool = False) -> Database:
        nonlocal count
        count += 1
        name = f"{prefix}_{os.getpid()}_{count}"
        await _admin(postgres_server, f'DROP DATABASE IF EXISTS "{name}"')
        await _admin(postgres_server, f'CREATE DATABASE "{name}" OWNER {app_role}')
        admin = postgres_server.url_for(name)
        if bypass:
            return Database(admin, admin)
        app = make_url(admin).set(username=app_role, password=APP_ROLE_PASSWORD)
        return Database(app.render_as_string(hide_password=False), admin)

    return create


@pytest.fixture(scope="session")
async def security_databases(owned_database: Any) -> dict[str, Database]:
    return {name: await owned_database(f"sec_{name}", bypass=name in RLS_BYPASSED) for name in SERVICES}


@pytest.fixture(scope="session")
def api_keys_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api-keys") / "api-keys.json"


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 — http.server's naming
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.received += 1  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def webhook_receiver() -> Iterator[str]:
    """An integrator's endpoint on loopback that accepts every delivery."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def security_tokens(dev_keys: tuple[Path, Path]) -> Tokens:
    return Tokens(dev_keys[0])


@pytest.fixture(scope="session")
def security_kafka() -> Iterator[str]:
    """A broker of its own: other suites of the session (e2e, web) run the same consumer groups,
    and Kafka would share the partitions out among them."""
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="session")
def security_suite(security_kafka: str, security_databases: dict[str, Database], dev_keys: tuple[Path, Path],
                   artifacts_dir: Path, api_keys_file: Path) -> Iterator[Suite]:
    suite = suites.build(
        log_dir=artifacts_dir / "security-logs", kafka=security_kafka, jwks=dev_keys[1], first_port=19001,
        database_urls={name: db.app_url for name, db in security_databases.items()},
        env={
            "HADIR_API_KEYS_FILE": str(api_keys_file),
            "HADIR_LAG_INTERVAL_SECONDS": "5",
            "HADIR_NOTIFY_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "HADIR_NOTIFY_DELIVERY_POLL_SECONDS": "0.3",
            "HADIR_POLICY_SCHEDULER_SECONDS": "2",
            # The fuzzer and the cross-tenant barrage send thousands of requests with a handful of
            # credentials from one address: rate limits would answer most of them 429 and leave their
            # routes untried (the limits have tests of their own, tests/security/test_guard.py).
            "HADIR_RATE_LIMIT_PRINCIPAL_PER_SECOND": "0",
            "HADIR_RATE_LIMIT_ADDRESS_PER_SECOND": "0",
        },
    )
    with suites.running(suite) as started:
        yield started


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("security figures")
    for name, value in sorted(FIGURES.items()):
        for line in value.get("lines", []):
            terminalreporter.write_line(line, bold=True)
        details = {k: v for k, v in value.items() if k != "lines"}
        terminalreporter.write_line(f"  {name}: {json.dumps(details, sort_keys=True)}")
    out = Path(__file__).resolve().parents[2] / "test-artifacts" / "security-figures.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(FIGURES, indent=2, sort_keys=True))


@dataclass(frozen=True)
class Tenants:
    a: Any  # world.World: the victim, with every kind of data
    b: Any  # world.World: the other government


@pytest.fixture(scope="session")
async def tenants(security_suite: Suite, security_tokens: Tokens, webhook_receiver: str,
                  api_keys_file: Path) -> Tenants:
    import httpx

    from tests.security.world import Seeder

    async with httpx.AsyncClient(timeout=30) as http:
        seeder = Seeder(security_suite, security_tokens, http)
        a, b = await asyncio.gather(
            seeder.seed("alfa", ["198703152010011001", "198703152010011002"], webhook_url=webhook_receiver,
                        overdue=True, keys_file=api_keys_file),
            seeder.seed("bravo", ["199002202015032005", "199002202015032006"], webhook_url=webhook_receiver,
                        keys_file=api_keys_file))
    return Tenants(a, b)
