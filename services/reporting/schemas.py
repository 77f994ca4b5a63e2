"""HTTP models of the reporting API that are not reports themselves.

The reports (daily, monthly, national) are built by the pure builders in
:mod:`.domain` and returned as they are built.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.reporting.domain.scoring import Weights


class OverdueOut(BaseModel):
    nip: str
    unit_id: str
    window_id: str
    status: str
    deadline: datetime


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    unit_id: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00]*$")
    note: str | None = Field(default=None, max_length=1000, pattern=r"^[^\x00]*$")


class VerificationOut(BaseModel):
    unit_id: str
    name: str
    date: date
    verified: bool
    verified_by: str | None = None
    verified_at: datetime | None = None
    note: str | None = None


class VerificationOverview(BaseModel):
    date: date
    total: int
    verified: int
    units: list[VerificationOut]


class AuditOut(BaseModel):
    at: datetime
    actor: str
    roles: list[str]
    action: str
    target: str
    details: dict


class WeightsOut(BaseModel):
    weights: Weights
    source: Literal["tenant", "default"]
    updated_by: str | None = None
    updated_at: datetime | None = None
