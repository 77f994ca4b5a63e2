"""The acceptance simulation: a compressed working day on real Kafka and PostgreSQL,
the four services as processes plus a second reporting instance on the same database,
check-ins through the check-in API; the report must equal the simulator's ground
truth exactly and ``report.overdue`` must equal the missing count, with no duplicate.

Scale: ``HADIR_SIM_EMPLOYEES`` (default 1,000 here so the test stays within a few
minutes on a 2-core machine; ``hadir simulate`` defaults to the issue's 5,000).

The suite runs on a Kafka broker of its own (``module_kafka``, tests/conftest.py: the URL
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

from tests.support import infra, suites
from tools.simulate.day import Config
from tools.simulate.simulator import simulate
from tools.suite import Suite

EMPLOYEES = int(os.environ.get("HADIR_SIM_EMPLOYEES", "1000"))


@pytest.fixture(scope="module")
def sim_suites(module_kafka: str, module_databases: dict[str, str], dev_keys: tuple[Path, Path],
               artifacts_dir: Path) -> Iterator[tuple[Suite, Suite]]:
    base = infra.free_port_block(19301, span=5)
    logs = artifacts_dir / "simulation-logs"
    env = {"HADIR_LOG_LEVEL": "WARNING", "HADIR_REPORTING_SETTLE_SECONDS": "3"}
    # the second reporting instance starts once the first has migrated the database
    with suites.started(module_kafka, module_databases, dev_keys, logs, first_port=base, env=env,
                        ports={name: base + i for i, name in enumerate(suites.SERVICES)}) as first, \
            suites.started(module_kafka, module_databases, dev_keys, logs / "reporting-2", first_port=base, env=env,
                           names=("reporting",), ports={"reporting": base + 4}) as other:
        yield first, other


async def test_a_simulated_day_matches_its_ground_truth_with_two_reporting_instances(
    sim_suites: tuple[Suite, Suite], module_kafka: str, dev_keys: tuple[Path, Path],
) -> None:
    main, second = sim_suites
    lines: list[str] = []
    started = time.monotonic()
    result = await simulate(Config(
        policy_url=main["policy"].url, checkin_url=main["checkin"].url, reporting_url=second["reporting"].url,
        kafka=module_kafka, private_key=dev_keys[0], employees=EMPLOYEES, seed=20260310, out=lines.append,
        settle_timeout=120))
    print("\n".join(lines), f"\nsimulation took {time.monotonic() - started:.0f} s")
    assert main["reporting"].alive() and second["reporting"].alive(), "both reporting instances ran throughout"
    assert result.failed == 0, result.table
    assert result.report == result.truth, result.table
    assert sum(t["missing"] for t in result.truth.values()) > 0
    assert result.overdue_matches, result.table
    assert result.overdue_duplicates == 0, result.table
    assert result.ok
