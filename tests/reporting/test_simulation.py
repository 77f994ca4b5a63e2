"""The acceptance simulation: a compressed working day on real Kafka and PostgreSQL,
the four services as processes plus a second reporting instance on the same database,
check-ins through the check-in API; the report must equal the simulator's ground
truth exactly and ``report.overdue`` must equal the missing count, with no duplicate.

Scale: ``HADIR_SIM_EMPLOYEES`` (default 1,000 here so the test stays within a few
minutes on a 2-core machine; ``hadir simulate`` defaults to the issue's 5,000).

The suite runs on a Kafka broker of its own (``tests.support.infra.kafka``: the URL
given in the environment, else a container, else a local broker): the end-to-end
suite's services stay subscribed to the session broker under the same consumer
group names, and would take a share of this tenant's events.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.devtools.simulate import Config, simulate
from services.devtools.suite import Suite
from tests.support import infra

SERVICES = ("checkin", "policy", "notify", "reporting")
EMPLOYEES = int(os.environ.get("HADIR_SIM_EMPLOYEES", "1000"))


@pytest.fixture(scope="module")
def sim_kafka() -> Iterator[str]:
    with infra.kafka() as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
async def sim_databases(postgres_server: infra.PostgresServer) -> dict[str, str]:
    return {name: await postgres_server.create_database(f"hadir_sim_{name}") for name in SERVICES}


@pytest.fixture(scope="module")
def sim_suites(sim_kafka: str, sim_databases: dict[str, str], dev_keys: tuple[Path, Path],
               artifacts_dir: Path) -> Iterator[tuple[Suite, Suite]]:
    base = infra.free_port_block(19301, span=5)
    env = {
        "HADIR_KAFKA_BOOTSTRAP_SERVERS": sim_kafka,
        "HADIR_JWT_JWKS_FILE": str(dev_keys[1]),
        "HADIR_LOG_LEVEL": "WARNING",
        "HADIR_OUTBOX_POLL_SECONDS": "0.2",
        "HADIR_REPORTING_SCAN_SECONDS": "0.5",
        "HADIR_REPORTING_SETTLE_SECONDS": "3",
        "HADIR_REPORTING_DUE_SOON_MINUTES": "0",
    }
    per_service = {name: {f"HADIR_{name.upper()}_DATABASE_URL": url} for name, url in sim_databases.items()}
    main = Suite(log_dir=artifacts_dir / "simulation-logs", env=env,
                 ports={name: base + i for i, name in enumerate(SERVICES)}, service_env=per_service)
    second = Suite(log_dir=artifacts_dir / "simulation-logs" / "reporting-2", env=env,
                   ports={"reporting": base + 4}, service_env=per_service, names=("reporting",))
    main.start()
    try:
        main.wait_ready(timeout=180)
        second.start()  # after the first has migrated the database: migrations take no lock
        second.wait_ready(timeout=180)
        yield main, second
    finally:
        second.stop()
        main.stop()


async def test_a_simulated_day_matches_its_ground_truth_with_two_reporting_instances(
    sim_suites: tuple[Suite, Suite], sim_kafka: str, dev_keys: tuple[Path, Path],
) -> None:
    main, second = sim_suites
    lines: list[str] = []
    started = time.monotonic()
    result = await simulate(Config(
        policy_url=main["policy"].url, checkin_url=main["checkin"].url, reporting_url=second["reporting"].url,
        kafka=sim_kafka, private_key=dev_keys[0], employees=EMPLOYEES, seed=20260310, out=lines.append,
        settle_timeout=120))
    print("\n".join(lines), f"\nsimulation took {time.monotonic() - started:.0f} s")
    assert main["reporting"].alive() and second["reporting"].alive(), "both reporting instances ran throughout"
    assert result.failed == 0, result.table
    assert result.report == result.truth, result.table
    assert sum(t["missing"] for t in result.truth.values()) > 0
    assert result.overdue_matches, result.table
    assert result.overdue_duplicates == 0, result.table
    assert result.ok
