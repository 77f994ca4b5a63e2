"""What the check-in service's retention job reduces (:mod:`services.runtime.retention`): the raw
capture of a check-in once it has passed the tenant's ``checkin_coordinates_days``, or, whatever its
age, once its employee has been inactive for longer than ``leaver_days``.

A reduced check-in keeps its verdict (status, window, geofence, distance, the place's name, reasons)
and everything else it was submitted with; its payload loses :data:`RAW_FIELDS` (the coordinates with
their accuracy, the device id) and ``reduced_at`` says when. A reduced check-in is never selected
again. Its ``request_hash`` stays, so a retry under its idempotency key is still recognised as one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, cast, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin.store import Checkin, DirectoryEmployee
from services.contracts.rules.retention import RetentionPeriods, cutoff, day_cutoff
from services.runtime.db import dialect_name
from services.runtime.retention import Reducer

RAW_FIELDS = ("location", "device_id")


async def reduce_checkins(session: AsyncSession, tenant: str, periods: RetentionPeriods, now: datetime,
                          today: date, limit: int) -> int:
    """Reduce up to ``limit`` of the tenant's check-ins past their period; how many were reduced."""
    before = cutoff(now, periods.checkin_coordinates_days)
    unreduced = (Checkin.tenant == tenant, Checkin.reduced_at.is_(None))
    # Oldest first (the partial index of unreduced check-ins), then the leavers' recent ones.
    ids = list((await session.scalars(
        select(Checkin.id).where(*unreduced, Checkin.captured_at < before)
        .order_by(Checkin.captured_at).limit(limit).with_for_update(skip_locked=True))).all())
    if len(ids) < limit:
        left_before = day_cutoff(today, periods.leaver_days)
        leavers = select(DirectoryEmployee.nip).where(DirectoryEmployee.tenant == tenant,
                                                      DirectoryEmployee.inactive_since < left_before)
        ids += (await session.scalars(
            select(Checkin.id).where(*unreduced, Checkin.captured_at >= before, Checkin.employee_id.in_(leavers))
            .limit(limit - len(ids)).with_for_update(skip_locked=True))).all()
    if ids:
        await session.execute(update(Checkin).where(Checkin.id.in_(ids))
                              .values(payload=_without_raw(session), reduced_at=now))
    return len(ids)


def _without_raw(session: AsyncSession) -> Any:
    """The stored payload without :data:`RAW_FIELDS`, computed by the database."""
    if dialect_name(session) == "postgresql":
        removed: Any = literal_column("ARRAY[" + ", ".join(f"'{f}'" for f in RAW_FIELDS) + "]::text[]")
        return cast(cast(Checkin.payload, JSONB).op("-")(removed), JSON)
    return func.json_remove(Checkin.payload, *(f"$.{f}" for f in RAW_FIELDS))


REDUCERS = [Reducer("checkin_coordinates", reduce_checkins)]
