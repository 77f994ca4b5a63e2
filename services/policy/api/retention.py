"""The tenant's retention periods (UU PDP 27/2022: limited retention): how many days each kind of
personal data is kept before the retention job reduces it (:mod:`services.contracts.rules.retention`,
:mod:`services.runtime.retention`).

Only ``tenant_admin`` reads and sets them. A change is stored on the tenant and published with the
tenant record (``directory.updated``) in the same transaction, so every service reduces its own data
by the same periods; setting the periods in force publishes nothing.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from typing import Annotated

from fastapi import APIRouter, Depends

from services.contracts.rules.retention import RetentionPeriods, periods_of
from services.policy import publishing
from services.policy.records import tenant_record
from services.policy.schemas import RetentionIn
from services.policy.store import Tenant
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES

router = APIRouter(prefix="/v1", tags=["retention"], responses=VALIDATION_RESPONSES)
Admin = Annotated[Principal, Depends(role("tenant_admin"))]
NOT_SET_UP: dict[int | str, dict[str, str]] = {404: {"description": "tenant not set up yet (`PUT /v1/tenant`)"}}


def _periods_table() -> str:
    """Each period with its meaning, bounds and default, from the model (the one statement of them)."""
    fields = RetentionPeriods.model_json_schema()["properties"]
    return "\n".join(f"- `{name}`: {f['description']}; {f['minimum']}–{f['maximum']} days, default {f['default']}"
                     for name, f in fields.items())


PERIODS = _periods_table()


@router.get("/tenant/retention", response_model=RetentionPeriods, responses=NOT_SET_UP,
            summary="The caller's government's retention periods in force (defaults filled in)",
            description=f"Days each kind of personal data is kept before it is reduced:\n\n{PERIODS}")
async def get_retention(rt: Runtime, principal: Admin) -> RetentionPeriods:
    async with rt.sessions() as session:
        row = await session.get(Tenant, principal.require_tenant())
    if row is None:
        raise errors.not_found(errors.text("tenant"))
    return periods_of(row.retention)


@router.put("/tenant/retention", response_model=RetentionPeriods, responses=NOT_SET_UP,
            summary="Set the caller's government's retention periods",
            description="Every period in days, within its bounds (a value outside answers 422 naming the field "
                        "and the limit); an omitted period takes its default. A change is published with the "
                        "tenant record on `directory.updated`, and every service reduces its data by it from "
                        f"its next retention run.\n\n{PERIODS}")
async def put_retention(rt: Runtime, body: RetentionIn, principal: Admin) -> RetentionPeriods:
    tenant = principal.require_tenant()
    periods = RetentionPeriods.model_validate(body.model_dump())
    async with rt.sessions() as session, session.begin():
        row = await session.get(Tenant, tenant, with_for_update=True)
        if row is None:
            raise errors.not_found(errors.text("tenant"))
        before = tenant_record(row)
        row.retention = periods.model_dump()
        record = tenant_record(row)
        if record != before:
            await publishing.stage_tenant(rt, session, record)
    rt.wake_relay()
    return periods
