"""``GET /dashboard/api/missing-now``: who has not checked in yet for the window open now.

The dashboard's "belum check-in" list with WhatsApp and telephone links. The route reads the real
clock and :func:`gather` collects the facts of that moment — the windows of the tenant's local day
under the letters in force, who is expected in the open one (the shared rules, as the daily
report applies them to windows not closed yet: :mod:`services.reporting.reports`), their verdicts
and the day's decisions, unit names and phone numbers (``contacts``, from
``directory.contacts.v1``) — then :mod:`services.reporting.domain.missing_now` decides the window
and the list.

Guarantee: tenant admins see every unit or the one asked for; a unit head only their own (403 for
another): the phone numbers of a unit's employees reach its head and the tenant admin alone.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import local_date
from services.reporting import queries
from services.reporting.api.deps import Reader, scope, tenant_of
from services.reporting.domain.expectations import expected_for_window, place
from services.reporting.domain.ledger import build_rows
from services.reporting.domain.missing_now import MissingNow, build, open_window, pending
from services.reporting.domain.windows import day_windows
from services.reporting.store import Contact, Tenant
from services.runtime.deps import Runtime

DEFAULT_ROWS, MAX_ROWS = 500, 2000  # a province at a window's opening has tens of thousands not in yet

router = APIRouter(tags=["web"])


@router.get("/dashboard/api/missing-now", response_model=MissingNow,
            summary="Who has not checked in yet for the window open now, with contact links")
async def missing_now(rt: Runtime, principal: Reader,
                      unit_id: Annotated[str | None, Query(max_length=100)] = None,
                      limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = DEFAULT_ROWS) -> MissingNow:
    """The window open now in the tenant's local time (start reached, deadline = end + grace not yet) and every
    employee expected in it who has no check-in filling it yet and is not excused (absence, approved correction),
    sorted by unit then name (the first `limit`; `total`: how many in all), with `whatsapp_url` (https://wa.me/62…,
    mobile numbers) and `tel_url` (tel:+62…) from the phone number the directory has (null: none). No window open:
    `window` null and no rows. Tenant admin: the whole tenant or one `unit_id`; unit head: their own unit only (403
    for another)."""
    unit = scope(principal, unit_id)
    async with rt.sessions() as session:
        return await gather(session, await tenant_of(session, principal), unit, datetime.now(UTC), limit)


async def gather(session: AsyncSession, tenant: Tenant, unit_id: str | None, now: datetime,
                 limit: int = DEFAULT_ROWS) -> MissingNow:
    """The facts of ``now`` for the tenant (or one unit), built into the list (at most ``limit`` rows)."""
    day = local_date(now, tenant.timezone)
    calendar = queries.calendar_of(tenant)
    windows = day_windows(await queries.versions_for_day(session, tenant.id, day), day, tenant.timezone)
    current = open_window(windows, day, now, calendar)
    if current is None:
        return build(day, tenant.timezone, None, [], 0, {}, {})
    placed = place(await queries.people(session, tenant.id, unit_id), current.content,
                   await queries.unit_sectors(session, tenant.id, current.content),
                   await queries.roster_modes(session, tenant.id, day))
    asked = expected_for_window(placed, current.content, day, current.window, calendar)
    decisions = await queries.day_decisions(session, tenant.id, day)
    rows = build_rows(current.window.id, asked, await queries.window_facts(session, tenant.id, day, current.window.id),
                      closed=False, decisions=decisions.for_window(current.window.id))
    units = {u.id: u.name for u in (await queries.units(session, tenant.id)).values()}
    listed, total = pending(current, rows, units, limit)
    phones = await _phones(session, tenant.id, [r.nip for r in listed])
    return build(day, tenant.timezone, current, listed, total, units, phones)


async def _phones(session: AsyncSession, tenant: str, nips: list[str]) -> dict[str, str]:
    if not nips:
        return {}
    rows = await session.execute(select(Contact.nip, Contact.phone)
                                 .where(Contact.tenant == tenant, Contact.nip.in_(nips)))
    return {nip: phone for nip, phone in rows}
