"""The verification chain in the database: a unit head signs off the unit's day, once, audited.

A day can be signed off once every window of it that will close has closed
(:func:`.domain.windows.awaiting_closure`, over the windows of
:func:`.domain.windows.day_windows`); until then the sign-off is refused (409). A
second sign-off of the same unit and day changes nothing. The sign-off and its audit
entry commit together.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting import queries
from services.reporting.domain.windows import awaiting_closure, day_windows
from services.reporting.store import AuditEntry, Tenant, Verification
from services.runtime import errors


async def require_day_closed(session: AsyncSession, tenant: Tenant, day: date) -> None:
    """Refuse (409) while a window of ``day`` that will close has not closed."""
    windows = day_windows(await queries.versions_for_day(session, tenant.id, day), day, tenant.timezone)
    closed = await queries.closures(session, tenant.id, day)
    if not windows or not closed:
        raise errors.conflict("no_report_yet")
    for w in awaiting_closure(windows, closed):
        raise errors.conflict("window_not_closed", name=w.window.name, window_id=w.window.id)


async def sign_off(session: AsyncSession, tenant: Tenant, day: date, unit_id: str, *, actor: str, roles: list[str],
                   nip: str | None, note: str | None, now: datetime) -> Verification:
    """Record the head's sign-off and its audit entry (the day must be closed)."""
    await require_day_closed(session, tenant, day)
    row = Verification(tenant=tenant.id, day=day, unit_id=unit_id, verified_by=actor, verified_nip=nip,
                       verified_at=now, note=note)
    session.add(row)
    session.add(AuditEntry(tenant=tenant.id, actor=actor, roles=roles, action="verifikasi_laporan_harian",
                           target=f"unit:{unit_id}/{day}", details={"nip": nip, "note": note}, at=now))
    return row
