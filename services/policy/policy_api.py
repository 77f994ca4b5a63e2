"""Circular letters (Surat Edaran): create, amend (new version), read history."""


import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status
from sqlalchemy import func, select

from services.contracts.events import PolicyUpdated
from services.contracts.policy import PolicyContent
from services.policy.schemas import PolicyIn
from services.policy.store import PolicyVersion, Tenant
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime

PolicyPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")]


def policy_id_from_number(number: str) -> str:
    """``800/258-BKD/2022`` → ``800-258-bkd-2022``."""
    return re.sub(r"[^a-z0-9]+", "-", number.lower()).strip("-")[:100]


def to_event(row: PolicyVersion, timezone: str) -> PolicyUpdated:
    return PolicyUpdated(
        policy_id=row.policy_id, number=row.number, version=row.version, title=row.title,
        signatory=row.signatory, legal_basis=row.legal_basis, valid_from=row.valid_from,
        valid_until=row.valid_until, timezone=timezone, content=PolicyContent.model_validate(row.content),
    )


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["circular letters"])
    Admin = Annotated[Principal, Depends(rt.role("tenant_admin"))]
    Reader = Annotated[Principal, Depends(rt.role("tenant_admin", "unit_head", "employee"))]

    async def add_version(tenant: str, policy_id: str, body: PolicyIn) -> PolicyUpdated:
        async with rt.sessions() as session, session.begin():
            zone = await session.get(Tenant, tenant)
            if zone is None:
                raise HTTPException(status.HTTP_409_CONFLICT,
                                    "Data tenant belum diisi / set the tenant (PUT /v1/tenant) first")
            latest = await session.scalar(
                select(func.max(PolicyVersion.version)).where(
                    PolicyVersion.tenant == tenant, PolicyVersion.policy_id == policy_id)
            )
            now = datetime.now(UTC)
            row = PolicyVersion(
                tenant=tenant, policy_id=policy_id, version=(latest or 0) + 1, number=body.number,
                title=body.title, signatory=body.signatory, legal_basis=body.legal_basis,
                valid_from=body.valid_from, valid_until=body.valid_until, effective_at=now,
                content=body.content.model_dump(mode="json"), created_at=now,
            )
            session.add(row)
            event = to_event(row, zone.timezone)
            await rt.stage(session, event, tenant=tenant)
        rt.wake_relay()
        return event

    @router.post("/policies", status_code=status.HTTP_201_CREATED, response_model=PolicyUpdated)
    async def create_policy(body: PolicyIn, principal: Admin) -> PolicyUpdated:
        return await add_version(principal.require_tenant(), policy_id_from_number(body.number), body)

    @router.post("/policies/{policy_id}/versions", status_code=status.HTTP_201_CREATED,
                 response_model=PolicyUpdated)
    async def amend_policy(policy_id: PolicyPath, body: PolicyIn, principal: Admin) -> PolicyUpdated:
        tenant = principal.require_tenant()
        async with rt.sessions() as session:
            exists = await session.scalar(select(func.count()).select_from(PolicyVersion).where(
                PolicyVersion.tenant == tenant, PolicyVersion.policy_id == policy_id))
        if not exists:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Surat edaran tidak ditemukan / policy not found")
        return await add_version(tenant, policy_id, body)

    @router.get("/policies/{policy_id}/versions", response_model=list[PolicyUpdated])
    async def history(policy_id: PolicyPath, principal: Reader) -> list[PolicyUpdated]:
        tenant = principal.require_tenant()
        async with rt.sessions() as session:
            zone = await session.get(Tenant, tenant)
            rows = (await session.scalars(select(PolicyVersion).where(
                PolicyVersion.tenant == tenant, PolicyVersion.policy_id == policy_id
            ).order_by(PolicyVersion.version))).all()
        if not rows or zone is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "Surat edaran tidak ditemukan / policy not found")
        return [to_event(r, zone.timezone) for r in rows]

    return router
