"""HTTP models of the reporting API that are not reports themselves.

The reports (daily, monthly, national) are built by the pure builders in
:mod:`.domain` and returned as they are built.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.reporting.domain.scoring import Weights
from services.runtime.pages import NEXT_AFTER


class OverdueOut(BaseModel):
    nip: str
    unit_id: str
    window_id: str
    status: str
    deadline: datetime


class OverduePage(BaseModel):
    """A page of a day's overdue check-ins (:mod:`services.runtime.pages`)."""

    items: list[OverdueOut]
    next_after: str | None = Field(default=None, description=NEXT_AFTER)


class VerifyIn(BaseModel):
    """A unit head's sign-off of their unit's day."""

    model_config = ConfigDict(extra="forbid")

    date: Annotated[date, Field(description="the day signed off (YYYY-MM-DD, the tenant's local day); every "
                                            "window of it must have closed", examples=["2026-12-07"])]
    unit_id: str | None = Field(default=None, max_length=100, pattern=r"^[^\x00]*$", examples=["bkd"],
                                description="the unit (default: the head's own; another unit is refused)")
    note: str | None = Field(default=None, max_length=1000, pattern=r"^[^\x00]*$",
                             description="for the BKD", examples=["Sesuai; dua pegawai sakit dengan surat dokter"])


class VerificationOut(BaseModel):
    unit_id: str
    name: str
    date: date
    verified: bool = Field(description="signed off and not returned by the BKD")
    verified_by: str | None = None
    verified_at: datetime | None = None
    note: str | None = None
    state: Literal["not_signed_off", "signed_off", "accepted", "returned"] = "not_signed_off"
    review_note: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None


class ReviewIn(BaseModel):
    """The BKD's decision on a unit's sign-off; returning it needs a note (what to fix)."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["accept", "return"] = Field(description="`accept` the sign-off or `return` it to the head",
                                                  examples=["return"])
    note: str | None = Field(default=None, max_length=1000, pattern=r"^[^\x00]*$",
                             description="what to fix; required to return",
                             examples=["Tiga laporan kegiatan belum dinilai"])


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


class AuditPage(BaseModel):
    """A page of the audit trail (:mod:`services.runtime.pages`)."""

    items: list[AuditOut]
    next_after: str | None = Field(default=None, description=NEXT_AFTER)


class WeightsOut(BaseModel):
    weights: Weights
    source: Literal["tenant", "default"]
    updated_by: str | None = None
    updated_at: datetime | None = None


class EmployeeComment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nip: str = Field(pattern=r"^\d{18}$", examples=["198001012005011001"], description="the employee's NIP")
    comment: str = Field(min_length=1, max_length=1000, pattern=r"^[^\x00]*$",
                         description="the head's comment on their month",
                         examples=["Kinerja baik; dua kali terlambat karena banjir"])


class CloseMonthIn(BaseModel):
    """A unit head's month-end closing: a comment on the unit and on any of its employees."""

    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=1000, pattern=r"^[^\x00]*$",
                                description="on the unit's month", examples=["Target kehadiran tercapai"])
    employees: list[EmployeeComment] = Field(default_factory=list, max_length=5000,
                                             description="comments on some of the unit's employees",
                                             examples=[[{"nip": "198001012005011001",
                                                         "comment": "Kinerja baik; dua kali terlambat karena banjir"}]])


class SamplingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_size: int = Field(ge=1, le=100, description="location check-ins drawn per unit and day", examples=[5])


class SamplingOut(SamplingIn):
    model_config = ConfigDict(extra="ignore")

    source: Literal["tenant", "default"]
    updated_by: str | None = None
    updated_at: datetime | None = None


class MarkIn(BaseModel):
    """The BKD's check of a sampled location check-in."""

    model_config = ConfigDict(extra="forbid")

    result: Literal["verified", "rejected"] = Field(description="`verified` (the place checks out) or `rejected`",
                                                    examples=["verified"])
    note: str | None = Field(default=None, max_length=1000, pattern=r"^[^\x00]*$", description="why, for the record",
                             examples=["Dicek lewat panggilan video"])
    replace: bool = Field(default=False, description="change a mark already made to the other result",
                          examples=[False])


class MarkOut(BaseModel):
    checkin_id: str
    result: Literal["verified", "rejected"]
    note: str | None
    marked_by: str
    marked_at: datetime


class SampleItem(BaseModel):
    """A sampled location check-in: the verdict, the nearest place and the distance — never coordinates."""

    checkin_id: str
    nip: str
    name: str
    window_id: str | None
    captured_at: datetime
    captured_local: str
    status: str
    geofence: str
    place_name: str | None
    place_kind: str | None
    distance_m: float | None
    suspicious: bool
    mark: MarkOut | None = None


class SampleUnit(BaseModel):
    unit_id: str
    name: str
    candidates: int
    items: list[SampleItem]


class SampleOut(BaseModel):
    date: date
    seed: str
    sample_size: int
    zone: str
    units: list[SampleUnit]


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


class DailyRowPage(BaseModel):
    """A page of the daily report's rows (:mod:`services.runtime.pages`)."""

    items: list[DailyRowOut]
    next_after: str | None = Field(default=None, description=NEXT_AFTER)
