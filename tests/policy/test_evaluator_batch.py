"""The set-based evaluator (:func:`services.policy.evaluator.judge_all`) on real PostgreSQL:
a batch spanning tenants and zones gets exactly the verdicts that judging its check-ins one by
one gives (an employee's second check-in in the batch is judged against the first as its
previous fix), and the number of statements does not grow with the batch."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from services.contracts.events import CheckinReceived, Location
from services.policy.evaluator import judge_all
from tests.policy.conftest import PolicyService, nip_for, setup_tenant
from tools import seed

pytestmark = pytest.mark.infra

HOME = (-6.1202, 106.1503)
FAR = (-6.9175, 107.6191)  # Bandung, about 130 km away
EVERY_HOUR = seed.window("lokasi", "Lokasi", "00:00", "23:59:59", ["location"])


async def tenant_with_people(policy: PolicyService, tenant: str, tz: str, count: int) -> list[str]:
    admin = await setup_tenant(policy, tenant, tz)
    seeder = seed.Seeder(policy.client, str(policy.client.base_url), admin)
    await seeder.units({"dinas": seed.unit("Dinas"), "upt": seed.unit("UPT", None, kind="upt", parent_id="dinas")})
    nips = [nip_for(i) for i in range(count)]
    await seeder.employees({n: {"name": f"Pegawai {i}", "unit_id": "upt" if i % 2 else "dinas",
                                "places": [seed.home(HOME)]} for i, n in enumerate(nips)})
    today = datetime.now(UTC).date()
    await seeder.letter(seed.letter("800/9-BKD/2026", "Uji", today - timedelta(days=2), [EVERY_HOUR]))
    return nips


def checkin(nip: str, at: datetime, where: tuple[float, float]) -> CheckinReceived:
    return CheckinReceived(checkin_id=uuid.uuid4(), employee_id=nip, kind="location",  # type: ignore[arg-type]
                           captured_at=at, received_at=at,
                           location=Location(latitude=where[0], longitude=where[1], accuracy_m=10))


async def judged(policy: PolicyService, batches: list[list[tuple[str, CheckinReceived]]],
                 statements: list[str] | None = None) -> list[dict[str, Any]]:
    """Judge the batches in turn in one transaction that is rolled back (nothing stays);
    the SQL the judging sends is appended to ``statements``."""
    out: list[dict[str, Any]] = []
    async with policy.rt.sessions() as session:
        async with session.begin():
            connection = (await session.connection()).sync_connection
            with recorded(connection, statements if statements is not None else []):
                for batch in batches:
                    out += [v.model_dump(mode="json") for v in await judge_all(session, batch)]
            await session.rollback()
    return out


@contextmanager
def recorded(connection: Any, into: list[str]) -> Iterator[None]:
    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        into.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(connection, "before_cursor_execute", record)


async def test_a_batch_gives_the_verdicts_of_judging_one_by_one(policy: PolicyService) -> None:
    west, central = f"t-{uuid.uuid4().hex[:10]}", f"t-{uuid.uuid4().hex[:10]}"
    [a] = await tenant_with_people(policy, west, "Asia/Jakarta", 1)
    [b] = await tenant_with_people(policy, central, "Asia/Makassar", 1)
    now = datetime.now(UTC).replace(microsecond=0)
    batch = [(west, checkin(a, now, HOME)), (central, checkin(b, now, HOME)),
             (west, checkin(a, now + timedelta(minutes=5), FAR))]  # 130 km in 5 minutes after the first

    together = await judged(policy, [batch])
    alone = await judged(policy, [[item] for item in batch])

    assert together == alone
    first, _, teleported = together
    assert first["geofence"] == "inside" and not first["suspicious"]
    assert teleported["suspicious"] and teleported["geofence"] == "outside"


async def test_statements_do_not_grow_with_the_batch(policy: PolicyService) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    nips = await tenant_with_people(policy, tenant, "Asia/Jayapura", 60)
    now = datetime.now(UTC)
    small = [(tenant, checkin(nips[0], now, HOME))]
    large = [(tenant, checkin(n, now + timedelta(seconds=i), HOME)) for i, n in enumerate(nips)]
    one: list[str] = []
    sixty: list[str] = []
    await judged(policy, [small], one)
    verdicts = await judged(policy, [large], sixty)
    assert len(verdicts) == 60 and all(v["status"] == "on_time" for v in verdicts)
    assert len(sixty) == len(one), f"{len(one)} statements for one check-in, {len(sixty)} for sixty"
