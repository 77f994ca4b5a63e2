"""Which roster days get the "Besok Anda bekerja di kantor" reminder, read from notify's copies.

A reminder is planned, and a pending one kept, only for a day the employee is expected at work
(:func:`services.contracts.rules.absence` and :func:`services.contracts.rules.calendar` through
:func:`services.notify.domain.reminders.expected_at_work`): notify keeps the absences
(``absence.updated``), the tenant's calendar (``directory.updated.v2``) and the letters
(``policy.updated``) for that. Whatever changes the answer moves the reminders: an absence
approved cancels the pending ones of its days (and one cancelled, or cut short, plans them again
from the roster copy), a new calendar or letter cancels those of days that are no longer working
days. Each costs a fixed number of statements, whatever the number of days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import PolicyContent
from services.contracts.rules.absence import Span, excused_span
from services.contracts.rules.calendar import TenantCalendar
from services.contracts.rules.rosters import Entry
from services.contracts.rules.versions import for_day
from services.notify import letters
from services.notify.domain.reminders import expected_at_work
from services.notify.store import Absence, Notification, Tenant, roster_tables
from services.runtime import sql

REMINDER = "roster_day"


async def calendar(session: AsyncSession, tenant: str) -> TenantCalendar | None:
    row = await session.get(Tenant, tenant)
    return TenantCalendar.model_validate(row.calendar) if row is not None and row.calendar else None


async def excused(session: AsyncSession, tenant: str, nips: Iterable[str], start: date,
                  end: date) -> dict[str, list[Span]]:
    """The days the stored absences of ``nips`` excuse, around ``start``..``end``, per NIP."""
    a, found = Absence, defaultdict[str, list[Span]](list)
    rows = await session.execute(select(a.nip, a.start, a.end, a.status, a.cancelled_from).where(
        a.tenant == tenant, sql.among(session, a.nip, sorted(set(nips))), a.start <= end, a.end >= start))
    for r in rows:
        if (span := excused_span(r.status, r.start, r.end, r.cancelled_from)) is not None:
            found[r.nip].append(span)
    return found


async def expected(session: AsyncSession, tenant: str, entries: Iterable[Entry]) -> set[Entry]:
    """Those of the (employee, day) ``entries`` on which the employee is expected at work."""
    wanted = set(entries)
    if not wanted:
        return set()
    days = [day for _, day in wanted]
    start, end = min(days), max(days)
    versions = await letters.between(session, tenant, start, end)
    contents: dict[int, PolicyContent] = {}

    def letter(day: date) -> PolicyContent | None:
        v = for_day(versions, day)
        if v is None:
            return None
        return contents.setdefault(id(v), PolicyContent.model_validate(v.content))

    own = await calendar(session, tenant)
    spans = await excused(session, tenant, (nip for nip, _ in wanted), start, end)
    return {(nip, day) for nip, day in wanted if expected_at_work(day, letter(day), own, spans.get(nip, ()))}


async def cancel(session: AsyncSession, tenant: str, entries: Iterable[Entry], reason: str, *,
                 keep_event: str | None = None) -> int:
    """Cancel the pending reminders of these (employee, day) entries (but those planned by
    ``keep_event``); how many."""
    wanted = {(nip, day.isoformat()) for nip, day in entries}
    if not wanted:
        return 0
    n, days = Notification, sorted(day for _, day in wanted)
    query = select(n.id, n.recipient, n.occurrence).where(
        n.tenant == tenant, n.kind == REMINDER, n.status == "pending",
        sql.among(session, n.recipient, sorted({nip for nip, _ in wanted})),
        n.occurrence >= days[0], n.occurrence <= days[-1])
    if keep_event is not None:
        query = query.where(n.source_event_id != keep_event)
    ids = [r.id for r in await session.execute(query) if (r.recipient, r.occurrence) in wanted]
    return await _cancel_ids(session, ids, reason)


async def recheck(session: AsyncSession, tenant: str) -> int:
    """Cancel the tenant's pending reminders of days no longer expected (its calendar or letter changed)."""
    n = Notification
    rows = (await session.execute(select(n.id, n.recipient, n.occurrence).where(
        n.tenant == tenant, n.kind == REMINDER, n.status == "pending"))).all()
    entries = {r.id: (r.recipient, date.fromisoformat(r.occurrence)) for r in rows}
    still = await expected(session, tenant, entries.values())
    return await _cancel_ids(session, [i for i, entry in entries.items() if entry not in still],
                             "not a working day")


async def office_days(session: AsyncSession, tenant: str, nip: str, days: list[date]) -> list[tuple[date, str | None]]:
    """Of ``days``, those the roster copy has ``nip`` in the office (with the roster's unit)."""
    if not days:
        return []
    d = roster_tables.days.c
    rows = await session.execute(select(d.day, d.unit_id).where(
        d.tenant == tenant, d.nip == nip, d.mode == "wfo", d.day >= min(days), d.day <= max(days)))
    wanted = set(days)
    return sorted((r.day, r.unit_id) for r in rows if r.day in wanted)


async def _cancel_ids(session: AsyncSession, ids: list[str], reason: str) -> int:
    if not ids:
        return 0
    n = Notification
    result = await session.execute(update(n).where(sql.among(session, n.id, ids), n.status == "pending").values(
        status="cancelled", last_error=reason, updated_at=datetime.now(UTC)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
