"""What the notify service's retention job reduces (:mod:`services.runtime.retention`): a notice sent
to a person (a row of the delivery log with its address, subject and text, and its delivery attempts)
is deleted once it is finished and older than the tenant's ``notices_days``. A notice still pending
or being sent is never touched, whatever its age. Notify's copy of an absence (its days and
status) goes once its last day is that old, and the record of a month escalated to the BKD once
the month ended that long ago: neither is needed for reminders or counts by then.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.rules.retention import RetentionPeriods, cutoff
from services.notify.store import Absence, BkdEscalation, Notification
from services.runtime import sql
from services.runtime.retention import Reducer

FINISHED = ("sent", "failed", "dead", "cancelled", "skipped")  # nothing more will happen to these


async def reduce_notices(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime,
                         today: date, limit: int) -> int:
    """Delete up to ``limit`` of the tenant's finished notices created before the period; how many."""
    # their delivery attempts go with them (ON DELETE CASCADE)
    return await sql.delete_claimed(session, Notification.id, select(Notification.id).where(
        Notification.tenant == tenant, Notification.status.in_(FINISHED),
        Notification.created_at < cutoff(now, periods.notices_days)).order_by(Notification.created_at).limit(limit))


async def reduce_absences(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime,
                          today: date, limit: int) -> int:
    """Delete up to ``limit`` of the tenant's absences whose last day is older than the period."""
    mine, before = Absence.tenant == tenant, cutoff(now, periods.notices_days).date()
    return await sql.delete_claimed(session, Absence.id, select(Absence.id).where(
        mine, Absence.end < before).limit(limit), mine)


async def reduce_bkd_escalations(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime,
                                 today: date, limit: int) -> int:
    """Delete up to ``limit`` of the tenant's escalated months that ended before the period."""
    mine, before = BkdEscalation.tenant == tenant, cutoff(now, periods.notices_days).date() - timedelta(days=31)
    return await sql.delete_claimed(session, BkdEscalation.nip, select(BkdEscalation.nip).where(
        mine, BkdEscalation.month < before).limit(limit), mine, BkdEscalation.month < before)


REDUCERS = [Reducer("notices", reduce_notices), Reducer("absences", reduce_absences),
            Reducer("bkd_escalations", reduce_bkd_escalations)]
