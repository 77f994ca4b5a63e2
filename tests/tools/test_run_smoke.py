"""`hadir run` for real, as `make run` starts it, on spare ports and a temporary var dir:

1. within 120 s the four /readyz answer 200 (and the demo tenant is loaded);
2. a check-in POSTed to checkin appears in reporting's daily summary within 5 s;
3. its consumer groups carry the var dir's instance suffix;
4. SIGINT stops everything it started: the four services and the Kafka broker;
5. on this fresh broker, no service logged an error-level line: the group coordinator being
   unavailable while Kafka creates ``__consumer_offsets`` is an expected start-up condition.

The demo letter's windows are Mon-Fri 07:00-16:00 WIB, so the test first opens a
practice window (`hadir demo --practice-window`) in which a check-in counts whatever
the day and hour.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient

from services.runtime.settings import REPO_ROOT
from tests.support import infra
from tests.support.tokens import Tokens
from tools import demo, runner
from tools.kafka import cluster as kafka_local
from tools.kafka import docker as docker_kafka
from tools.ports import port_free
from tools.seed import Seeder

pytestmark = [pytest.mark.infra, pytest.mark.timeout(240)]

READY_WITHIN = 120.0
REPORTED_WITHIN = 5.0


def counted(report: dict) -> int:
    """Check-ins counted in the daily summary: on time plus late, over every window."""
    return sum(w["on_time"] + w["late"] for w in report["windows"])


def wait_for(probe, timeout: float, what: str, interval: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = probe()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


async def consumer_groups(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return {group for group, _ in await admin.list_consumer_groups() if group.startswith("hadir-")}
    finally:
        await admin.close()


def error_lines(log_dir: Path) -> list[str]:
    """The services' JSON log lines at error level or above, each prefixed by its file's name."""
    found = []
    for path in sorted(log_dir.glob("*.log")):
        for line in path.read_text(errors="replace").splitlines():
            try:
                level = json.loads(line).get("level", "")
            except (ValueError, AttributeError):
                continue
            if level in ("error", "critical", "exception"):
                found.append(f"{path.name}: {line}")
    return found


@pytest.fixture
def hadir_run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Start `hadir run` as a subprocess; yield (process, ports, kafka port, var dir, output file)."""
    if runner.local_kafka_unavailable() and not docker_kafka.docker_answers():
        infra.unavailable("Kafka", runner.local_kafka_unavailable() or "")
    base = infra.free_port_block(28001, span=4)
    kafka_port = infra.free_port_block(23092, span=1)  # also keeps its controller port (+1000) free
    var_dir = tmp_path / "var"
    output = tmp_path / "hadir-run.log"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tools.cli", "run", "--base-port", str(base),
             "--kafka-port", str(kafka_port), "--var-dir", str(var_dir)],
            cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        yield process, runner.service_ports(base), kafka_port, var_dir, output
    finally:
        if process.poll() is None:  # the test failed before stopping it
            process.send_signal(signal.SIGINT)
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                process.kill()
        kafka_local.stop(runner.kafka_data_dir(var_dir, kafka_port))
        print(f"\n--- hadir run output ---\n{output.read_text(errors='replace')[-4000:]}")


async def add_practice_window(policy_url: str, admin: dict[str, str]) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        await demo.add_practice_window(Seeder(http, policy_url, admin), minutes=10)


def test_hadir_run_serves_reports_a_checkin_and_stops_on_sigint(hadir_run) -> None:  # type: ignore[no-untyped-def]
    process, ports, kafka_port, var_dir, output = hadir_run
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    started = time.monotonic()

    # 1. Ready: the four /readyz, then the demo tenant and the banner.
    with httpx.Client(timeout=2) as client:
        def all_ready() -> bool:
            assert process.poll() is None, output.read_text()
            return all(client.get(f"{url}/readyz").status_code == 200 for url in urls.values())

        wait_for(all_ready, READY_WITHIN, "the four /readyz", interval=0.25)
    ready_after = time.monotonic() - started
    wait_for(lambda: "Ctrl-C" in output.read_text(), 60, "the demo and the banner")
    banner = output.read_text()
    assert all(f"{url}/docs" in banner for url in urls.values())
    assert "export EMPLOYEE_TOKEN=" in banner and "curl -s -X POST" in banner

    tokens = Tokens(var_dir / "dev-keys" / "private.pem")
    admin = tokens.admin(demo.TENANT_ID)
    person = demo.sample_employee()
    employee = tokens.employee(demo.TENANT_ID, person.nip, person.unit_id)

    with httpx.Client(timeout=5) as http:
        # 2. A practice window open now, then one check-in from home, timed into the daily report.
        asyncio.run(add_practice_window(urls["policy"], admin))

        def report() -> dict:
            response = http.get(f"{urls['reporting']}/v1/reports/daily", headers=admin)
            assert response.status_code == 200, response.text
            return response.json()

        wait_for(lambda: any(w["window_id"] == demo.PRACTICE_WINDOW_ID for w in report()["windows"]), 15,
                 "the practice window in the report")
        before = counted(report())
        body = {"kind": "location", "captured_at": None,
                "location": {"latitude": person.home[0], "longitude": person.home[1] + 0.0003, "accuracy_m": 12}}

        def post_checkin() -> httpx.Response | None:
            # Full precision: a capture time truncated to the second can precede the practice version.
            body["captured_at"] = datetime.now(UTC).isoformat()
            response = http.post(f"{urls['checkin']}/v1/checkins", json=body,
                                 headers={**employee, "Idempotency-Key": "smoke-1"})
            return response if response.status_code in (200, 201) else None  # 403 until checkin knows them

        accepted = wait_for(post_checkin, 15, "the check-in accepted", interval=0.25)
        posted_at = time.monotonic()
        wait_for(lambda: counted(report()) == before + 1, 3 * REPORTED_WITHIN, "the check-in in the daily report")
        reported_after = time.monotonic() - posted_at

        def verdict() -> dict | None:
            mine = http.get(f"{urls['checkin']}/v1/checkins/mine", headers=employee).json()["items"]
            row = next(c for c in mine if c["id"] == accepted.json()["id"])
            return row if row["status"] != "pending" else None

        evaluated = wait_for(verdict, 10, "the verdict back in checkin")

    # 3. Consumer groups of this run only: suites side by side on one broker never share a group.
    groups = asyncio.run(consumer_groups(f"127.0.0.1:{kafka_port}"))
    assert groups and all(g.endswith(f"-{runner.instance_of(var_dir)}") for g in groups), groups

    # 4. SIGINT stops everything `hadir run` started.
    process.send_signal(signal.SIGINT)
    stopping = time.monotonic()
    code = process.wait(60)
    stopped_after = time.monotonic() - stopping

    print(f"\nhadir run: all /readyz after {ready_after:.1f}s; check-in in the report after "
          f"{reported_after:.2f}s; stopped {stopped_after:.1f}s after SIGINT")
    assert ready_after < READY_WITHIN
    assert reported_after < REPORTED_WITHIN, f"check-in took {reported_after:.2f}s to reach the report"
    assert evaluated["status"] in ("on_time", "late") and evaluated["geofence"] == "inside", evaluated
    assert code == 0, output.read_text()
    assert stopped_after < 30
    assert [p for p in [*ports.values(), kafka_port, kafka_port + 1000] if not port_free(p)] == []
    assert kafka_local.attach(runner.kafka_data_dir(var_dir, kafka_port)) is None, "Kafka left running"
    assert "stopped Kafka" in output.read_text()
    # 5. A quiet first start: the fixture's broker is new, its internal topics made during this run.
    assert error_lines(var_dir / "logs") == []
