"""Gathering the facts of a tenant's or a unit's day, then building its daily report.

The day's windows are those of :func:`.domain.windows.day_windows` (each under the
version in force at its opening). Closed windows are counted from the ledger
(``expectations``, grouped in SQL); for windows not closed yet the rows are built on
the fly by the one rule (:func:`.domain.ledger.build_rows`) from the verdicts
gathered, with the day's decisions (absences excuse, approved corrections change a
verdict, returned check-ins do not count: :mod:`.domain.decisions`) and under the
tenant's calendar. In-office figures come from the snapshot frozen with the day's first
closure, or are computed on the fly before it. :func:`.domain.daily_report.build`
puts it together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import PolicyContent
from services.contracts.rules.calendar import is_working_day
from services.contracts.rules.quota import required_in_office
from services.contracts.rules.versions import for_day
from services.reporting import presence, queries, verification
from services.reporting.domain.daily import InOffice, in_office
from services.reporting.domain.daily_report import DailyReport, DayFacts, UnitInfo, build
from services.reporting.domain.decisions import DayDecisions
from services.reporting.domain.expectations import Placed, expected_for_window, place
from services.reporting.domain.ledger import LedgerRow, build_rows
from services.reporting.domain.scoring import EXCUSED
from services.reporting.domain.windows import day_windows
from services.reporting.store import Tenant


@dataclass
class DayDetail:
    """What exports need beyond the report: the rows per employee and window."""

    rows: list[LedgerRow] = field(default_factory=list)
    window_names: dict[str, str] = field(default_factory=dict)


async def daily_report(session: AsyncSession, tenant: Tenant, day: date, unit_id: str | None, now: datetime,
                       *, with_rows: bool = False) -> tuple[DailyReport, DayDetail]:
    versions = await queries.versions_for_day(session, tenant.id, day)
    letter = for_day(versions, day)
    windows = day_windows(versions, day, tenant.timezone)
    content = next((w.content for w in windows if w.version is letter), None)
    if content is None and letter is not None:
        content = PolicyContent.model_validate(letter.content)
    calendar = queries.calendar_of(tenant)
    working = content is not None and is_working_day(day, content, calendar)
    closed = await queries.closures(session, tenant.id, day)
    finalized = {w.window.id for w in windows if w.window.id in closed}
    snapshot = await queries.unit_days(session, tenant.id, day) if finalized else {}
    detail = DayDetail(window_names={w.window.id: w.window.name for w in windows})
    if with_rows:
        detail.rows.extend(await queries.ledger_rows(session, tenant.id, day, sorted(finalized), unit_id))

    live = [w for w in windows if w.window.id not in finalized and is_working_day(day, w.content, calendar)]
    decisions = await queries.day_decisions(session, tenant.id, day) if live else DayDecisions()
    placements: dict[int, list[Placed]] = {}

    async def placed_under(content: PolicyContent) -> list[Placed]:
        if id(content) not in placements:
            placements[id(content)] = place(await queries.people(session, tenant.id, unit_id), content,
                                            await queries.unit_sectors(session, tenant.id, content),
                                            await queries.roster_modes(session, tenant.id, day))
        return placements[id(content)]

    live_rows: list[LedgerRow] = []
    for w in live:
        asked = expected_for_window(await placed_under(w.content), w.content, day, w.window, calendar)
        live_rows.extend(build_rows(w.window.id, asked, await queries.window_facts(session, tenant.id, day,
                                                                                    w.window.id),
                                    closed=now >= w.bounds.deadline, decisions=decisions.for_window(w.window.id)))
    if with_rows:
        detail.rows.extend(live_rows)

    if snapshot:
        office = {u: InOffice(headcount=s.headcount, wfo=s.wfo, wfh=s.wfh, unknown=s.unknown,
                              quota_pct=s.quota_pct, required=required_in_office(s.headcount, s.quota_pct)).finish()
                  for u, s in snapshot.items() if not unit_id or u == unit_id}
        sectors_of = {u: s.sector for u, s in snapshot.items()}
    elif content is not None and working:
        placed = await placed_under(content)
        office = in_office(placed, content)
        sectors_of = {p.person.unit_id: p.sector for p in placed}
    else:
        office, sectors_of = {}, {}

    units = await queries.units(session, tenant.id)
    sign_offs = await verification.sign_offs(session, tenant.id, day)
    excused = await presence.excused(session, tenant.id, day, unit_id)
    for row in live_rows:
        if row.status == EXCUSED:
            excused.setdefault(row.unit_id, set()).add(row.nip)
    report = build(DayFacts(
        tenant=tenant.id, tenant_name=tenant.name, timezone=tenant.timezone, day=day, unit_id=unit_id, now=now,
        letter=letter, working_day=working, windows=windows, finalized=finalized,
        ledger_counts=await queries.closed_counts(session, tenant.id, day, unit_id), live_rows=live_rows,
        office=office, sectors_of=sectors_of,
        units={u.id: UnitInfo(u.name, u.effective_sector, u.active) for u in units.values()},
        sign_offs=sign_offs, forced={w for w in finalized if closed[w].forced},
        at_office=await presence.at_office(session, tenant.id, day, unit_id) if office else {},
        excused={u: len(nips) for u, nips in excused.items()},
        revised=await queries.revisions(session, tenant.id, day) if sign_offs else {},
    ))
    return report, detail
