"""Directory routes: the caller's tenant, its units (OPD tree) and employees."""


from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import DirectoryUpdated, EmployeeRecord, TenantRecord, UnitRecord
from services.contracts.policy import Sector
from services.policy.domain.nip import NipError, parse_nip
from services.policy.records import employee_record, tenant_record, unit_record
from services.policy.schemas import ID_PATTERN, EmployeeIn, TenantIn, UnitIn
from services.policy.store import Employee, Tenant, Unit
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime

NipPath = Annotated[str, Path(description="NIP, 18 digits")]
UnitPath = Annotated[str, Path(pattern=ID_PATTERN)]


def not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} tidak ditemukan / not found")


async def effective_sector(session: AsyncSession, tenant: str, parent_id: str | None, own: str | None) -> str:
    """A sub-unit inherits its department's sector unless it overrides it."""
    if own:
        return own
    if parent_id:
        parent = await session.get(Unit, (tenant, parent_id))
        if parent is not None:
            return parent.effective_sector
    return Sector.NON_ESSENTIAL.value


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["directory"])
    Admin = Annotated[Principal, Depends(rt.role("tenant_admin"))]
    Reader = Annotated[Principal, Depends(rt.role("tenant_admin", "unit_head"))]

    async def publish(session: AsyncSession, tenant: str, event: DirectoryUpdated) -> None:
        await rt.stage(session, event, tenant=tenant)

    @router.put("/tenant", response_model=TenantRecord)
    async def put_tenant(body: TenantIn, principal: Admin) -> TenantRecord:
        tenant = principal.require_tenant()
        async with rt.sessions() as session, session.begin():
            row = await session.merge(Tenant(id=tenant, **body.model_dump()))
            record = tenant_record(row)
            await publish(session, tenant, DirectoryUpdated(entity="tenant", tenant=record))
        rt.wake_relay()
        return record

    @router.get("/tenant", response_model=TenantRecord)
    async def get_tenant(principal: Reader) -> TenantRecord:
        async with rt.sessions() as session:
            row = await session.get(Tenant, principal.require_tenant())
        if row is None:
            raise not_found("Tenant")
        return tenant_record(row)

    @router.put("/units/{unit_id}", response_model=UnitRecord)
    async def put_unit(unit_id: UnitPath, body: UnitIn, principal: Admin) -> UnitRecord:
        tenant = principal.require_tenant()
        async with rt.sessions() as session, session.begin():
            if body.parent_id == unit_id:
                raise HTTPException(422, [{"loc": ["body", "parent_id"], "msg": "unit cannot be its own parent",
                                           "type": "value_error"}])
            if body.parent_id and await session.get(Unit, (tenant, body.parent_id)) is None:
                raise HTTPException(422, [{"loc": ["body", "parent_id"],
                                           "msg": f"unit induk {body.parent_id!r} tidak ada / unknown parent unit",
                                           "type": "value_error"}])
            sector = await effective_sector(session, tenant, body.parent_id, body.sector)
            row = await session.merge(Unit(
                tenant=tenant, id=unit_id, name=body.name, kind=body.kind, parent_id=body.parent_id,
                sector=body.sector.value if body.sector else None, effective_sector=sector, active=body.active))
            record = unit_record(row)
            await publish(session, tenant, DirectoryUpdated(entity="unit", unit=record))
        rt.wake_relay()
        return record

    @router.get("/units", response_model=list[UnitRecord])
    async def list_units(principal: Reader) -> list[UnitRecord]:
        async with rt.sessions() as session:
            rows = await session.scalars(select(Unit).where(Unit.tenant == principal.require_tenant()).order_by(Unit.id))
            return [unit_record(r) for r in rows]

    @router.put("/employees/{nip}", response_model=EmployeeRecord)
    async def put_employee(nip: NipPath, body: EmployeeIn, principal: Admin) -> EmployeeRecord:
        tenant = principal.require_tenant()
        try:
            parse_nip(nip)
        except NipError as exc:
            raise HTTPException(422, [{"loc": ["path", "nip", exc.part], "msg": str(exc), "type": "nip_error"}]) from exc
        async with rt.sessions() as session, session.begin():
            if await session.get(Unit, (tenant, body.unit_id)) is None:
                raise HTTPException(422, [{"loc": ["body", "unit_id"],
                                           "msg": f"unit {body.unit_id!r} tidak ada / unknown unit", "type": "value_error"}])
            data = body.model_dump(mode="json")
            row = await session.merge(Employee(tenant=tenant, nip=nip, **data))
            record = employee_record(row)
            await publish(session, tenant, DirectoryUpdated(entity="employee", employee=record))
        rt.wake_relay()
        return record

    @router.get("/employees/{nip}", response_model=EmployeeRecord)
    async def get_employee(nip: NipPath, principal: Reader) -> EmployeeRecord:
        async with rt.sessions() as session:
            row = await session.get(Employee, (principal.require_tenant(), nip))
        if row is None or (not principal.has("tenant_admin") and row.unit_id != principal.unit_id):
            raise not_found("Pegawai / employee")
        return employee_record(row)

    return router
