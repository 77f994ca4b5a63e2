"""Profile corrections (UU PDP 27/2022, the right to rectification), audited.

An employee asks to correct one field of their profile (name, position, e-mail, phone) with a
reason; the tenant admin approves or rejects it with a note. Guarantees: at most one pending request
per employee and field (a second is a 409; a partial unique index holds it under concurrency too);
a request is decided once (the row is locked, a second decision is a 409); an approval changes the
directory through :func:`.directory.save_employees` in the decision's own transaction, so the change
and its events commit together with the decision. The row keeps the old and new value, who asked,
who decided, when, and the note.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import EmployeeRecord
from services.policy import directory
from services.policy.privacy_schemas import CorrectionIn, CorrectionOut, CorrectionPage, CorrectionStatus, DecisionIn
from services.policy.store import ProfileCorrection
from services.runtime import errors, pages
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime

PENDING: CorrectionStatus = "pending"
ALREADY_PENDING = errors.Text("Permintaan koreksi {field} masih menunggu keputusan",
                              "a correction of {field} is already waiting for a decision")
ALREADY_DECIDED = errors.Text("Permintaan koreksi ini sudah diputuskan ({status})",
                              "this correction request was already decided ({status})")
CORRECTION = errors.Text("Permintaan koreksi", "correction request")


def out(row: ProfileCorrection) -> CorrectionOut:
    return CorrectionOut.model_validate(row, from_attributes=True)


def _value(record: EmployeeRecord, field: str) -> str | None:
    value: Any = getattr(record, field)
    return value if value is None else str(value)


async def request(session: AsyncSession, tenant: str, employee: EmployeeRecord, body: CorrectionIn,
                  principal: Principal, now: datetime) -> CorrectionOut:
    """File ``body`` for ``employee`` (the caller); 409 when the same field already waits."""
    waiting = await session.scalar(select(ProfileCorrection.id).where(
        ProfileCorrection.tenant == tenant, ProfileCorrection.employee_id == employee.nip,
        ProfileCorrection.field == body.field, ProfileCorrection.status == PENDING))
    if waiting is not None:
        raise errors.conflict("correction_pending", _filled(ALREADY_PENDING, field=body.field))
    row = ProfileCorrection(
        id=uuid.uuid4(), tenant=tenant, employee_id=employee.nip, field=body.field,
        old_value=_value(employee, body.field), new_value=body.value, reason=body.reason, status=PENDING,
        requested_by=principal.subject[:200], requested_at=now, note="")
    session.add(row)
    await session.flush()
    return out(row)


async def listing(session: AsyncSession, tenant: str, *, employee_id: str | None = None,
                  status: CorrectionStatus | None = None, after: str | None = None,
                  limit: int = 100) -> CorrectionPage:
    """The tenant's requests (one employee's, one status's), newest first."""
    query = select(ProfileCorrection).where(ProfileCorrection.tenant == tenant)
    if employee_id is not None:
        query = query.where(ProfileCorrection.employee_id == employee_id)
    if status is not None:
        query = query.where(ProfileCorrection.status == status)
    rows, next_after = await pages.newest_first(session, query, ProfileCorrection.requested_at,
                                                ProfileCorrection.id, after, limit)
    return CorrectionPage(items=[out(r) for r in rows], next_after=next_after)


async def of_employee(session: AsyncSession, tenant: str, employee_id: str) -> list[CorrectionOut]:
    """Every request of one employee, newest first (their self-export)."""
    rows = await session.scalars(select(ProfileCorrection).where(
        ProfileCorrection.tenant == tenant, ProfileCorrection.employee_id == employee_id)
        .order_by(ProfileCorrection.requested_at.desc(), ProfileCorrection.id.desc()))
    return [out(r) for r in rows]


async def decide(rt: ServiceRuntime, session: AsyncSession, tenant: str, correction_id: uuid.UUID,
                 body: DecisionIn, principal: Principal, now: datetime) -> CorrectionOut:
    """Approve (and apply) or reject one pending request; 404 unknown, 409 already decided."""
    row = await session.scalar(select(ProfileCorrection).where(
        ProfileCorrection.tenant == tenant, ProfileCorrection.id == correction_id).with_for_update())
    if row is None:
        raise errors.not_found(CORRECTION)
    if row.status != PENDING:
        raise errors.conflict("correction_decided", _filled(ALREADY_DECIDED, status=row.status))
    if body.decision == "approve":
        before = await directory.employee_records(session, tenant, [row.employee_id])
        current = before.get(row.employee_id)
        if current is None:
            raise errors.not_found(errors.text("employee"))
        row.old_value = _value(current, row.field)
        corrected = current.model_copy(update={row.field: row.new_value})
        await directory.save_employees(rt, session, tenant, [corrected], before)
    row.status = "approved" if body.decision == "approve" else "rejected"
    row.decided_by, row.decided_at, row.note = principal.subject[:200], now, body.note
    await session.flush()
    return out(row)


def _filled(message: errors.Text, **values: str) -> errors.Text:
    return errors.Text(message.id.format(**values), message.en.format(**values))
