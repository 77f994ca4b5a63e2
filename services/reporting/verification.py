"""The verification chain in the database: a unit head signs off the unit's day, the BKD accepts
or returns it; every step audited, in the transaction of its change.

A day can be signed off once every window of it that will close has closed
(:func:`.domain.windows.awaiting_closure`, over the windows of
:func:`.domain.windows.day_windows`); until then the sign-off is refused (409). A
second sign-off of the same unit and day changes nothing, unless the BKD returned the
first: then it replaces it and clears the review. The transitions are
:mod:`.domain.sign_off`; the rows are read ``FOR UPDATE`` so that a head and the BKD
acting at the same moment are ordered.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting import queries
from services.reporting.domain import sign_off as rules
from services.reporting.domain.daily_report import SignOff
from services.reporting.domain.windows import awaiting_closure, day_windows
from services.reporting.store import AuditEntry, SignOffReview, Tenant, Verification
from services.runtime import errors


async def require_day_closed(session: AsyncSession, tenant: Tenant, day: date) -> None:
    """Refuse (409) while a window of ``day`` that will close has not closed."""
    windows = day_windows(await queries.versions_for_day(session, tenant.id, day), day, tenant.timezone)
    closed = await queries.closures(session, tenant.id, day)
    if not windows or not closed:
        raise errors.conflict("no_report_yet")
    for w in awaiting_closure(windows, closed):
        raise errors.conflict("window_not_closed", name=w.window.name, window_id=w.window.id)


async def _current(session: AsyncSession, tenant: str, day: date,
                   unit_id: str) -> tuple[Verification | None, SignOffReview | None]:
    key = (tenant, day, unit_id)
    return (await session.get(Verification, key, with_for_update=True),
            await session.get(SignOffReview, key, with_for_update=True))


async def sign_off(session: AsyncSession, tenant: Tenant, day: date, unit_id: str, *, actor: str, roles: list[str],
                   nip: str | None, note: str | None, now: datetime) -> tuple[Verification, SignOffReview | None, bool]:
    """Record the head's sign-off and its audit entry (the day must be closed): (the sign-off,
    its review, whether anything changed)."""
    existing, review = await _current(session, tenant.id, day, unit_id)
    step = rules.head_step(existing is not None, review.decision if review else None)
    if existing is not None and step == "unchanged":
        return existing, review, False
    await require_day_closed(session, tenant, day)
    details: dict[str, object] = {"nip": nip, "note": note}
    if existing is None:
        existing = Verification(tenant=tenant.id, day=day, unit_id=unit_id, verified_by=actor, verified_nip=nip,
                                verified_at=now, note=note)
        session.add(existing)
    else:  # again, after the BKD returned the day
        details["returned_note"] = review.note if review else None
        existing.verified_by, existing.verified_nip, existing.verified_at, existing.note = actor, nip, now, note
        await session.delete(review)
    session.add(AuditEntry(tenant=tenant.id, actor=actor, roles=roles,
                           action="verifikasi_laporan_harian" if step == "first" else "verifikasi_ulang_laporan_harian",
                           target=f"unit:{unit_id}/{day}", details=details, at=now))
    return existing, None, True


async def review(session: AsyncSession, tenant: str, day: date, unit_id: str, wanted: rules.Decision, *,
                 note: str | None, actor: str, roles: list[str], now: datetime,
                 ) -> tuple[Verification, SignOffReview, bool]:
    """The BKD accepts or returns the day's sign-off (409 when none, or when decided otherwise)."""
    existing, current = await _current(session, tenant, day, unit_id)
    step = rules.review_step(existing is not None, current.decision if current else None, wanted)
    if existing is None:
        raise errors.conflict("not_signed_off")
    if current is not None and step == "conflict":
        raise errors.conflict("sign_off_reviewed", decision=current.decision)
    if current is not None:  # the same decision again
        return existing, current, False
    row = SignOffReview(tenant=tenant, day=day, unit_id=unit_id, decision=wanted, note=note, reviewed_by=actor,
                        reviewed_at=now)
    session.add(row)
    session.add(AuditEntry(tenant=tenant, actor=actor, roles=roles,
                           action="terima_verifikasi" if wanted == "accepted" else "kembalikan_verifikasi",
                           target=f"unit:{unit_id}/{day}", details={"decision": wanted, "note": note}, at=now))
    return existing, row, True


async def reviews(session: AsyncSession, tenant: str, day: date) -> dict[str, SignOffReview]:
    """Unit → the BKD's review of its sign-off of ``day``."""
    return {r.unit_id: r for r in await session.scalars(
        select(SignOffReview).where(SignOffReview.tenant == tenant, SignOffReview.day == day))}


async def sign_offs(session: AsyncSession, tenant: str, day: date) -> dict[str, SignOff]:
    """Unit → its sign-off of ``day`` with the BKD's review, if any (for the daily report)."""
    decided = await reviews(session, tenant, day)
    out = {}
    for unit_id, v in (await queries.verifications(session, tenant, day)).items():
        r = decided.get(unit_id)
        out[unit_id] = SignOff(v.verified_by, v.verified_at, cast(rules.Decision | None, r.decision if r else None),
                               r.note if r else None)
    return out
