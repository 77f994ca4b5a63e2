"""What absences and contested verdicts share (:mod:`.absences`, :mod:`.verdict_corrections`): the
employee asking (their directory row, locked so that one employee's requests are checked one at a
time), the tenant's local today, the letter in force on a day, and the domain's refusals answered as
HTTP errors in both languages."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import PolicyContent, local_date
from services.contracts.rules.versions import for_day
from services.policy.domain.deciders import Refused, Step, decider_problem
from services.policy.letters import tenant_versions
from services.policy.store import Employee, Tenant
from services.runtime import errors
from services.runtime.auth import Principal

DEFAULT_ZONE = "Asia/Jakarta"


def text(refused: Refused) -> errors.Text:
    return errors.Text(refused.id, refused.en)


def conflict(refused: Refused) -> HTTPException:
    return errors.conflict(refused.kind, text(refused))


def invalid(loc: tuple[str, ...], refused: Refused) -> HTTPException:
    return errors.invalid(loc, text(refused), refused.kind)


def actor_nip(principal: Principal) -> str | None:
    """The decider's NIP as their token says (bounded), kept on the decision."""
    return (principal.employee_id or "")[:200] or None


def listed_unit(principal: Principal, unit_id: str | None) -> str | None:
    """The unit a list of requests is confined to: any (or the one asked for) for the BKD, the
    head's own for a unit head (403 when they ask for another)."""
    if principal.has("tenant_admin"):
        return unit_id
    if unit_id is not None and unit_id != principal.unit_id:
        raise errors.forbidden("own_unit_only")
    return principal.unit_id or ""


def check_decider(principal: Principal, step: Step, unit_id: str, employee_id: str) -> None:
    """403 unless ``principal`` may take ``step`` on a request of ``employee_id`` in ``unit_id``."""
    problem = decider_problem(step, roles=principal.roles, unit_id=principal.unit_id, nip=principal.employee_id,
                              request_unit=unit_id, request_employee=employee_id)
    if problem is not None:
        raise errors.forbidden(problem.kind, text(problem))


async def employee(session: AsyncSession, tenant: str, nip: str) -> Employee:
    """The asking employee's directory row, locked for the rest of the transaction; 404 when unknown."""
    row = await session.scalar(select(Employee).where(Employee.tenant == tenant, Employee.nip == nip)
                               .with_for_update())
    if row is None:
        raise errors.not_found(errors.text("employee"))
    return row


async def today(session: AsyncSession, tenant: str, now: datetime) -> date:
    """The tenant-local day of ``now``."""
    row = await session.get(Tenant, tenant)
    return local_date(now, row.timezone if row is not None else DEFAULT_ZONE)


async def letter_on(session: AsyncSession, tenant: str, day: date) -> PolicyContent | None:
    """The content of the letter version that applies to ``day`` (as known now), if any."""
    version = for_day(await tenant_versions(session, tenant, day, day), day)
    return None if version is None else PolicyContent.model_validate(version.content)
