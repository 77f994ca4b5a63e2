"""The check-in service's part of the data-subject download (UU PDP 27/2022, the right of
access): ``GET /v1/me/export?format=json|csv``.

Sections: ``profile`` (the directory entry this service keeps of the caller) and ``checkins``
(every check-in of theirs as submitted, with its verdict, the place's name, the head's review
of a report and, while retention has not removed them, the coordinates), in the form of
:mod:`services.runtime.self_export`.

Guarantee: only rows of the token's tenant and NIP; an export that hands out coordinates
stages one ``LocationRead`` (purpose "akses mandiri / self access", the number of check-ins
with coordinates) in the transaction that read them (:mod:`services.checkin.access_log`).
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select

from services.checkin.access_log import log_read
from services.checkin.domain.days import tenant_zone
from services.checkin.domain.reviews import own_view
from services.checkin.store import Checkin, DirectoryEmployee, Review, directory_zone, letters, reviews_of
from services.contracts.rules.purpose import SELF_ACCESS
from services.runtime import self_export
from services.runtime.data_subject import DataSubject
from services.runtime.deps import Runtime
from services.runtime.self_export import SelfExport, times

router = APIRouter(prefix="/v1", tags=["self-service"])

ENDPOINT = "checkin GET /v1/me/export"


@router.get("/me/export", summary="Unduh data saya / download my data (check-ins)", responses=self_export.RESPONSES)
async def export(me: DataSubject, rt: Runtime, format: self_export.FormatQuery = "json") -> Response:
    """The caller's own data held by the check-in service (UU PDP 27/2022, the right of access): their directory
    entry and every check-in as submitted, with its verdict, place name, the head's review and, until retention
    removes them, the coordinates (the read is logged in their own access log). `format=json` (one document) or
    `csv` (one row per field: section, record, field, value)."""
    tenant, nip = me.tenant, me.nip
    async with rt.sessions() as session, session.begin():
        profile = await session.get(DirectoryEmployee, (tenant, nip))
        tz = tenant_zone(await directory_zone(session, tenant), await letters(session, tenant))
        rows = (await session.scalars(select(Checkin).where(Checkin.tenant == tenant, Checkin.employee_id == nip)
                                      .order_by(Checkin.captured_at, Checkin.id))).all()
        decided = await reviews_of(session, tenant, rows)
        located = sum(1 for r in rows if _point(r))
        if located:
            await log_read(session, rt, me.principal, employee_id=nip, purpose=SELF_ACCESS, endpoint=ENDPOINT,
                           data="self_export", records=located)
    if located:
        rt.wake_relay()
    return self_export.response(build(tenant, nip, profile, rows, tz, datetime.now(UTC), decided), format)


def build(tenant: str, nip: str, profile: DirectoryEmployee | None, rows: Sequence[Checkin], tz: str,
          now: datetime, decided: Mapping[str, Review] | None = None) -> SelfExport:
    """The export of what was read (pure); ``decided``: the reviews of the check-ins, by id."""
    return SelfExport("checkin", tenant, nip, now, {
        "profile": [_profile(profile)] if profile is not None else [],
        "checkins": [_checkin(r, tz, (decided or {}).get(r.id)) for r in rows],
    })


def _profile(e: DirectoryEmployee) -> dict[str, Any]:
    return {"nip": e.nip, "name": e.name, "unit_id": e.unit_id, "active": e.active, "is_unit_head": e.is_unit_head,
            "inactive_since": e.inactive_since}


def _point(r: Checkin) -> dict[str, Any] | None:
    """The coordinates retention has not removed, if any."""
    return (r.payload or {}).get("location") or None


def _checkin(r: Checkin, tz: str, review: Review | None) -> dict[str, Any]:
    payload, point, seen = r.payload or {}, _point(r), own_view(r, review)
    return {
        "id": r.id, "kind": r.kind, "unit_id": r.unit_id,
        **times("captured_at", r.captured_at, tz), **times("received_at", r.received_at, tz),
        "status": r.status or "pending", "window_id": r.window_id, "late_minutes": r.late_minutes,
        "geofence": r.geofence, "distance_m": r.distance_m, "place_name": r.place_name, "suspicious": r.suspicious,
        "reasons": r.reasons, **times("evaluated_at", r.evaluated_at, tz),
        "activity_text": payload.get("activity_text"), "attachment_ref": payload.get("attachment_ref"),
        "meeting_ref": payload.get("meeting_ref"), "device_id": payload.get("device_id"),
        "idempotency_key": r.idempotency_key,
        "location": {k: point.get(k) for k in ("latitude", "longitude", "accuracy_m", "mock_location")}
        if point else None,
        **times("coordinates_removed_at", r.reduced_at, tz),
        "review": seen.state if seen else None, "review_note": seen.note if seen else None,
        **times("reviewed_at", seen.at if seen else None, tz),
    }
