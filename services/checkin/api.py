"""HTTP API of the check-in service."""


import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services.checkin.schemas import CheckinIn, CheckinOut
from services.checkin.store import Checkin, DirectoryEmployee
from services.contracts.events import CheckinReceived
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime

MAX_FUTURE_SKEW = timedelta(minutes=5)


def field_error(field: str, message: str, code: int = status.HTTP_422_UNPROCESSABLE_CONTENT) -> HTTPException:
    return HTTPException(code, detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}])


def request_hash(body: CheckinIn) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def to_out(row: Checkin) -> CheckinOut:
    return CheckinOut(
        id=uuid.UUID(row.id), employee_id=row.employee_id, unit_id=row.unit_id, kind=row.kind,
        captured_at=row.captured_at, received_at=row.received_at, status=row.status or "pending",
        window_id=row.window_id, late_minutes=row.late_minutes, geofence=row.geofence,
        distance_m=row.distance_m, suspicious=row.suspicious, reasons=row.reasons,
    )


def build_router(rt: ServiceRuntime, max_age_hours: int) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["check-ins"])
    EmployeeP = Annotated[Principal, Depends(rt.role("employee", "unit_head"))]
    HeadP = Annotated[Principal, Depends(rt.role("unit_head", "tenant_admin"))]

    @router.post("/checkins", status_code=status.HTTP_201_CREATED, response_model=CheckinOut,
                 responses={409: {"description": "same Idempotency-Key, different payload"},
                            403: {"description": "unknown or inactive employee"}})
    async def submit(
        body: CheckinIn,
        principal: EmployeeP,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
        traceparent: Annotated[str | None, Header(max_length=100)] = None,
    ) -> CheckinOut:
        tenant = principal.require_tenant()
        if not principal.employee_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Token tanpa NIP / token has no employee NIP")
        now = datetime.now(UTC)
        if body.captured_at - now > MAX_FUTURE_SKEW:
            raise field_error("captured_at", "Waktu di masa depan / captured_at is in the future")
        if now - body.captured_at > timedelta(hours=max_age_hours):
            raise field_error("captured_at", f"Terlambat dikirim / captured_at is older than {max_age_hours} h")
        key = idempotency_key or str(uuid.uuid4())
        digest = request_hash(body)
        async with rt.sessions() as session:
            employee = await session.get(DirectoryEmployee, (tenant, principal.employee_id))
            if employee is None or not employee.active:
                raise HTTPException(status.HTTP_403_FORBIDDEN,
                                    "Pegawai tidak dikenal atau nonaktif / unknown or inactive employee")
            row = Checkin(
                id=str(uuid.uuid4()), tenant=tenant, employee_id=employee.nip, unit_id=employee.unit_id,
                kind=body.kind.value, captured_at=body.captured_at, received_at=now,
                idempotency_key=key, request_hash=digest, payload=body.model_dump(mode="json"),
            )
            event = CheckinReceived(
                checkin_id=uuid.UUID(row.id), employee_id=row.employee_id, unit_id=row.unit_id,
                kind=body.kind, captured_at=body.captured_at, received_at=now, device_id=body.device_id,
                location=body.location.model_dump() if body.location else None,
                activity_text=body.activity_text, attachment_ref=body.attachment_ref,
                meeting_ref=body.meeting_ref,
            )
            session.add(row)
            try:
                await session.flush()
                await rt.stage(session, event, tenant=tenant, traceparent=traceparent)
                await session.commit()
            except IntegrityError:
                await session.rollback()
                existing = await _by_key(session, tenant, employee.nip, key)
                if existing is None:
                    raise
                if existing.request_hash != digest:
                    raise HTTPException(status.HTTP_409_CONFLICT,
                                        "Idempotency-Key sudah dipakai untuk isi lain / "
                                        "Idempotency-Key reused with a different payload") from None
                response.status_code = status.HTTP_200_OK
                response.headers["Idempotent-Replayed"] = "true"
                return to_out(existing)
        rt.wake_relay()
        return to_out(row)

    async def _by_key(session, tenant: str, nip: str, key: str) -> Checkin | None:  # type: ignore[no-untyped-def]
        return await session.scalar(
            select(Checkin).where(Checkin.tenant == tenant, Checkin.employee_id == nip,
                                  Checkin.idempotency_key == key)
        )

    @router.get("/checkins/mine", response_model=list[CheckinOut])
    async def mine(principal: EmployeeP, day: Annotated[date | None, Query(alias="date")] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[CheckinOut]:
        tenant = principal.require_tenant()
        query = select(Checkin).where(Checkin.tenant == tenant, Checkin.employee_id == principal.employee_id)
        return await _list(query, day, limit)

    @router.get("/units/{unit_id}/checkins", response_model=list[CheckinOut])
    async def unit_checkins(unit_id: str, principal: HeadP,
                            day: Annotated[date | None, Query(alias="date")] = None,
                            limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[CheckinOut]:
        tenant = principal.require_tenant()
        if not principal.has("tenant_admin") and principal.unit_id != unit_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Bukan unit Anda / not your unit")
        return await _list(select(Checkin).where(Checkin.tenant == tenant, Checkin.unit_id == unit_id), day, limit)

    async def _list(query, day: date | None, limit: int) -> list[CheckinOut]:  # type: ignore[no-untyped-def]
        if day is not None:
            start = datetime.combine(day, datetime.min.time(), UTC) - timedelta(hours=9)
            query = query.where(Checkin.captured_at >= start, Checkin.captured_at < start + timedelta(hours=33))
        async with rt.sessions() as session:
            rows = (await session.scalars(query.order_by(Checkin.captured_at.desc()).limit(limit))).all()
        return [to_out(r) for r in rows]

    return router
