"""Two replicas of the policy service on one database and one consumer group (scale-out), on
real PostgreSQL and Kafka: they share the partitions of ``checkin.received``, and a directory
change written through one replica is what both judge the next check-ins by."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.partitioner import murmur2
from sqlalchemy import select

from services.contracts import topics
from services.contracts.envelope import event_key
from services.contracts.events import CheckinReceived, Location
from services.policy import store
from services.policy.app import build
from services.runtime.kafka import publish_envelope
from services.runtime.outbox import envelope_for
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings
from tests.policy.conftest import nip_for
from tests.support import infra
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.seed import Seeder

pytestmark = pytest.mark.infra

OLD_HOME, NEW_HOME = (-6.1202, 106.1503), (-6.2500, 106.9000)  # Serang, then Bekasi (about 85 km)
PARTITIONS = 6  # of checkin.received (HADIR_TOPIC_PARTITIONS)


def one_per_partition(tenant: str) -> list[str]:
    """NIPs whose record keys land on every partition of checkin.received, one each (Kafka's
    default partitioner), so that each replica gets check-ins to judge whatever its share."""
    chosen: dict[int, str] = {}
    for i in range(10_000):
        nip = nip_for(i)
        chosen.setdefault((murmur2(event_key(tenant, nip).encode()) & 0x7FFFFFFF) % PARTITIONS, nip)
        if len(chosen) == PARTITIONS:
            return [chosen[p] for p in sorted(chosen)]
    raise AssertionError("no NIPs found for every partition")


@pytest.fixture
async def replicas(postgres_server: infra.PostgresServer, module_kafka: str,
                   dev_keys: tuple[Path, Path]) -> AsyncIterator[list[tuple[ServiceRuntime, httpx.AsyncClient]]]:
    # A broker of its own: evaluators on the session broker would judge other tests' check-ins
    # against this empty database and publish verdicts for them.
    url = await postgres_server.create_database("hadir_policy_replicas")
    settings = Settings(service=f"policy-replicas-{uuid.uuid4().hex[:6]}", database_url=url,
                        kafka_bootstrap_servers=module_kafka, jwt_jwks_file=dev_keys[1],
                        outbox_poll_seconds=0.2, log_level="WARNING")
    async with AsyncExitStack() as stack:
        out = []
        for name in ("a", "b"):  # the same settings: the same consumer group
            app, rt = build(settings, scheduler_seconds=0.5)
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://policy-{name}.test", timeout=60))
            out.append((rt, client))
        yield out


def assigned(rt: ServiceRuntime) -> set[int]:
    """The partitions of checkin.received this replica's evaluator holds now."""
    consumers = [s.consumer for s in rt.broker.subscribers if getattr(s, "consumer", None) is not None]
    return {tp.partition for c in consumers for tp in c.assignment() if tp.topic == topics.CHECKIN_RECEIVED}


def judged(rt: ServiceRuntime) -> float:
    return sum(rt.registry.get_sample_value("hadir_events_handled_total", {"group": c.group_id, "type": t}) or 0
               for c in rt.consumers for t in (CheckinReceived.TYPE,))


async def test_replicas_share_the_partitions_and_judge_by_a_change_either_one_wrote(
        replicas: list[tuple[ServiceRuntime, httpx.AsyncClient]], dev_keys: tuple[Path, Path]) -> None:
    (rt_a, client_a), (rt_b, client_b) = replicas
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    admin = Tokens(dev_keys[0]).admin(tenant)
    nips = one_per_partition(tenant)
    through_a = Seeder(client_a, str(client_a.base_url), admin)
    await through_a.directory(name="Pemerintah Provinsi Uji", timezone="Asia/Jakarta",
                              units={"bkd": seed.unit("BKD")},
                              employees={n: {"name": f"P{i}", "unit_id": "bkd", "places": [seed.home(OLD_HOME)]}
                                         for i, n in enumerate(nips)})
    every_hour = seed.window("lokasi", "Lokasi", "00:00", "23:59:59", ["location"])
    await through_a.letter(seed.letter("800/5-BKD/2026", "Uji", datetime.now(UTC).date() - timedelta(days=1),
                                       [every_hour]))

    async def both_assigned() -> bool | None:
        return True if assigned(rt_a) and assigned(rt_b) else None

    await eventually(both_assigned, timeout=60, what="both replicas holding partitions of checkin.received")
    assert not assigned(rt_a) & assigned(rt_b) and len(assigned(rt_a) | assigned(rt_b)) == PARTITIONS

    # Everyone moves; the change is written through replica B.
    through_b = Seeder(client_b, str(client_b.base_url), admin)
    await through_b.employees({n: {"name": f"P{i}", "unit_id": "bkd", "places": [seed.home(NEW_HOME)]}
                               for i, n in enumerate(nips)})

    sent = []
    now = datetime.now(UTC)
    for nip in nips:  # each shares from the new home
        event = CheckinReceived(checkin_id=uuid.uuid4(), employee_id=nip, kind="location",  # type: ignore[arg-type]
                                captured_at=now, received_at=now,
                                location=Location(latitude=NEW_HOME[0], longitude=NEW_HOME[1], accuracy_m=10))
        await publish_envelope(rt_a.broker, topics.CHECKIN_RECEIVED,
                               envelope_for(event, tenant=tenant, source="/hadir/checkin-test"), timeout=10)
        sent.append(str(event.checkin_id))

    async def verdicts() -> dict[str, dict[str, Any]] | None:
        async with rt_a.sessions() as session:
            rows = (await session.scalars(select(store.outbox.c.payload).where(
                store.outbox.c.tenant == tenant, store.outbox.c.ce_type == "hadir.checkin.evaluated.v1"))).all()
        found = {v["checkin_id"]: v for v in map(json.loads, rows)}
        return found if set(sent) <= set(found) else None

    found = await eventually(verdicts, timeout=60, what="a verdict for every check-in")
    assert {v["geofence"] for v in found.values()} == {"inside"}, "a replica judged by the old home"
    assert judged(rt_a) > 0 and judged(rt_b) > 0, "one replica judged every check-in"
