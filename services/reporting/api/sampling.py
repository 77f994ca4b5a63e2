"""BKD sampling of location check-ins ("akan kami verifikasi sampling"), ``tenant_admin`` only:

- ``GET``/``PUT /sampling`` — the tenant's sample size per unit and day (1–100, default 5; audited);
- ``GET /daily/{date}/sample?unit_id=&seed=`` — the reproducible sample of that day's location
  check-ins per unit (:mod:`services.reporting.domain.sampling`), each with its mark; the
  verdict, nearest place and distance only, never coordinates;
- ``POST /samples/{checkin_id}/mark`` — verified or rejected, with who and when (audited): 201
  the first time, 200 the same result again, 409 another result unless ``replace``.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response, status

from services.contracts.policy import zone_abbreviation
from services.reporting import queries, sampling
from services.reporting.api.deps import Admin, UnitQ, tenant_of
from services.reporting.domain.daily_report import local_text
from services.reporting.domain.sampling import draw
from services.reporting.schemas import MarkIn, MarkOut, SampleItem, SampleOut, SampleUnit, SamplingIn, SamplingOut
from services.reporting.store import SampleMark
from services.runtime import errors
from services.runtime.deps import Runtime

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _mark(m: SampleMark) -> MarkOut:
    return MarkOut(checkin_id=m.checkin_id, result=m.result,  # type: ignore[arg-type]
                   note=m.note, marked_by=m.marked_by, marked_at=m.marked_at)


@router.get("/sampling", response_model=SamplingOut, summary="Ukuran sampel BKD / the BKD's sample size")
async def get_sampling(rt: Runtime, principal: Admin) -> SamplingOut:
    """How many location check-ins per unit and day the BKD's sample draws (`source`: `tenant` or `default`, 5).
    Tenant admin."""
    async with rt.sessions() as session:
        own = await sampling.settings_of(session, principal.require_tenant())
    if own is None:
        return SamplingOut(sample_size=sampling.DEFAULT_SIZE, source="default")
    return SamplingOut(sample_size=own.sample_size, source="tenant", updated_by=own.updated_by,
                       updated_at=own.updated_at)


@router.put("/sampling", response_model=SamplingOut, summary="Ubah ukuran sampel / set the sample size")
async def put_sampling(rt: Runtime, body: SamplingIn, principal: Admin) -> SamplingOut:
    """Sets the sample size per unit and day (1 to 100). Audited. Tenant admin."""
    now = datetime.now(UTC)
    async with rt.sessions() as session, session.begin():
        await sampling.set_size(session, principal.require_tenant(), body.sample_size, actor=principal.subject,
                                roles=sorted(principal.roles), now=now)
    return SamplingOut(sample_size=body.sample_size, source="tenant", updated_by=principal.subject, updated_at=now)


@router.get("/daily/{date}/sample", response_model=SampleOut,
            summary="Sampel check-in lokasi untuk diverifikasi / a reproducible sample of location check-ins")
async def sample(rt: Runtime, principal: Admin, day: Annotated[date, Path(alias="date")], unit_id: UnitQ = None,
                 seed: Annotated[str, Query(max_length=100, pattern=r"^[^\x00]*$")] = "") -> SampleOut:
    """A reproducible sample of the day's location check-ins per unit (the same `seed` draws the same sample), each
    with its verdict, nearest place, distance and the BKD's mark, never coordinates; times also in the tenant's
    local zone. Filter with `unit_id`. Tenant admin."""
    async with rt.sessions() as session:
        tenant = await tenant_of(session, principal)
        units = await queries.units(session, tenant.id)
        if unit_id and unit_id not in units:
            raise errors.not_found(errors.text("unit"), loc=["query", "unit_id"])
        size = await sampling.size_of(session, tenant.id)
        found = await sampling.candidates(session, tenant.id, day, unit_id)
        drawn = {uid: set(draw((c.checkin_id for c in cands), tenant=tenant.id, day=day, unit_id=uid, seed=seed,
                               size=size)) for uid, cands in found.items()}
        marked = await sampling.marks(session, tenant.id, sorted(i for ids in drawn.values() for i in ids))
    out = []
    for uid in sorted(found):
        items = sorted((c for c in found[uid] if c.checkin_id in drawn[uid]), key=lambda c: (c.captured_at,
                                                                                             c.checkin_id))
        out.append(SampleUnit(unit_id=uid, name=units[uid].name if uid in units else uid, candidates=len(found[uid]),
                              items=[SampleItem(
                                  checkin_id=c.checkin_id, nip=c.nip, name=c.name, window_id=c.window_id,
                                  captured_at=c.captured_at, captured_local=local_text(c.captured_at, tenant.timezone),
                                  status=c.status, geofence=c.geofence, place_name=c.place_name,
                                  place_kind=c.place_kind, distance_m=c.distance_m, suspicious=c.suspicious,
                                  mark=_mark(marked[c.checkin_id]) if c.checkin_id in marked else None)
                                  for c in items]))
    return SampleOut(date=day, seed=seed, sample_size=size, zone=zone_abbreviation(tenant.timezone), units=out)


@router.post("/samples/{checkin_id}/mark", response_model=MarkOut, status_code=status.HTTP_201_CREATED,
             summary="Tandai sampel terverifikasi/ditolak / mark a sampled check-in verified or rejected",
             responses={200: {"description": "the same result again (unchanged)"},
                        409: {"description": "marked otherwise already; send replace=true to change it"}})
async def mark(rt: Runtime, principal: Admin, checkin_id: UUID, body: MarkIn, response: Response) -> MarkOut:
    """Marks a sampled check-in `verified` or `rejected`, with an optional note: 201 the first time, 200 when the
    same result is sent again, 409 for another result unless `replace` is true. Audited. Tenant admin."""
    async with rt.sessions() as session, session.begin():
        row, changed = await sampling.mark(session, principal.require_tenant(), str(checkin_id), body.result,
                                           note=body.note, replace=body.replace, actor=principal.subject,
                                           roles=sorted(principal.roles), now=datetime.now(UTC))
        out = _mark(row)
    if not changed:
        response.status_code = status.HTTP_200_OK
    return out
