"""BKD sampling in the database: the tenant's sample size, a day's candidates, the marks.

The candidates of a unit and day are the evaluated location check-ins of that day whose
employee belongs to the unit (the directory's unit, else the one the check-in carried);
the draw is :func:`.domain.sampling.draw`. A mark (verified or rejected) is recorded once
per check-in with who and when, audited: the same result again changes nothing, the other
result is refused (409) unless the caller says ``replace`` (audited as a change).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import CheckinKind
from services.reporting.domain.sampling import DEFAULT_SIZE
from services.reporting.store import AuditEntry, Employee, Evaluation, SampleMark, SamplingSettings
from services.runtime import errors


async def settings_of(session: AsyncSession, tenant: str) -> SamplingSettings | None:
    return await session.get(SamplingSettings, tenant)


async def size_of(session: AsyncSession, tenant: str) -> int:
    own = await settings_of(session, tenant)
    return own.sample_size if own is not None else DEFAULT_SIZE


async def set_size(session: AsyncSession, tenant: str, size: int, *, actor: str, roles: list[str],
                   now: datetime) -> None:
    """The tenant's sample size from now on (audited), in the caller's transaction."""
    await session.merge(SamplingSettings(tenant=tenant, sample_size=size, updated_by=actor, updated_at=now))
    session.add(AuditEntry(tenant=tenant, actor=actor, roles=roles, action="ubah_ukuran_sampel", target="sampling",
                           details={"sample_size": size}, at=now))


@dataclass(frozen=True)
class Candidate:
    checkin_id: str
    unit_id: str
    nip: str
    name: str
    window_id: str | None
    captured_at: datetime
    status: str
    geofence: str
    place_name: str | None
    place_kind: str | None
    distance_m: float | None
    suspicious: bool


async def candidates(session: AsyncSession, tenant: str, day: date, unit_id: str | None) -> dict[str, list[Candidate]]:
    """Unit → the location check-ins of ``day`` of its employees."""
    ev, e = Evaluation.__table__.c, Employee.__table__.c
    unit = func.coalesce(e.unit_id, ev.unit_id)
    query = (select(ev.checkin_id, unit, ev.nip, e.name, ev.window_id, ev.captured_at, ev.status, ev.geofence,
                    ev.nearest_place, ev.place_kind, ev.distance_m, ev.suspicious)
             .select_from(Evaluation.__table__.outerjoin(Employee.__table__,
                                                         (e.tenant == ev.tenant) & (e.nip == ev.nip)))
             .where(ev.tenant == tenant, ev.local_date == day, ev.kind == CheckinKind.LOCATION.value,
                    unit.is_not(None)))
    if unit_id:
        query = query.where(unit == unit_id)
    out: dict[str, list[Candidate]] = {}
    for r in await session.execute(query):
        out.setdefault(r[1], []).append(Candidate(r[0], r[1], r[2], r[3] or "", r[4], r[5], r[6], r[7], r[8], r[9],
                                                  r[10], bool(r[11])))
    return out


async def marks(session: AsyncSession, tenant: str, checkin_ids: list[str]) -> dict[str, SampleMark]:
    if not checkin_ids:
        return {}
    rows = await session.scalars(select(SampleMark).where(SampleMark.tenant == tenant,
                                                          SampleMark.checkin_id.in_(checkin_ids)))
    return {m.checkin_id: m for m in rows}


async def mark(session: AsyncSession, tenant: str, checkin_id: str, result: str, *, note: str | None, replace: bool,
               actor: str, roles: list[str], now: datetime) -> tuple[SampleMark, bool]:
    """Mark a location check-in verified or rejected: (the mark, whether anything changed)."""
    checkin = await session.get(Evaluation, (tenant, checkin_id))
    if checkin is None:
        raise errors.not_found(errors.text("location_checkin"), loc=["path", "checkin_id"])
    if checkin.kind != CheckinKind.LOCATION.value:
        raise errors.invalid(["path", "checkin_id"], errors.text("not_location_checkin"))
    existing = await session.get(SampleMark, (tenant, checkin_id), with_for_update=True)
    if existing is not None and existing.result == result:
        return existing, False
    if existing is not None and not replace:
        raise errors.conflict("sample_marked", result=existing.result)
    details = {"result": result, "note": note, "nip": checkin.nip, "day": checkin.local_date.isoformat()}
    if existing is None:
        existing = SampleMark(tenant=tenant, checkin_id=checkin_id, day=checkin.local_date, nip=checkin.nip,
                              result=result, note=note, marked_by=actor, marked_at=now)
        session.add(existing)
        action = "tandai_sampel"
    else:
        details["previous"] = existing.result
        existing.result, existing.note, existing.marked_by, existing.marked_at = result, note, actor, now
        action = "ubah_tanda_sampel"
    session.add(AuditEntry(tenant=tenant, actor=actor, roles=roles, action=action, target=f"checkin:{checkin_id}",
                           details=details, at=now))
    return existing, True
