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


class Named(BaseModel):
    """A people-facing name in both languages."""

    id: str
    en: str


class DailyRowOut(BaseModel):
    """One employee's window on the day, as the report counts it."""

    nip: str
    name: str
    unit_id: str
    window_id: str
    window_name: str
    status: Literal["on_time", "late", "missing", "excused"] | None = Field(description="None: pending")
    status_name: Named
    late_minutes: int
    outside_geofence: bool
    suspicious: bool
    checkin_at: datetime | None
    overdue: bool = Field(description="a report.overdue went out for it")
    absence_kind: str | None = Field(description="excused by an approved absence of this kind")
    absence_name: Named | None
    original_status: Literal["on_time", "late", "missing"] | None = Field(
        description="the verdict before an approved correction changed it")
    original_late_minutes: int | None
    original_outside_geofence: bool | None
    corrected_at: datetime | None
