"""What the notify service's retention job reduces (:mod:`services.runtime.retention`): a notice sent
to a person (a row of the delivery log with its address, subject and text, and its delivery attempts)
is deleted once it is finished and older than the tenant's ``notices_days``. A notice still pending
or being sent is never touched, whatever its age.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.rules.retention import RetentionPeriods, cutoff
from services.notify.store import Notification
from services.runtime import sql
from services.runtime.retention import Reducer

FINISHED = ("sent", "failed", "dead", "cancelled")  # nothing more will happen to these


async def reduce_notices(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime,
                         today: date, limit: int) -> int:
    """Delete up to ``limit`` of the tenant's finished notices created before the period; how many."""
    # their delivery attempts go with them (ON DELETE CASCADE)
    return await sql.delete_claimed(session, Notification.id, select(Notification.id).where(
        Notification.tenant == tenant, Notification.status.in_(FINISHED),
        Notification.created_at < cutoff(now, periods.notices_days)).order_by(Notification.created_at).limit(limit))


REDUCERS = [Reducer("notices", reduce_notices)]
