"""What the policy service's retention job reduces (:mod:`services.runtime.retention`), each by the
tenant's periods (:mod:`services.contracts.rules.retention`):

- ``last_fixes``: an employee's last known fix older than ``last_fix_days`` is deleted;
- ``superseded_places``: a place version closed (``valid_until``) more than ``superseded_places_days``
  days ago is removed from the employee's places (re-published on ``directory.updated.v1`` while it
  is on: :func:`.publishing.stage_places_reduced`);
- ``access_log``: rows of the location access log older than ``access_log_days`` are deleted
  (:func:`.access_log.reduce_expired`, the one DELETE its append-only trigger lets through);
- ``leavers``: an employee inactive for more than ``leaver_days`` days loses every place, the e-mail
  and phone number and the last fix, and ``directory.contacts.v1`` gets a tombstone for them
  (:func:`.publishing.stage_contact_removals`), in the same transaction.

Each reducer selects only rows that still hold something to reduce, so a second run finds nothing
(a leaver is reduced, and tombstoned, once). Rows are claimed ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from services.contracts.rules.retention import RetentionPeriods, cutoff, day_cutoff, day_expired
from services.policy import access_log, publishing
from services.policy.records import employee_record
from services.policy.store import Employee, LastFix
from services.runtime import sql
from services.runtime.db import dialect_name
from services.runtime.retention import Reducer
from services.runtime.service import ServiceRuntime


async def reduce_last_fixes(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime,
                            today: date, limit: int) -> int:
    """Delete up to ``limit`` of the tenant's last fixes older than ``last_fix_days``."""
    mine = LastFix.tenant == tenant
    return await sql.delete_claimed(session, LastFix.nip, select(LastFix.nip).where(
        mine, LastFix.captured_at < cutoff(now, periods.last_fix_days)).limit(limit), mine)


def superseded_places(rt: ServiceRuntime) -> Reducer:
    async def apply(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime, today: date,
                    limit: int) -> int:
        """Remove the expired closed place versions of up to ``limit`` employees; how many changed."""
        days = periods.superseded_places_days
        rows = (await session.scalars(
            select(Employee).where(Employee.tenant == tenant, _closed_before(session, day_cutoff(today, days)))
            .order_by(Employee.nip).limit(limit).with_for_update(skip_locked=True))).all()
        for row in rows:
            row.places = [p for p in row.places or [] if not _closed(p, today, days)]
        await session.flush()
        await publishing.stage_places_reduced(rt, session, tenant, [employee_record(r) for r in rows])
        return len(rows)

    return Reducer("superseded_places", apply)


def leavers(rt: ServiceRuntime) -> Reducer:
    async def apply(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime, today: date,
                    limit: int) -> int:
        """Reduce up to ``limit`` employees inactive for longer than ``leaver_days`` that still hold
        places, contacts or a last fix; how many were reduced."""
        has_fix = exists().where(LastFix.tenant == Employee.tenant, LastFix.nip == Employee.nip)
        rows = (await session.scalars(
            select(Employee).where(
                Employee.tenant == tenant, Employee.inactive_since < day_cutoff(today, periods.leaver_days),
                or_(func.json_array_length(Employee.places) > 0, Employee.email.is_not(None),
                    Employee.phone.is_not(None), has_fix))
            .order_by(Employee.nip).limit(limit).with_for_update(skip_locked=True, of=Employee))).all()
        nips = [r.nip for r in rows]
        if not nips:
            return 0
        for row in rows:
            row.places, row.email, row.phone = [], None, None
        await session.flush()
        await session.execute(delete(LastFix).where(LastFix.tenant == tenant, LastFix.nip.in_(nips)))
        await publishing.stage_contact_removals(rt, session, tenant, nips)
        return len(nips)

    return Reducer("leavers", apply)


def reducers(rt: ServiceRuntime) -> list[Reducer]:
    return [Reducer("last_fixes", reduce_last_fixes), superseded_places(rt), leavers(rt),
            Reducer("access_log", access_log.reduce_expired)]


def _closed(place: dict[str, Any], today: date, days: int) -> bool:
    until = place.get("valid_until")
    return until is not None and day_expired(date.fromisoformat(until), today, days)


def _closed_before(session: AsyncSession, first_kept: date) -> TextClause:
    """Whether an employee's places hold a version closed before ``first_kept`` (ISO dates compare as text)."""
    if dialect_name(session) == "postgresql":
        clause = ("EXISTS (SELECT 1 FROM json_array_elements(employees.places) AS p "
                  "WHERE p ->> 'valid_until' < :first_kept)")
    else:
        clause = ("EXISTS (SELECT 1 FROM json_each(employees.places) AS p "
                  "WHERE json_extract(p.value, '$.valid_until') < :first_kept)")
    return text(clause).bindparams(first_kept=first_kept.isoformat())

