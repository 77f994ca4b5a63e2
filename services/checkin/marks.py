"""The check-in service's watermark marks on ``checkin.received`` (meaning:
:mod:`services.contracts.marks`; sending: :mod:`services.runtime.marks`).

Read in the relay's round before its rows: the database's clock and the start of its
oldest other open transaction (PostgreSQL; SQLite has one writer and uses the clock)
give :func:`.domain.watermark.accepted_until`. Check-ins are stamped with the same clock
(:func:`services.runtime.db.clock`), so no margin for clock differences is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin.domain.watermark import accepted_until
from services.contracts import topics
from services.contracts.marks import CheckinsReceivedMark
from services.runtime.db import dialect_name
from services.runtime.marks import MarkFor

OLDEST_OPEN = text(
    "SELECT clock_timestamp() AS now, min(xact_start) AS oldest FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL")


class ReceivedMarks:
    topic = topics.CHECKIN_RECEIVED

    async def read(self, session: AsyncSession) -> Sequence[MarkFor]:
        if dialect_name(session) == "postgresql":
            row = (await session.execute(OLDEST_OPEN)).one()
            until = accepted_until(row.now, row.oldest)
        else:
            until = accepted_until(datetime.now(UTC), None)
        return [partial(_mark, until)]


def _mark(until: datetime, partition: int, partitions: int) -> CheckinsReceivedMark:
    return CheckinsReceivedMark(partition=partition, partitions=partitions, accepted_until=until)
