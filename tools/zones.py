"""Choosing one of Indonesia's three zones for runs that must stay within one local day
(tests, simulations, benchmarks, fault runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

INDONESIA = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")  # WIB, WITA, WIT


def zone_with_room(now: datetime, needed: timedelta, *, after_midnight: timedelta = timedelta(minutes=20),
                   zones: tuple[str, ...] = INDONESIA) -> str:
    """The first zone whose local time is at least ``after_midnight`` into the day and whose
    day still has ``needed`` left. Raises when none has (the three are an hour apart)."""
    for tz in zones:
        local = now.astimezone(ZoneInfo(tz))
        into_day = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
        if into_day >= after_midnight and (local + needed).date() == local.date():
            return tz
    raise RuntimeError(f"no Indonesian zone has {needed} left in its day right now")


def now_with_room(needed: timedelta, *, after_midnight: timedelta = timedelta(minutes=20),
                  zones: tuple[str, ...] = INDONESIA) -> tuple[str, datetime]:
    """The zone :func:`zone_with_room` picks now, and the local time in it."""
    now = datetime.now(UTC)
    tz = zone_with_room(now, needed, after_midnight=after_midnight, zones=zones)
    return tz, now.astimezone(ZoneInfo(tz))
