"""While Kafka is down the check-in API keeps accepting (it never waits for Kafka); when
Kafka returns the outbox publishes every event exactly once, each employee's in order.

Runs its own single-node broker (kafka_local, a temp dir, a free port) so that stopping
it disturbs no other test.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.contracts import topics
from tests.checkin import kafka_io
from tests.checkin.conftest import CheckinService, new_tenant, nip, running_checkin
from tests.support import infra
from tests.support.records import read_to_end
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools.kafka import cluster as kafka_local

pytestmark = pytest.mark.infra

EMPLOYEES = [nip(100 + i) for i in range(20)]
PER_EMPLOYEE = 10
WARM_UP = nip(199)


@pytest.fixture
async def own_kafka(tmp_path: Path) -> AsyncIterator[kafka_local.KafkaCluster]:
    port = infra.free_port_block(24092)
    try:
        cluster = await asyncio.to_thread(kafka_local.start, tmp_path / "kafka", 1, port)
    except Exception as exc:  # noqa: BLE001
        infra.unavailable("Kafka", f"own broker for the outage test did not start: {exc}")
    try:
        yield cluster
    finally:
        await asyncio.to_thread(cluster.stop)


async def wait_published(service: CheckinService, timeout: float) -> None:
    async def none_pending() -> bool:
        return await service.pending() == 0

    await eventually(none_pending, timeout=timeout, interval=0.2, what="outbox drained")


async def test_accepted_while_kafka_is_down_then_published_once_in_order(
    own_kafka: kafka_local.KafkaCluster, postgres_server: infra.PostgresServer, dev_keys: tuple[Path, Path],
    tokens: Tokens,
) -> None:
    url = await postgres_server.create_database("checkin_outage")
    # A short publish timeout: the outage below lasts several timeouts, so a relay that gave
    # up on unacknowledged records and sent their rows again would duplicate them.
    async with running_checkin(url, own_kafka.bootstrap, dev_keys[1], tokens, publish_timeout_seconds=2) as service:
        tenant = new_tenant()
        await service.seed_employees(tenant, [*EMPLOYEES, WARM_UP])
        await asyncio.wait_for(service.rt.kafka_connected.wait(), 60)

        # One check-in while Kafka is up: the producer then knows the topic and its leader,
        # which is when it buffers (and would retry) records for a broker that went away.
        base = datetime.now(UTC) - timedelta(minutes=30)
        warm = await service.client.post("/v1/checkins", headers=service.employee(tenant, WARM_UP),
                                         json={"kind": "attendance", "captured_at": base.isoformat()})
        assert warm.status_code == 201, warm.text
        await wait_published(service, timeout=30)

        stopped = time.perf_counter()
        await asyncio.to_thread(own_kafka.stop)
        print(f"\nbroker stopped in {time.perf_counter() - stopped:.1f} s")

        posted: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        latencies: list[float] = []
        started = time.perf_counter()
        for round_ in range(PER_EMPLOYEE):
            for i, who in enumerate(EMPLOYEES):
                captured = base + timedelta(seconds=round_ * 60 + i)
                body = {"kind": "location", "captured_at": captured.isoformat(), "device_id": f"hp-{i}",
                        "location": {"latitude": -6.12 + i / 1000, "longitude": 106.15, "accuracy_m": 9}}
                t0 = time.perf_counter()
                response = await service.client.post(
                    "/v1/checkins", json=body,
                    headers={**service.employee(tenant, who), "Idempotency-Key": f"{who}-{round_}"})
                latencies.append(time.perf_counter() - t0)
                assert response.status_code == 201, response.text
                posted[who].append((response.json()["id"], captured))
        accepting = time.perf_counter() - started
        print(f"200 check-ins accepted with Kafka down in {accepting:.2f} s "
              f"(max {max(latencies) * 1000:.0f} ms, median {sorted(latencies)[100] * 1000:.0f} ms)")
        assert max(latencies) < 2.0, "the API must not wait for Kafka"

        async def backlog_shown() -> float | None:
            value = await service.backlog_gauge()
            return value if value == 200 else None

        await eventually(backlog_shown, timeout=15, what="hadir_outbox_backlog = 200")
        assert await service.pending() == 200

        restarted = time.perf_counter()
        await asyncio.to_thread(own_kafka.start_node, 1)
        print(f"broker back in {time.perf_counter() - restarted:.1f} s")
        await wait_published(service, timeout=90)
        print(f"outbox drained {time.perf_counter() - restarted:.1f} s after the restart began")
        await asyncio.sleep(1)  # anything still in the producer's buffers would land now

        records = await read_to_end(own_kafka.bootstrap, topics.CHECKIN_RECEIVED, tenant)
        ce_ids = Counter(kafka_io.headers(r)["ce_id"] for r in records)
        assert [i for i, n in ce_ids.items() if n > 1] == [], "an event was published twice"
        assert len(records) == 201
        by_key: dict[str, list[tuple[str, datetime]]] = defaultdict(list)
        for record in records:  # partition-then-offset order: one key's records in log order
            event = json.loads(record.value)
            assert record.key == f"{tenant}/{event['employee_id']}".encode()
            by_key[event["employee_id"]].append(
                (event["checkin_id"], datetime.fromisoformat(event["captured_at"])))
        assert by_key.pop(WARM_UP) == [(warm.json()["id"], base)]
        assert by_key == posted, "each employee's events must arrive once each, in the order accepted"
        assert await service.backlog_gauge() == 0
