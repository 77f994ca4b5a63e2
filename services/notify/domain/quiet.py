"""Quiet hours: no message reaches a person at night in their tenant's zone.

A quiet period is a local start and end time; it wraps midnight when the end is
earlier than the start (21:00-06:00). Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    timezone: str

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def release(self, instant: datetime) -> datetime | None:
        """When a message due at ``instant`` may go: None if not quiet, else the end of the quiet period."""
        local = instant.astimezone(ZoneInfo(self.timezone))
        if not self.contains(local.time()):
            return None
        end = datetime.combine(local.date(), self.end, local.tzinfo)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(instant.tzinfo)
