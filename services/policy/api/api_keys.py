"""The tenant's API keys for integrators: ``POST/GET /v1/api-keys``, ``DELETE /v1/api-keys/{key_id}``.

Only a tenant admin manages keys, and only their own tenant's (the tenant comes from the
credentials; another tenant's key id answers 404 as an unknown one). A key made here holds the
role ``integrator`` and the scopes asked for (:mod:`services.runtime.scopes` decides what each
opens); its secret is in the answer to ``POST`` only, the store keeps its SHA-256
(:mod:`services.runtime.apikeys`, the keys file every service re-reads when it changes, so a
revocation holds at the next request on every service of the host).
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from services.policy.access_schemas import ApiKeyCreated, ApiKeyIn, ApiKeyOut, ApiKeyPage
from services.runtime import apikeys, errors, pages
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES
from services.runtime.pages import After, Limit

router = APIRouter(prefix="/v1", tags=["api keys"], responses=VALIDATION_RESPONSES)
Admin = Annotated[Principal, Depends(role("tenant_admin"))]
KeyId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$", description="the key's id, as `GET /v1/api-keys` lists it")]


def key_out(key: apikeys.ApiKey) -> ApiKeyOut:
    return ApiKeyOut(id=key.id, description=key.description, roles=list(key.roles),
                     scopes=None if key.scopes is None else list(key.scopes),
                     created_at=key.created_at, revoked_at=key.revoked_at)  # type: ignore[arg-type]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED,
             summary="Buat kunci API integrator / create an integrator API key (shown once)",
             description="The key holds the role `integrator` and reaches only the routes of its scopes, in the "
                         "caller's tenant. Its secret is in this answer only; keep it, it cannot be shown again.")
async def create_key(rt: Runtime, body: ApiKeyIn, principal: Admin) -> ApiKeyCreated:
    tenant = principal.require_tenant()
    key, secret = await asyncio.to_thread(apikeys.create, rt.authenticator.api_keys.path, tenant=tenant,
                                          description=body.description, scopes=tuple(body.scopes))
    return ApiKeyCreated(**key_out(key).model_dump(), key=secret)


@router.get("/api-keys", response_model=ApiKeyPage,
            summary="Kunci API instansi / the tenant's API keys (no secrets), by id, a page at a time",
            description="Every key of the caller's tenant with its description, scopes, creation and revocation "
                        "time; never the secret nor its hash. Pass `next_after` as `after` for the next page.")
async def list_keys(rt: Runtime, principal: Admin, limit: Limit = pages.DEFAULT_LIMIT,
                    after: After = None) -> ApiKeyPage:
    tenant = principal.require_tenant()
    keys = sorted((k for k in await asyncio.to_thread(apikeys.load, rt.authenticator.api_keys.path)
                   if k.tenant == tenant and (after is None or k.id > after)), key=lambda k: k.id)
    more = len(keys) > limit
    return ApiKeyPage(items=[key_out(k) for k in keys[:limit]], next_after=keys[limit - 1].id if more else None)


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Cabut kunci API / revoke an API key (from the next request on, on every service)",
               description="The key is marked revoked in the shared key file; every service refuses it from its "
                           "next request. Revoking a revoked key answers 204 again.",
               responses={404: {"description": "no such key in the caller's tenant"}})
async def revoke_key(rt: Runtime, key_id: KeyId, principal: Admin) -> Response:
    tenant = principal.require_tenant()
    try:
        await asyncio.to_thread(apikeys.revoke, rt.authenticator.api_keys.path, key_id, tenant)
    except apikeys.UnknownKey:
        raise errors.not_found(errors.text("api_key")) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
