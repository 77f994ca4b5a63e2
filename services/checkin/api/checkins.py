"""Submitting check-ins: ``POST /v1/checkins`` (one) and ``POST /v1/checkins/batch`` (up to
500 collected offline, one result per item).

Guarantee: the submitter is checked against the directory (the token's tenant decides),
then every accepted item is stored with its ``checkin.received`` event in one transaction
(:mod:`services.checkin.submission`); a retry under the same key and payload is answered
as the first answer was, never stored twice."""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from pydantic import ValidationError

from services.checkin.api.common import Submitter, forbidden, to_out
from services.checkin.domain.idempotency import Candidate, fingerprint
from services.checkin.schemas import (
    BATCH_EXAMPLE,
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
from services.checkin.submission import Outcome, Refused, Result, Submission
from services.runtime import errors, tracing
from services.runtime.auth import Principal
from services.runtime.deps import Runtime
from services.runtime.group_commit import GroupCommit
from services.runtime.service import ServiceRuntime

router = APIRouter(prefix="/v1", tags=["check-ins"])


async def acceptance(request: Request) -> GroupCommit[Submission, Result]:
    """The service's check-in group commit (:func:`services.checkin.app.build` makes it)."""
    return request.app.state.acceptance  # type: ignore[no-any-return]


Acceptor = Annotated[GroupCommit[Submission, Result], Depends(acceptance)]


async def accept(rt: ServiceRuntime, gc: GroupCommit[Submission, Result], principal: Principal,
                 candidates: list[Candidate], traceparent: str | None) -> list[Outcome]:
    """Store the candidates of the token's employee (checked against the directory, the token's
    tenant decides) with their events, in the transaction of a group commit that concurrent
    submissions share (:mod:`services.checkin.submission`)."""
    tenant = principal.require_tenant()
    if not principal.employee_id:
        raise forbidden("missing_nip")
    result = await gc.submit(Submission(tenant, principal.employee_id, candidates, traceparent))
    if isinstance(result, Refused):
        raise forbidden(result.kind, nip=principal.employee_id)
    if any(o.stored for o in result):
        rt.wake_relay()
    return result


def problems(outcome: Outcome) -> list[FieldError]:
    """An outcome's problems in the current request's language."""
    return [errors.make([p.field], p.type, p.msg or errors.text(p.type)) for p in outcome.problems]


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
    gc: Acceptor,
    idempotency_key: Annotated[str | None, Header(pattern=IDEMPOTENCY_KEY_PATTERN)] = None,
) -> CheckinOut:
    """Store a check-in and publish ``checkin.received``. A retry with the same
    `Idempotency-Key` and payload answers 201 again with the stored check-in and
    `Idempotent-Replayed: true`."""
    key = idempotency_key or str(uuid.uuid4())
    [outcome] = await accept(rt, gc, principal, [Candidate(0, key, body, fingerprint(body))], tracing.current())
    if outcome.row is None:
        raise HTTPException(outcome.status, detail=errors.detail(*(_single_loc(e) for e in problems(outcome))))
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return to_out(outcome.row)


def _batch_openapi() -> dict[str, Any]:
    item = BatchItemIn.model_json_schema(ref_template="#/components/schemas/{model}")
    item.pop("$defs", None)
    body = {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH_ITEMS, "items": item,
                  "description": BatchIn.model_fields["items"].description, "examples": [BATCH_EXAMPLE]}}}
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": body, "example": {"items": BATCH_EXAMPLE}}}}}


@router.post(
    "/checkins/batch", response_model=BatchOut, summary="Submit check-ins collected offline",
    openapi_extra=_batch_openapi(),
    responses={403: {"description": "the token's NIP is unknown in its tenant, or inactive"},
               422: {"description": "not a list of 1-500 items"}},
)
async def submit_batch(body: BatchIn, principal: Submitter, rt: Runtime, gc: Acceptor) -> BatchOut:
    """Up to 500 check-ins, each with its own `idempotency_key`; one result per item
    (201 stored or replayed, 409 key reused with another payload, 422 invalid). Accepted
    items are stored with their events in one transaction; rejected ones store nothing."""
    candidates: list[Candidate] = []
    invalid: list[ItemResult] = []
    for index, raw in enumerate(body.items):
        try:
            item = BatchItemIn.model_validate(raw)
        except ValidationError as exc:
            invalid.append(ItemResult(index=index, status=422, idempotency_key=_raw_key(raw), replayed=False,
                                      errors=_item_errors(index, errors.field_errors(exc.errors()))))
        else:
            candidates.append(Candidate(index, item.idempotency_key, item, fingerprint(item)))
    outcomes = await accept(rt, gc, principal, candidates, tracing.current())
    results = sorted([*invalid, *map(_item_result, outcomes)], key=lambda r: r.index)
    return BatchOut(
        accepted=sum(o.stored for o in outcomes),
        replayed=sum(o.replayed for o in outcomes),
        rejected=sum(r.status != 201 for r in results),
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
        checkin=to_out(o.row) if o.row is not None else None, errors=_item_errors(o.index, problems(o)),
    )


def _item_errors(index: int, found: list[FieldError]) -> list[FieldError] | None:
    return [errors.relocated(e, ["body", "items", index, *e.loc]) for e in found] or None


def _raw_key(raw: object) -> str | None:
    key = raw.get("idempotency_key") if isinstance(raw, dict) else None
    return key if isinstance(key, str) and len(key) <= 200 else None
