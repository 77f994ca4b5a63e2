"""Days and zones of a tenant (pure): which zone a tenant's days are counted in, a local
day as a half-open UTC interval, and instants read back from a database as aware UTC."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Jakarta"


class Zoned(Protocol):
    @property
    def timezone(self) -> str: ...


def tenant_zone(directory_zone: str | None, letters: Sequence[Zoned]) -> str:
    """The directory's zone for the tenant, else that of its first known letter version,
    else Asia/Jakarta."""
    if directory_zone is not None:
        return directory_zone
    return letters[0].timezone if letters else DEFAULT_ZONE


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The local day's start and the next day's start, in UTC. ``OverflowError`` for a day
    UTC cannot hold (0001-01-01 east of Greenwich)."""
    zone = ZoneInfo(tz)
    return (datetime.combine(day, time.min, zone).astimezone(UTC),
            datetime.combine(day + timedelta(days=1), time.min, zone).astimezone(UTC))


def as_utc(instant: datetime) -> datetime:
    """An aware UTC datetime; naive values (SQLite drops the offset) are UTC by construction."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
