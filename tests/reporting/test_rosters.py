"""Reporting's copy of the rosters on a real PostgreSQL, through the consumer's handlers: an
override changes its one entry, a roster split into chunks counts every employee, and any
order of delivery with redeliveries ends with policy's roster. The daily report's in-office
figures are what the finding saw: a unit at wfo 1 / wfh 3 went to wfo 1 / wfh 0 / unknown 3
after one override, and a 2,747-assignment roster left 30 of 41 employees unknown."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from services.contracts.events import RosterAssignment
from services.contracts.policy import Sector
from services.contracts.rules.rosters import events
from services.reporting import reports, store
from services.reporting.app import MIGRATIONS
from services.runtime import migrations
from services.runtime.service import ServiceRuntime
from tests.reporting.conftest import DAY, apply, at, instance, nip, seed
from tests.support.rosters import Held, a_history, days, deliveries, held_by_policy, published

B1, B2, B3, B4 = (nip(i) for i in range(4))


async def in_office(rt: ServiceRuntime, tenant: str, unit: str) -> tuple[int, int, int, bool | None]:
    """(wfo, wfh, unknown, meets quota) of ``unit`` in the live daily report of the test day."""
    async with rt.sessions() as session:
        row = await session.get(store.Tenant, tenant)
        assert row is not None
        report, _ = await reports.daily_report(session, row, DAY, unit, at(6, 0))
    office = next(u.in_office for u in report.units if u.unit_id == unit)
    return office.wfo, office.wfh, office.unknown, office.meets_quota


async def held(rt: ServiceRuntime, tenant: str) -> Held:
    r = store.RosterDay
    async with rt.sessions() as session:
        rows = (await session.execute(select(r.nip, r.day, r.unit_id, r.mode).where(r.tenant == tenant))).all()
    return {(n, d): (u, m) for n, d, u, m in rows}


async def test_an_override_changes_its_one_entry_and_keeps_the_rest_of_the_unit(reporting) -> None:  # type: ignore[no-untyped-def]
    rt, tenant = reporting.rt, "override"
    await seed(rt, tenant, employees=[(n, "bkd") for n in (B1, B2, B3, B4)], sectors={"bkd": Sector.NON_ESSENTIAL})
    generation = events("bkd", DAY, DAY + timedelta(days=4), [
        RosterAssignment(employee_id=n, date=d, mode="wfo" if n == B1 else "wfh")
        for n in (B1, B2, B3, B4) for d in days(DAY, 5)], replaces="range", revision=1)
    await apply(rt, tenant, *generation)
    assert await in_office(rt, tenant, "bkd") == (1, 3, 0, True)

    await apply(rt, tenant, *events("bkd", DAY, DAY, [RosterAssignment(employee_id=B2, date=DAY, mode="wfo")],
                                    replaces="assignments", revision=2))
    assert await in_office(rt, tenant, "bkd") == (2, 2, 0, True)
    assert len(await held(rt, tenant)) == 4 * 5  # the other days too

    await apply(rt, tenant, *generation)  # the generation redelivered: the override stays
    assert await in_office(rt, tenant, "bkd") == (2, 2, 0, True)


async def test_a_roster_in_chunks_counts_every_employee(reporting) -> None:  # type: ignore[no-untyped-def]
    rt, tenant = reporting.rt, "chunks"
    staff = [nip(i) for i in range(41)]
    await seed(rt, tenant, employees=[(n, "bkd") for n in staff], sectors={"bkd": Sector.NON_ESSENTIAL})
    span = days(DAY - timedelta(days=33), 67)
    assignments = [RosterAssignment(employee_id=n, date=d, mode="wfo" if (i + k) % 41 < 11 else "wfh")
                   for i, n in enumerate(staff) for k, d in enumerate(span)]  # 11 of 41 a day: 25 %, rounded up
    generation = events("bkd", span[0], span[-1], assignments, replaces="range", revision=1)
    assert [len(e.assignments) for e in generation] == [2000, 747]
    await apply(rt, tenant, *generation)
    assert await in_office(rt, tenant, "bkd") == (11, 30, 0, True)
    assert len(await held(rt, tenant)) == 2747

    # A new generation arrives last chunk first: until its first chunk is in, the employees of
    # that chunk keep the previous roster; then the employee it leaves out has no entry.
    again = events("bkd", span[0], span[-1], [a for a in assignments if a.employee_id != staff[0]],
                   replaces="range", revision=2)
    await apply(rt, tenant, again[1])
    assert await in_office(rt, tenant, "bkd") == (11, 30, 0, True)
    await apply(rt, tenant, again[0])
    assert await in_office(rt, tenant, "bkd") == (11, 29, 1, True)  # staff[0] was at home on the day
    assert len(await held(rt, tenant)) == 2747 - 67


async def converge(rt: ServiceRuntime, runs: range) -> None:
    """Each run a tenant of its own: ``a_history``'s events in a shuffled order with redeliveries,
    in consumer batches of one to four events (each batch one transaction), end as policy's roster."""
    history = a_history(DAY)
    stream = published(history, size=4)
    for run in runs:
        tenant, rng = f"order-{run}", random.Random(run)
        order = deliveries(stream, rng)
        while order:
            size = rng.randint(1, 4)
            await apply(rt, tenant, *order[:size])
            order = order[size:]
        assert await held(rt, tenant) == held_by_policy(history), run


async def test_any_order_with_redeliveries_ends_with_policys_roster(reporting) -> None:  # type: ignore[no-untyped-def]
    await converge(reporting.rt, range(6))


async def test_the_same_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reporting.db'}"
    await migrations.upgrade_async(MIGRATIONS, url, store.Base.metadata)
    rt = instance(url).rt
    try:
        await converge(rt, range(2))
    finally:
        await rt.engine.dispose()
