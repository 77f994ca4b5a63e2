"""A window closes only once the pipeline's watermark has passed its deadline, on a real
PostgreSQL: a check-in accepted before the deadline but still in the pipeline is counted, not
declared overdue; a stalled pipeline holds the closure up to the maximum hold, then the window
closes anyway and says so (closure row, daily report, metric)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from services.contracts.marks import MARK_TENANT, CheckinsEvaluatedMark
from services.contracts.policy import Sector
from services.reporting import store
from services.reporting.app import MIGRATIONS
from services.reporting.reports import daily_report
from services.reporting.store import Tenant, WindowClosure
from services.runtime import migrations
from tests.reporting.conftest import (
    DAY,
    OVERDUE,
    Instance,
    K,
    apply,
    at,
    instance,
    ledger,
    nip,
    outbox_events,
    pipeline_evaluated_until,
    seed,
    verdict,
)

A, B, C = (nip(i) for i in range(3))
APEL_DEADLINE = at(7, 45)  # apel: 07:00-07:30 WIB, 15 minutes' grace
HOLD = timedelta(minutes=5)


@pytest.fixture
async def behind(pg_url: str, dev_keys: tuple[Path, Path]) -> AsyncIterator[Instance]:
    """A reporting instance whose pipeline has evaluated everything accepted up to 07:40 only."""
    await migrations.upgrade_async(MIGRATIONS, pg_url, store.Base.metadata)
    inst = instance(pg_url, dev_keys[1], max_hold=HOLD)
    await seed(inst.rt, "lebak", employees=[(A, "bkd"), (B, "bkd"), (C, "bkd")], sectors={"bkd": Sector.NON_ESSENTIAL})
    await pipeline_evaluated_until(inst.rt, at(7, 40), partitions=2, sources=3)
    yield inst
    await inst.rt.engine.dispose()


def metric(inst: Instance, name: str) -> float | None:
    return inst.rt.registry.get_sample_value(name)


async def test_a_checkin_still_in_the_pipeline_at_the_deadline_is_counted_not_overdue(behind: Instance) -> None:
    rt, scheduler = behind.rt, behind.scheduler
    assert await scheduler.scan(at(7, 45, 11)) == 0  # past deadline + settle, but the pipeline is behind
    assert await outbox_events(rt, OVERDUE) == []
    assert metric(behind, "hadir_reporting_held_closures") == 1

    # A's check-in, accepted at 07:29, comes out of the pipeline; then the marks pass the deadline.
    await apply(rt, "lebak", verdict(A, "apel", "on_time", captured=at(7, 29), kind=K.ATTENDANCE))
    await pipeline_evaluated_until(rt, at(7, 46), partitions=2, sources=3)
    assert await scheduler.scan(at(7, 46, 1)) == 2
    assert sorted(s for s, _ in await outbox_events(rt, OVERDUE)) == [B, C]
    assert (await ledger(rt, "lebak", "apel"))[A].status == "on_time"
    assert metric(behind, "hadir_reporting_held_closures") == 0


def mark(partition: int, source: int, until: datetime) -> CheckinsEvaluatedMark:
    return CheckinsEvaluatedMark(partition=partition, partitions=2, source_partition=source, source_partitions=3,
                                 accepted_until=until)


async def test_one_partition_behind_holds_the_closure(behind: Instance) -> None:
    rt = behind.rt
    await apply(rt, MARK_TENANT, *(mark(q, p, at(7, 50)) for q in range(2) for p in range(3) if (q, p) != (1, 2)))
    assert await behind.scheduler.scan(at(7, 50, 1)) == 0
    await apply(rt, MARK_TENANT, mark(1, 2, at(7, 50)))
    assert await behind.scheduler.scan(at(7, 50, 2)) == 3
    assert not (await closure_of(behind, "apel")).forced


async def test_a_stalled_pipeline_closes_after_the_maximum_hold_and_says_so(behind: Instance) -> None:
    rt, scheduler = behind.rt, behind.scheduler
    assert await scheduler.scan(APEL_DEADLINE + timedelta(seconds=10) + HOLD - timedelta(seconds=1)) == 0
    assert await scheduler.scan(APEL_DEADLINE + timedelta(seconds=10) + HOLD) == 3
    assert (await closure_of(behind, "apel")).forced
    assert metric(behind, "hadir_reporting_forced_closures_total") == 1
    async with rt.sessions() as session:
        tenant = await session.get(Tenant, "lebak")
        assert tenant is not None
        report, _ = await daily_report(session, tenant, DAY, None, at(8, 0))
    apel = next(w for w in report.windows if w.window_id == "apel")
    assert apel.finalized and apel.forced_close


async def closure_of(inst: Instance, window_id: str) -> WindowClosure:
    async with inst.rt.sessions() as session:
        return (await session.scalars(select(WindowClosure).where(
            WindowClosure.tenant == "lebak", WindowClosure.window_id == window_id,
            WindowClosure.phase == "overdue"))).one()


async def test_while_a_window_is_held_a_committed_batch_wakes_the_scheduler_at_once(behind: Instance) -> None:
    rt, scheduler = behind.rt, behind.scheduler
    scheduler.interval = 60.0
    assert await scheduler.scan(at(7, 45, 11)) == 0  # held: the pipeline is behind
    pause = asyncio.create_task(scheduler.pause(time.monotonic()))
    await asyncio.sleep(0.3)
    assert not pause.done()
    scheduler.wake()  # as the projections consumer does after each committed batch
    await asyncio.wait_for(pause, 5)

    await pipeline_evaluated_until(rt, at(7, 46), partitions=2, sources=3)
    assert await scheduler.scan(at(7, 45, 11)) > 0  # closed: nothing is held any more
    scheduler.wake()
    pause = asyncio.create_task(scheduler.pause(time.monotonic()))
    await asyncio.sleep(0.5)
    assert not pause.done(), "with nothing held a committed batch does not make the scheduler scan"
    pause.cancel()
