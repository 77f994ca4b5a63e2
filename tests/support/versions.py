"""A letter version as the rules see it, for tests of which version applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass
class V:
    version: int
    valid_from: date
    valid_until: date | None
    effective_at: datetime
    declared_valid_until: date | None = None
    superseded_at: datetime | None = None
