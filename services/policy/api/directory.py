"""Directory routes: the caller's tenant, its units (OPD tree) and employees.

Writes need ``tenant_admin``. Reads: a tenant admin sees everything; a unit head
sees their own unit's employees; an employee sees their own record. Every change
publishes ``directory.updated``; a write that changes nothing publishes nothing.

Need to know: every employee these routes return is a :func:`.views.employee_view`, which holds
no coordinates (exact ones: the logged, purpose-bound reads of :mod:`.privacy` and :mod:`.me`).
"""


from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import EmployeeRecord, Place, TenantRecord, UnitRecord
from services.contracts.policy import local_date
from services.policy import directory
from services.policy.domain.nip import NipError, parse_nip
from services.policy.domain.places import set_place
from services.policy.domain.unit_tree import UnitSpec, tree_problems
from services.policy.records import employee_record, tenant_record, unit_record
from services.policy.schemas import (
    ID_PATTERN,
    EmployeeIn,
    EmployeeOut,
    EmployeePage,
    PlaceIn,
    TenantIn,
    UnitIn,
    UnitPage,
)
from services.policy.store import Employee, Tenant, Unit
from services.policy.views import employee_view
from services.runtime import errors, pages
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES
from services.runtime.pages import After, Limit
from services.runtime.service import ServiceRuntime

DEFAULT_ZONE = "Asia/Jakarta"
NipPath = Annotated[str, Path(description="NIP, 18 digits (spaces allowed)", max_length=40)]
UnitPath = Annotated[str, Path(pattern=ID_PATTERN)]
PlaceName = Annotated[str, Path(min_length=1, max_length=60, description="e.g. Rumah, Kantor")]
NO_COORDINATES = (" Places show their name, kind, radius and validity, never coordinates (exact ones: "
                  "`GET /v1/employees/{nip}/places?purpose=…`, each read logged).")


def checked_nip(nip: str, loc: tuple[str, ...] = ("path", "nip")) -> str:
    """The NIP's 18 digits, or a 422 naming the bad part (``loc`` ends with the part)."""
    try:
        return str(parse_nip(nip))
    except NipError as exc:
        raise errors.invalid((*loc, exc.part), exc.message, "nip_error") from exc


async def tenant_zone(session: AsyncSession, tenant: str) -> str:
    row = await session.get(Tenant, tenant)
    return row.timezone if row else DEFAULT_ZONE


router = APIRouter(prefix="/v1", tags=["directory"], responses=VALIDATION_RESPONSES)
Admin = Annotated[Principal, Depends(role("tenant_admin"))]
Reader = Annotated[Principal, Depends(role("tenant_admin", "unit_head"))]
Anyone = Annotated[Principal, Depends(role("tenant_admin", "unit_head", "employee"))]


@router.put("/tenant", response_model=TenantRecord, summary="Create or change the caller's government")
async def put_tenant(rt: Runtime, body: TenantIn, principal: Admin) -> TenantRecord:
    """Sets the name, kind (province, regency, city) and IANA time zone (`Asia/Jakarta` WIB, `Asia/Makassar` WITA,
    `Asia/Jayapura` WIT) of the government the caller's token names; the tenant id comes from the token, never from
    the body. A change is published to the other services. Tenant admin."""
    tenant = principal.require_tenant()
    async with rt.sessions() as session, session.begin():
        record = await directory.save_tenant(rt, session, tenant, body.name, body.kind, body.timezone)
    rt.wake_relay()
    return record


@router.get("/tenant", response_model=TenantRecord, summary="The caller's government",
            responses={404: {"description": "tenant not set up yet"}})
async def get_tenant(rt: Runtime, principal: Anyone) -> TenantRecord:
    """The caller's government: name, kind, time zone, retention periods and calendar. 404 until it is set up. Any
    role of the tenant."""
    async with rt.sessions() as session:
        row = await session.get(Tenant, principal.require_tenant())
    if row is None:
        raise errors.not_found(errors.text("tenant"))
    return tenant_record(row)


@router.put(
    "/units/{unit_id}", response_model=UnitRecord, summary="Create or change a unit (OPD, branch, balai, UPT)",
    description="A unit without its own `sector` inherits its parent's. When a unit's effective sector "
                "changes, every sub-unit inheriting it is re-published with its new `effective_sector`.",
)
async def put_unit(rt: Runtime, unit_id: UnitPath, body: UnitIn, principal: Admin) -> UnitRecord:
    tenant = principal.require_tenant()
    spec = UnitSpec(unit_id, body.name, body.kind, body.parent_id, body.sector, body.active)
    async with rt.sessions() as session, session.begin():
        rows = await directory.unit_rows(session, tenant)
        problems = tree_problems({i: r.parent_id for i, r in rows.items()}, [spec])
        if unit_id in problems:
            raise errors.invalid(("body", "parent_id"), errors.Text(*problems[unit_id]))
        await directory.save_units(rt, session, tenant, [spec])
        saved = await session.get(Unit, (tenant, unit_id), populate_existing=True)
        assert saved is not None  # just written in this transaction
        record = unit_record(saved)
    rt.wake_relay()
    return record


R = TypeVar("R")


async def keyset_page(rt: ServiceRuntime, query: Select[Any], key: Any, after: str | None, limit: int,
                      record: Callable[[Any], R]) -> tuple[list[R], str | None]:
    """One page of ``query`` in ``key`` order (:func:`services.runtime.pages.in_key_order`), each row as ``record``."""
    async with rt.sessions() as session:
        rows, next_after = await pages.in_key_order(session, query, key, after, limit)
    return [record(r) for r in rows], next_after


@router.get("/units", response_model=UnitPage, summary="Units of the tenant, by id, a page at a time")
async def list_units(rt: Runtime, principal: Reader, limit: Limit = 100, after: After = None,
                     parent_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None) -> UnitPage:
    """The tenant's units ordered by id, optionally only the children of `parent_id`. A page at a time: `limit`, and
    `after` set to the previous page's `next_after`. Tenant admin or unit head."""
    query = select(Unit).where(Unit.tenant == principal.require_tenant())
    if parent_id is not None:
        query = query.where(Unit.parent_id == parent_id)
    items, next_after = await keyset_page(rt, query, Unit.id, after, limit, unit_record)
    return UnitPage(items=items, next_after=next_after)


@router.get("/units/{unit_id}", response_model=UnitRecord, summary="One unit")
async def get_unit(rt: Runtime, unit_id: UnitPath, principal: Reader) -> UnitRecord:
    """One unit of the tenant: name, parent, own and effective sector, active. 404 when unknown. Tenant admin or
    unit head."""
    async with rt.sessions() as session:
        row = await session.get(Unit, (principal.require_tenant(), unit_id))
    if row is None:
        raise errors.not_found(errors.text("unit"))
    return unit_record(row)


@router.put("/employees/{nip}", response_model=EmployeeOut, summary="Create or change an employee",
            description="The NIP is checked part by part (birth date, appointment, gender, sequence); "
                        "an error's `loc` ends with the bad part.")
async def put_employee(rt: Runtime, nip: NipPath, body: EmployeeIn, principal: Admin) -> EmployeeOut:
    tenant = principal.require_tenant()
    nip = checked_nip(nip)
    async with rt.sessions() as session, session.begin():
        if await session.get(Unit, (tenant, body.unit_id)) is None:
            raise errors.invalid(("body", "unit_id"), errors.text("unit_missing", unit_id=body.unit_id))
        record = EmployeeRecord(nip=nip, **body.model_dump())
        before = await directory.employee_records(session, tenant, [nip])
        await directory.save_employees(rt, session, tenant, [record], before)
    rt.wake_relay()
    return employee_view(record, principal)


@router.put(
    "/employees/{nip}/places/{name}", response_model=EmployeeOut,
    summary="Move a named place from a day on (effective-dated)",
    description="The version of the place in force on `valid_from` (default: today, tenant time) is "
                "closed the day before; earlier versions stay, so past check-ins keep their place." + NO_COORDINATES,
)
async def put_place(rt: Runtime, nip: NipPath, name: PlaceName, body: PlaceIn,
                    principal: Admin) -> EmployeeOut:
    tenant = principal.require_tenant()
    nip = checked_nip(nip)
    async with rt.sessions() as session, session.begin():
        before = await directory.employee_records(session, tenant, [nip])
        if nip not in before:
            raise errors.not_found(errors.text("employee"))
        start = body.valid_from or local_date(datetime.now(UTC), await tenant_zone(session, tenant))
        place = Place(name=name, kind=body.kind, latitude=body.latitude, longitude=body.longitude,
                      radius_m=body.radius_m, valid_until=body.valid_until)
        current = before[nip]
        record = current.model_copy(update={"places": set_place(current.places, place, start)})
        await directory.save_employees(rt, session, tenant, [record], before)
    rt.wake_relay()
    return employee_view(record, principal)


@router.get("/employees", response_model=EmployeePage, summary="Employees, by NIP, a page at a time",
            description="A unit head sees their own unit only." + NO_COORDINATES)
async def list_employees(
    rt: Runtime, principal: Reader, limit: Limit = 100, after: After = None,
    unit_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    active: bool | None = None,
) -> EmployeePage:
    if not principal.has("tenant_admin"):
        if unit_id is not None and unit_id != principal.unit_id:
            raise errors.forbidden("own_unit_reads_only")
        unit_id = principal.unit_id or "-"
    query = select(Employee).where(Employee.tenant == principal.require_tenant())
    if unit_id is not None:
        query = query.where(Employee.unit_id == unit_id)
    if active is not None:
        query = query.where(Employee.active == active)
    items, next_after = await keyset_page(rt, query, Employee.nip, after, limit,
                                          lambda row: employee_view(employee_record(row), principal))
    return EmployeePage(items=items, next_after=next_after)


@router.get("/employees/{nip}", response_model=EmployeeOut, summary="One employee",
            description="Tenant admins: anyone; unit heads: their unit; employees: themselves." + NO_COORDINATES)
async def get_employee(rt: Runtime, nip: NipPath, principal: Anyone) -> EmployeeOut:
    nip = checked_nip(nip)
    async with rt.sessions() as session:
        row = await session.get(Employee, (principal.require_tenant(), nip))
    allowed = row is not None and (
        principal.has("tenant_admin")
        or (principal.has("unit_head") and row.unit_id == principal.unit_id)
        or principal.employee_id == nip
    )
    if not allowed:
        raise errors.not_found(errors.text("employee"))
    assert row is not None
    return employee_view(employee_record(row), principal)

