"""HTTP API of the check-in service: submit (single and offline batch) and read."""


import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response, status
from pydantic import ValidationError
from sqlalchemy import Select, select

from services.checkin import submission
from services.checkin.domain import DEFAULT_ZONE, as_utc, fingerprint
from services.checkin.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    MAX_BATCH_ITEMS,
    BatchIn,
    BatchItemIn,
    BatchOut,
    CheckinIn,
    CheckinOut,
    FieldError,
    ItemResult,
)
from services.checkin.store import Checkin, DirectoryEmployee, DirectoryTenant
from services.checkin.submission import Candidate, Outcome
from services.contracts.policy import CheckinKind
from services.runtime import errors, outbox, tracing
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime

NIP_LOC: list[str | int] = ["header", "authorization", "nip"]


def to_out(row: Checkin) -> CheckinOut:
    return CheckinOut(
        id=uuid.UUID(row.id), employee_id=row.employee_id, unit_id=row.unit_id, kind=CheckinKind(row.kind),
        captured_at=as_utc(row.captured_at), received_at=as_utc(row.received_at), status=row.status or "pending",
        window_id=row.window_id, late_minutes=row.late_minutes, geofence=row.geofence,
        distance_m=row.distance_m, suspicious=row.suspicious, reasons=row.reasons,
    )


def forbidden(kind: str, **ctx: Any) -> HTTPException:
    return errors.forbidden(kind, loc=NIP_LOC, **ctx)


def _batch_openapi() -> dict[str, Any]:
    item = BatchItemIn.model_json_schema(ref_template="#/components/schemas/{model}")
    item.pop("$defs", None)
    body = {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH_ITEMS, "items": item}}}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["check-ins"])
    EmployeeP = Annotated[Principal, Depends(rt.role("employee", "unit_head"))]
    HeadP = Annotated[Principal, Depends(rt.role("unit_head", "tenant_admin"))]

    async def accept(principal: Principal, candidates: list[Candidate], traceparent: str | None) -> list[Outcome]:
        """Check the submitter against the directory, then store the candidates in one transaction."""
        tenant = principal.require_tenant()
        if not principal.employee_id:
            raise forbidden("missing_nip")
        now = datetime.now(UTC)

        async with rt.sessions() as session, session.begin():
            # The token's tenant decides: a NIP known only in another tenant is unknown here.
            employee = await session.get(DirectoryEmployee, (tenant, principal.employee_id))
            if employee is None:
                raise forbidden("unknown_employee", nip=principal.employee_id)
            if not employee.active:
                raise forbidden("inactive_employee", nip=principal.employee_id)
            context = await submission.load_context(session, tenant, employee)
            outcomes, events = await submission.store(session, tenant=tenant, context=context,
                                                      candidates=candidates, now=now)
            await outbox.stage_many(session, rt.outbox, events, tenant=tenant, source=rt.source,
                                    traceparent=traceparent)
        if any(o.stored for o in outcomes):
            rt.wake_relay()
        return outcomes

    @router.post(
        "/checkins", status_code=status.HTTP_201_CREATED, response_model=CheckinOut,
        summary="Submit one check-in",
        responses={
            403: {"description": "the token's NIP is unknown in its tenant, or inactive"},
            409: {"description": "the Idempotency-Key was used before with a different payload"},
            422: {"description": "invalid field; `detail[].loc` names it"},
        },
    )
    async def submit(
        body: CheckinIn,
        principal: EmployeeP,
        response: Response,
        idempotency_key: Annotated[str | None, Header(pattern=IDEMPOTENCY_KEY_PATTERN)] = None,
            ) -> CheckinOut:
        """Store a check-in and publish ``checkin.received``. A retry with the same
        `Idempotency-Key` and payload answers 201 again with the stored check-in and
        `Idempotent-Replayed: true`."""
        key = idempotency_key or str(uuid.uuid4())
        [outcome] = await accept(principal, [Candidate(0, key, body, fingerprint(body))], tracing.current())
        if outcome.row is None:
            raise HTTPException(outcome.status, detail=errors.detail(*(_single_loc(e) for e in outcome.errors)))
        if outcome.replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return to_out(outcome.row)

    @router.post(
        "/checkins/batch", response_model=BatchOut, summary="Submit check-ins collected offline",
        openapi_extra=_batch_openapi(),
        responses={403: {"description": "the token's NIP is unknown in its tenant, or inactive"},
                   422: {"description": "not a list of 1-500 items"}},
    )
    async def submit_batch(body: BatchIn, principal: EmployeeP) -> BatchOut:
        """Up to 500 check-ins, each with its own `idempotency_key`; one result per item
        (201 stored or replayed, 409 key reused with another payload, 422 invalid). Accepted
        items are stored with their events in one transaction; rejected ones store nothing."""
        candidates: list[Candidate] = []
        outcomes: list[Outcome] = []
        for index, raw in enumerate(body.items):
            try:
                item = BatchItemIn.model_validate(raw)
            except ValidationError as exc:
                outcomes.append(Outcome(index, 422, _raw_key(raw), errors=errors.field_errors(exc.errors())))
            else:
                candidates.append(Candidate(index, item.idempotency_key, item, fingerprint(item)))
        outcomes += await accept(principal, candidates, tracing.current())
        results = [_item_result(o) for o in sorted(outcomes, key=lambda o: o.index)]
        return BatchOut(
            accepted=sum(o.stored for o in outcomes),
            replayed=sum(o.replayed for o in outcomes),
            rejected=sum(o.status != 201 for o in outcomes),
            results=results,
        )

    @router.get("/checkins/mine", response_model=list[CheckinOut], summary="My check-ins with their verdicts")
    async def mine(principal: EmployeeP, day: Annotated[date | None, Query(alias="date")] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[CheckinOut]:
        tenant = principal.require_tenant()
        if not principal.employee_id:
            raise forbidden("missing_nip")
        query = select(Checkin).where(Checkin.tenant == tenant, Checkin.employee_id == principal.employee_id)
        return await _list(tenant, query, day, limit)

    @router.get("/units/{unit_id}/checkins", response_model=list[CheckinOut],
                summary="Check-ins of one unit (its head, or the tenant's admin)")
    async def unit_checkins(unit_id: Annotated[str, Path(max_length=100, pattern=r"^[^\x00]*$")], principal: HeadP,
                            day: Annotated[date | None, Query(alias="date")] = None,
                            limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[CheckinOut]:
        tenant = principal.require_tenant()
        if not principal.has("tenant_admin") and principal.unit_id != unit_id:
            raise errors.forbidden("not_your_unit", loc=["path", "unit_id"])
        return await _list(tenant, select(Checkin).where(Checkin.tenant == tenant, Checkin.unit_id == unit_id),
                           day, limit)

    async def _list(tenant: str, query: Select[Any], day: date | None, limit: int) -> list[CheckinOut]:
        """Newest first; ``day`` is a calendar day in the tenant's zone."""
        async with rt.sessions() as session:
            if day is not None:
                tenant_row = await session.get(DirectoryTenant, tenant)
                start, end = _day_bounds(day, tenant_row.timezone if tenant_row else DEFAULT_ZONE)
                query = query.where(Checkin.captured_at >= start, Checkin.captured_at < end)
            rows = (await session.scalars(query.order_by(Checkin.captured_at.desc()).limit(limit))).all()
        return [to_out(r) for r in rows]

    return router


def _day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    try:
        start = datetime.combine(day, time.min, zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC)
    except OverflowError:
        raise errors.invalid(["query", "date"], errors.text("date_out_of_range"), "date_out_of_range") from None
    return start, end


def _single_loc(error: FieldError) -> FieldError:
    """Errors of a single POST: body fields under ``body``, the key is the header."""
    if error.loc == ["idempotency_key"]:
        return errors.relocated(error, ["header", "idempotency-key"])
    return errors.relocated(error, ["body", *error.loc])


def _item_result(o: Outcome) -> ItemResult:
    return ItemResult(
        index=o.index, status=o.status, idempotency_key=o.key, replayed=o.replayed,
        checkin=to_out(o.row) if o.row is not None else None,
        errors=[errors.relocated(e, ["body", "items", o.index, *e.loc]) for e in o.errors] or None,
    )


def _raw_key(raw: object) -> str | None:
    key = raw.get("idempotency_key") if isinstance(raw, dict) else None
    return key if isinstance(key, str) and len(key) <= 200 else None
