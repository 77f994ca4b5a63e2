"""Request and response bodies of bulk roster generation (``/v1/rosters/generate``, ``/v1/rosters/jobs``)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from services.policy.schemas import ID_PATTERN, RosterRequest

MAX_JOB_UNITS = 2_000
UnitId = Annotated[str, Field(pattern=ID_PATTERN, max_length=100)]
JobStatus = Literal["queued", "running", "done", "failed"]


class RosterJobIn(RosterRequest):
    """One roster generation over many units: the same range (at most the per-unit bound) for each."""

    unit_ids: list[UnitId] | None = Field(
        default=None, min_length=1, max_length=MAX_JOB_UNITS,
        description="the units to generate, each once; null: every active unit of the tenant",
        examples=[["bkd", "dinkes"]])

    @model_validator(mode="after")
    def _once(self) -> RosterJobIn:
        twice = sorted(u for u, n in Counter(self.unit_ids or ()).items() if n > 1)
        if twice:
            raise ValueError(f"unit_ids: unit {twice[0]} tercantum dua kali / unit_ids: {twice[0]} is listed twice")
        return self


class UnitError(BaseModel):
    unit_id: str
    type: str = Field(description="the error's stable type, e.g. no_letter_on_day")
    reason_id: str = Field(description="why, in Bahasa Indonesia")
    reason_en: str = Field(description="why, in English")


class RosterJobOut(BaseModel):
    id: uuid.UUID
    status: JobStatus = Field(description="queued, running, done (every unit finished, some may have failed) or "
                                          "failed (every unit failed)")
    start: date
    end: date
    replace_overrides: bool
    units_total: int
    units_done: int = Field(description="units finished, generated or failed")
    units_failed: int
    errors: list[UnitError] = Field(description="each failed unit and why (at most one per unit)")
    requested_by: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
