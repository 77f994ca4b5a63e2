"""Submitting check-ins: ``POST /v1/checkins`` (one) and ``POST /v1/checkins/batch`` (up to
500 collected offline, one result per item).

Guarantee: the submitter is checked against the directory (the token's tenant decides),
then every accepted item is stored with its ``checkin.received`` event in one transaction
(:mod:`services.checkin.submission`); a retry under the same key and payload is answered
as the first answer was, never stored twice."""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Response, status
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin import submission
from services.checkin.api.common import Submitter, forbidden, to_out
from services.checkin.domain.idempotency import Candidate, fingerprint
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
from services.checkin.store import DirectoryEmployee
from services.checkin.submission import Outcome
from services.runtime import errors, outbox, tracing
from services.runtime.auth import Principal
from services.runtime.deps import Runtime
from services.runtime.service import ServiceRuntime

router = APIRouter(prefix="/v1", tags=["check-ins"])


async def accept(rt: ServiceRuntime, principal: Principal, candidates: list[Candidate],
                 traceparent: str | None) -> list[Outcome]:
    """Check the submitter against the directory, then store the candidates in one transaction
    (a group commit's: concurrent submissions share it, each in a savepoint of its own)."""
    tenant = principal.require_tenant()
    if not principal.employee_id:
        raise forbidden("missing_nip")

    async def store(session: AsyncSession) -> list[Outcome]:
        # Accepted now, inside the transaction: a watermark read while the job still queued or ran
        # counts it as open (services.checkin.domain.watermark), whatever the wait in the queue.
        now = datetime.now(UTC)
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
        return outcomes

    outcomes = await rt.group_commit.run(principal.row_scope(), store)
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
    principal: Submitter,
    response: Response,
    rt: Runtime,
    idempotency_key: Annotated[str | None, Header(pattern=IDEMPOTENCY_KEY_PATTERN)] = None,
) -> CheckinOut:
    """Store a check-in and publish ``checkin.received``. A retry with the same
    `Idempotency-Key` and payload answers 201 again with the stored check-in and
    `Idempotent-Replayed: true`."""
    key = idempotency_key or str(uuid.uuid4())
    [outcome] = await accept(rt, principal, [Candidate(0, key, body, fingerprint(body))], tracing.current())
    if outcome.row is None:
        raise HTTPException(outcome.status, detail=errors.detail(*(_single_loc(e) for e in outcome.errors)))
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return to_out(outcome.row)


def _batch_openapi() -> dict[str, Any]:
    item = BatchItemIn.model_json_schema(ref_template="#/components/schemas/{model}")
    item.pop("$defs", None)
    body = {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH_ITEMS, "items": item}}}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}


@router.post(
    "/checkins/batch", response_model=BatchOut, summary="Submit check-ins collected offline",
    openapi_extra=_batch_openapi(),
    responses={403: {"description": "the token's NIP is unknown in its tenant, or inactive"},
               422: {"description": "not a list of 1-500 items"}},
)
async def submit_batch(body: BatchIn, principal: Submitter, rt: Runtime) -> BatchOut:
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
    outcomes += await accept(rt, principal, candidates, tracing.current())
    results = [_item_result(o) for o in sorted(outcomes, key=lambda o: o.index)]
    return BatchOut(
        accepted=sum(o.stored for o in outcomes),
        replayed=sum(o.replayed for o in outcomes),
        rejected=sum(o.status != 201 for o in outcomes),
        results=results,
    )


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
