"""The submitters in memory (services.checkin.directory) follow the read models: two replicas'
copies on one database, a change written by one replica's consumer (the service's own
handler, in a transaction as the consumer runs it) is seen by the other's next lookup —
a deactivation, a move, an employee added after a miss, a new letter version."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin import handlers, store
from services.checkin.directory import Directory
from services.contracts.events import DirectoryUpdatedV2, EmployeeProfile, PolicyUpdated, TenantRecord
from services.contracts.policy import PolicyContent
from services.runtime import db
from services.runtime.consumer import Decoded
from services.runtime.outbox import envelope_for
from tests.checkin.conftest import CheckinService, new_tenant, nip

pytestmark = pytest.mark.infra

SITI, BUDI = nip(41), nip(42)


def employee(who: str, *, unit: str = "bkd", active: bool = True) -> DirectoryUpdatedV2:
    return DirectoryUpdatedV2(entity="employee", employee=EmployeeProfile(
        nip=who, name=f"Pegawai {who[-2:]}", unit_id=unit, active=active, is_unit_head=False))


def letter(version: int, limit_hours: int) -> PolicyUpdated:
    return PolicyUpdated(policy_id="se-1", version=version, number="800/1/2026", title="WFH ASN",
                         valid_from=date(2026, 1, 1), timezone="Asia/Makassar",
                         effective_at=datetime(2026, 1, 1, tzinfo=UTC),
                         content=PolicyContent(late_submission_limit_hours=limit_hours))


async def consumed(checkin: CheckinService, tenant: str, *events: DirectoryUpdatedV2 | PolicyUpdated) -> None:
    """What a replica's consumer does with a batch: the service's handler, in one transaction."""
    async with checkin.rt.sessions() as session, session.begin():
        for event in events:
            decoded = [Decoded(envelope_for(event, tenant=tenant, source="/hadir/policy"), event)]
            if isinstance(event, DirectoryUpdatedV2):
                await handlers.on_directory_updated(session, decoded)
            else:
                await handlers.on_policy_updated(session, decoded)


async def contexts(session: AsyncSession, directory: Directory, keys: list[tuple[str, str]]) -> dict[Any, Any]:
    """As a group does: the generation read with the clock in its first statement."""
    _, (generation,) = await db.clock(session, store.read_models_generation())
    return await directory.contexts(session, keys, int(generation or 0))


async def lookup(checkin: CheckinService, directory: Directory, tenant: str, who: str) -> Any:
    async with checkin.rt.sessions() as session, session.begin():
        return (await contexts(session, directory, [(tenant, who)]))[(tenant, who)]


async def test_a_change_through_one_replica_reaches_the_other_replicas_copy(checkin: CheckinService) -> None:
    tenant = new_tenant()
    one, other = Directory(), Directory()
    await consumed(checkin, tenant, DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
        id=tenant, name="Kota Uji", kind="city", timezone="Asia/Makassar")), employee(SITI), letter(1, 24))
    for copy in (one, other):
        context = await lookup(checkin, copy, tenant, SITI)
        assert (context.employee.unit_id, context.employee.active, context.timezone) == ("bkd", True, "Asia/Makassar")
        assert [x.late_submission_limit_hours for x in context.letters] == [24]
        assert await lookup(checkin, copy, tenant, BUDI) is None, "unknown, and remembered as such"

    await consumed(checkin, tenant, employee(SITI, unit="dinkes", active=False), employee(BUDI), letter(2, 48))

    context = await lookup(checkin, other, tenant, SITI)
    assert (context.employee.unit_id, context.employee.active) == ("dinkes", False)
    assert sorted(x.late_submission_limit_hours for x in context.letters) == [24, 48]
    found = await lookup(checkin, other, tenant, BUDI)
    assert found.employee.active, "a miss is forgotten once the directory changes"


async def test_a_group_loads_what_it_misses_at_once_and_then_asks_only_the_generation(
        checkin: CheckinService) -> None:
    tenant = new_tenant()
    people = [nip(500 + i) for i in range(30)]
    await consumed(checkin, tenant, *(employee(n) for n in people))
    directory = Directory()
    statements: list[str] = []

    async with checkin.rt.sessions() as session, session.begin():
        @event.listens_for(session.sync_session, "do_orm_execute")
        def seen(state: Any) -> None:
            statements.append(str(state.statement).split()[0])

        first = await contexts(session, directory, [(tenant, n) for n in people])
        cold = len(statements)
        second = await contexts(session, directory, [(tenant, n) for n in people])
    assert all(c is not None and c.employee.active for c in first.values()) and first == second
    assert cold == 4, f"the clock with the generation, the employees, the zone, the letters: {statements[:cold]}"
    assert len(statements) - cold == 1, "warm: the clock with the generation alone"
