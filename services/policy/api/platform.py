"""The platform operator's routes: ``POST /v1/platform/tenants`` creates a government (tenant).

Only ``platform_admin`` (a bearer token; never an API key) creates tenants. The body is
validated (id pattern, name, kind, one of Indonesia's three zones); the tenant is stored and
published exactly as ``PUT /v1/tenant`` does (:func:`services.policy.directory.save_tenant`);
an existing id answers 409 and changes nothing. Optionally the tenant's first ``tenant_admin``
API key is created with it, its secret in this answer only.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, status

from services.policy import directory
from services.policy.access_schemas import ApiKeyCreated, PlatformTenantCreated, PlatformTenantIn
from services.policy.api.api_keys import key_out
from services.policy.store import Tenant
from services.runtime import apikeys, errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES

router = APIRouter(prefix="/v1/platform", tags=["platform"], responses=VALIDATION_RESPONSES)
Operator = Annotated[Principal, Depends(role("platform_admin"))]


@router.post("/tenants", response_model=PlatformTenantCreated, status_code=status.HTTP_201_CREATED,
             summary="Daftarkan instansi / create a tenant (platform operator)",
             description="Validates the tenant's id, name, kind and zone, creates it and publishes it to every "
                         "service as `PUT /v1/tenant` does; with `admin_key`, also creates the tenant's first "
                         "tenant-admin API key (shown once).",
             responses={409: {"description": "a tenant with this id exists"}})
async def create_tenant(rt: Runtime, body: PlatformTenantIn, principal: Operator) -> PlatformTenantCreated:
    async with rt.sessions() as session, session.begin():
        if await session.get(Tenant, body.id) is not None:
            raise errors.conflict("tenant_exists", tenant=body.id)
        record = await directory.save_tenant(rt, session, body.id, body.name, body.kind, body.timezone)
    rt.wake_relay()
    created = None
    if body.admin_key is not None:
        key, secret = await asyncio.to_thread(apikeys.create, rt.authenticator.api_keys.path, tenant=body.id,
                                              roles=("tenant_admin",), description=body.admin_key.description)
        created = ApiKeyCreated(**key_out(key).model_dump(), key=secret)
    return PlatformTenantCreated(tenant=record, admin_key=created)
