"""The embedded default (``make run``) keeps the reporting service on SQLite: the same
closure, ledger, reports and scores work there (no COPY, no advisory locks)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from services.contracts.policy import Sector
from services.reporting import monthly, store
from services.reporting.app import MIGRATIONS
from services.reporting.domain import scoring
from services.reporting.reports import daily_report
from services.reporting.store import Tenant
from services.runtime import migrations
from tests.reporting.conftest import (
    CAUGHT_UP,
    DAY,
    DUE_SOON,
    OVERDUE,
    K,
    apply,
    at,
    instance,
    nip,
    outbox_events,
    pipeline_evaluated_until,
    seed,
    verdict,
)


async def test_closure_reports_and_scores_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'reporting.db'}"
    await migrations.upgrade_async(MIGRATIONS, url, store.Base.metadata)
    inst = instance(url)
    rt = inst.rt
    await pipeline_evaluated_until(rt, CAUGHT_UP)
    try:
        staff = [(nip(i), "bkd") for i in range(5)]
        await seed(rt, "serang", employees=staff, sectors={"bkd": Sector.NON_ESSENTIAL})
        await apply(rt, "serang", verdict(nip(0), "apel", "on_time", captured=at(7, 1), kind=K.ATTENDANCE),
                    verdict(nip(1), "apel", "late", captured=at(7, 40), late_minutes=10, kind=K.ATTENDANCE,
                            geofence="outside"))
        assert await inst.scheduler.scan(at(7, 36)) == 3
        assert await inst.scheduler.scan(at(7, 45, 11)) == 3
        assert await inst.scheduler.scan(at(7, 45, 12)) == 0
        assert len(await outbox_events(rt, DUE_SOON)) == 3 and len(await outbox_events(rt, OVERDUE)) == 3
        await apply(rt, "serang", verdict(nip(2), "apel", "late", captured=at(7, 50), late_minutes=20,
                                          kind=K.ATTENDANCE))
        async with rt.sessions() as session:
            tenant = await session.get(Tenant, "serang")
            assert tenant is not None
            report, detail = await daily_report(session, tenant, DAY, None, at(8, 30), with_rows=True)
            scores = await monthly.live_scores(session, "serang", date(2026, 3, 1), scoring.Weights())
        apel, lokasi = report.windows
        assert (apel.expected, apel.on_time, apel.late, apel.missing, apel.outside_geofence) == (5, 1, 2, 2, 1)
        assert (lokasi.expected, lokasi.pending, lokasi.finalized) == (5, 5, False)
        assert report.in_office.headcount == 5 and len(detail.rows) == 10
        assert {s.nip: s.score for s in scores}[nip(0)] == 100.0
        async with rt.sessions() as session:
            await inst.metrics.refresh(session, at(8, 30))
        assert rt.registry.get_sample_value("hadir_reporting_expected_checkins",
                                            {"tenant_ref": inst.metrics.tenant_ref("serang"),
                                             "sector": "non_essential"}) == 5
    finally:
        await rt.engine.dispose()
