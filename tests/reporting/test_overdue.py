"""Due-soon and overdue detection on a real PostgreSQL: exactly once per expected
employee, with two instances, after a restart that slept through the moment, and
with a verdict racing the closure."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.contracts.policy import Sector
from services.reporting.store import Expectation, WindowClosure
from tests.reporting.conftest import (
    DAY,
    DUE_SOON,
    OVERDUE,
    K,
    apply,
    at,
    count,
    instance,
    ledger,
    nip,
    outbox_events,
    seed,
    verdict,
)

A, B, C, D = (nip(i) for i in range(4))
STAFF = [(A, "bkd"), (B, "bkd"), (C, "bkd"), (D, "dinkes")]
SECTORS = {"bkd": Sector.NON_ESSENTIAL, "dinkes": Sector.NON_ESSENTIAL}


async def test_overdue_once_per_missing_employee_and_a_late_checkin_turns_it_late(reporting) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, "banten", employees=STAFF, sectors=SECTORS)
    await apply(rt, "banten",
                verdict(A, "apel", "on_time", captured=at(7, 10), kind=K.ATTENDANCE),
                verdict(B, "apel", "late", captured=at(7, 40), late_minutes=10, kind=K.ATTENDANCE,
                        geofence="outside", suspicious=True))

    # 10 minutes before the 07:45 deadline: a reminder for those not in yet.
    assert await scheduler.scan(at(7, 36)) == 2
    assert sorted(s for s, _ in await outbox_events(rt, DUE_SOON)) == [C, D]
    assert await scheduler.scan(at(7, 44)) == 0

    # Deadline passed but not the settle delay: nothing yet.
    assert await scheduler.scan(at(7, 45, 5)) == 0
    assert await outbox_events(rt, OVERDUE) == []

    assert await scheduler.scan(at(7, 45, 11)) == 2
    overdue = await outbox_events(rt, OVERDUE)
    assert sorted(s for s, _ in overdue) == [C, D]
    first = overdue[0][1]
    assert first["window_id"] == "apel" and first["local_date"] == DAY.isoformat()
    assert first["deadline"].startswith("2026-03-10T00:45:00")  # 07:45 WIB
    rows = await ledger(rt, "banten", "apel")
    assert {n: r.status for n, r in rows.items()} == {A: "on_time", B: "late", C: "missing", D: "missing"}
    assert (rows[B].late_minutes, rows[B].outside_geofence, rows[B].suspicious) == (10, True, True)
    assert [n for n, r in rows.items() if r.overdue] == [C, D]

    # Scanning again, however often, stages nothing more; the next window is not closed.
    for minute in (46, 50, 59):
        assert await scheduler.scan(at(7, minute)) == 0
    assert len(await outbox_events(rt, OVERDUE)) == 2
    assert await ledger(rt, "banten", "lokasi") == {}

    # C checks in after the overdue notice: late, not missing; the notice stays recorded.
    await apply(rt, "banten", verdict(C, "apel", "late", captured=at(7, 55), late_minutes=25, kind=K.ATTENDANCE))
    rows = await ledger(rt, "banten", "apel")
    assert (rows[C].status, rows[C].late_minutes, rows[C].overdue) == ("late", 25, True)
    assert rows[D].status == "missing"
    # A later on-time verdict beats late; a later late one keeps the fewest minutes.
    await apply(rt, "banten", verdict(B, "apel", "late", captured=at(7, 44), late_minutes=14, kind=K.ATTENDANCE))
    assert (await ledger(rt, "banten", "apel"))[B].late_minutes == 10
    assert len(await outbox_events(rt, OVERDUE)) == 2


async def test_two_instances_close_each_window_exactly_once(reporting, pg_url: str) -> None:
    staff = [(nip(i), f"unit-{i % 7}") for i in range(300)]
    await seed(reporting.rt, "bekasi", employees=staff, sectors={f"unit-{i}": Sector.ESSENTIAL for i in range(7)})
    await apply(reporting.rt, "bekasi", *[verdict(n, "apel", "on_time", captured=at(7, 5), kind=K.ATTENDANCE)
                                         for n, _ in staff[:100]])
    other = instance(pg_url)
    try:
        moments = [at(7, 36), at(7, 40), at(7, 45, 11), at(7, 45, 12), at(9, 6), at(9, 15, 11), at(9, 30), at(23, 59)]
        for now in moments:
            await asyncio.gather(reporting.scheduler.scan(now), other.scheduler.scan(now),
                                 reporting.scheduler.scan(now), other.scheduler.scan(now))
    finally:
        await other.rt.engine.dispose()
    overdue = await outbox_events(reporting.rt, OVERDUE)
    keys = [(s, p["window_id"]) for s, p in overdue]
    assert len(keys) == len(set(keys)) == 200 + 300  # apel: 200 missing; lokasi: all 300
    reminders = [(s, p["window_id"]) for s, p in await outbox_events(reporting.rt, DUE_SOON)]
    assert len(reminders) == len(set(reminders)) == 200 + 300
    assert await count(reporting.rt, Expectation.__table__) == 600
    assert await count(reporting.rt, WindowClosure.__table__) == 4  # two windows × (due_soon, overdue)


async def test_a_restart_that_slept_through_the_deadline_catches_up_once(reporting) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, "serang", employees=STAFF, sectors=SECTORS, effective_at=at(0, 0, 0, DAY - timedelta(days=9)))
    await apply(rt, "serang", verdict(A, "lokasi", "on_time", captured=at(8, 30)))
    # No scan ran on the day at all; the instance comes back two days later and catches
    # up on the three days it looks back and today: 4 days x 2 windows x 4 people, less A.
    assert await scheduler.scan(at(10, 0, 0, DAY + timedelta(days=2))) == 4 * 2 * 4 - 1
    assert sorted(s for s, p in await outbox_events(rt, OVERDUE)
                  if p["window_id"] == "lokasi" and p["local_date"] == str(DAY)) == [B, C, D]
    # Reminders are never sent late.
    assert await outbox_events(rt, DUE_SOON) == []
    by_day = {p["local_date"] for _, p in await outbox_events(rt, OVERDUE)}
    assert by_day == {str(DAY + timedelta(days=d)) for d in (-1, 0, 1, 2)}
    before = len(await outbox_events(rt, OVERDUE))
    assert await scheduler.scan(at(10, 0, 5, DAY + timedelta(days=2))) == 0
    assert len(await outbox_events(rt, OVERDUE)) == before


async def test_windows_that_closed_before_the_letter_took_effect_are_never_flagged(reporting) -> None:
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, "pandeglang", employees=STAFF, sectors=SECTORS, effective_at=at(8, 30))
    assert await scheduler.scan(at(12, 0)) == 4  # lokasi (deadline 09:15) only; apel closed at 07:45
    assert {p["window_id"] for _, p in await outbox_events(rt, OVERDUE)} == {"lokasi"}


async def test_the_closure_waits_for_a_verdict_being_applied(reporting, pg_url: str) -> None:
    """A verdict in flight when the window closes is seen by the closure, not flagged overdue."""
    rt = reporting.rt
    await seed(rt, "lebak", employees=STAFF, sectors=SECTORS)
    from services.contracts.envelope import Envelope  # noqa: F401
    from services.reporting import handlers
    from services.runtime.consumer import Decoded
    from services.runtime.outbox import envelope_for

    event = verdict(A, "apel", "late", captured=at(7, 44, 59), late_minutes=15, kind=K.ATTENDANCE)
    async with rt.sessions() as session:
        await session.begin()
        await handlers.on_evaluated(session, [Decoded(envelope_for(event, tenant="lebak", source="/t"), event)])
        closing = asyncio.create_task(reporting.scheduler.scan(at(7, 45, 11)))
        await asyncio.sleep(1.0)
        assert not closing.done(), "the closure must wait for the verdict's transaction"
        await session.commit()
    assert await closing == 3
    assert sorted(s for s, _ in await outbox_events(rt, OVERDUE)) == [B, C, D]
    assert (await ledger(rt, "lebak", "apel"))[A].status == "late"


async def test_a_verdict_waits_for_the_closure_and_then_updates_its_row(reporting, pg_url: str) -> None:
    rt = reporting.rt
    await seed(rt, "tangerang", employees=STAFF, sectors=SECTORS)
    from services.reporting import window_lock

    other = instance(pg_url)
    try:
        async with other.rt.sessions() as holder:
            await holder.begin()
            await window_lock.lock_window(holder, "tangerang", DAY, "apel", shared=False)  # a closure in progress
            applying = asyncio.create_task(apply(rt, "tangerang", verdict(
                A, "apel", "late", captured=at(7, 45), late_minutes=15, kind=K.ATTENDANCE)))
            await asyncio.sleep(1.0)
            assert not applying.done(), "the verdict must wait for the closure's transaction"
            await holder.rollback()
        await applying
    finally:
        await other.rt.engine.dispose()
    assert await reporting.scheduler.scan(at(7, 45, 11)) == 3
    assert (await ledger(rt, "tangerang", "apel"))[A].status == "late"
