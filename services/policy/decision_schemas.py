"""Request and response bodies of absences and contested verdicts (:mod:`.absences`,
:mod:`.verdict_corrections`). The decision body is the one of profile corrections
(:class:`~services.policy.privacy_schemas.DecisionIn`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.contracts.policy import AbsenceKind
from services.contracts.rules.absence import AbsenceStatus
from services.contracts.rules.verdict_corrections import Contested, CorrectionStatus
from services.policy.schemas import Day, Text, statement

Statement = Annotated[str, statement(3)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlternativePlace(_In):
    """Where an employee on official travel (dinas luar) checks in instead of home or office."""

    name: Text = Field(min_length=1, max_length=200, examples=["Kantor Kementerian PANRB, Jakarta"])
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_m: float | None = Field(default=None, gt=0, le=10_000, description="default: the letter's radius")


class PlaceName(BaseModel):
    """An official trip's place as the head and the BKD see it: its name and radius, no coordinates."""

    name: str
    radius_m: float | None = None


class AbsenceIn(_In):
    kind: AbsenceKind
    start: Day
    end: Day = Field(description="last day, inclusive (tenant-local)")
    reason: Statement = Field(max_length=1000, examples=["Demam tinggi, surat dokter menyusul"])
    attachment_ref: Text | None = Field(default=None, max_length=300,
                                        description="a reference (document number, URL), not a file")
    place: AlternativePlace | None = Field(default=None, description="dinas luar only: the day's allowed place")


class Names(BaseModel):
    id: str = Field(description="Bahasa Indonesia")
    en: str = Field(description="English")


class Decided(BaseModel):
    by: str
    nip: str | None = None
    at: AwareDatetime
    note: str | None = None


class AbsenceOut(BaseModel):
    id: UUID
    employee_id: str
    unit_id: str
    kind: AbsenceKind
    kind_name: Names
    start: date
    end: date
    days: int
    reason: str
    attachment_ref: str | None
    place: AlternativePlace | PlaceName | None = Field(
        description="official travel: the allowed place; its coordinates only in the employee's own routes")
    status: AbsenceStatus
    needs_bkd: bool = Field(description="the letter asks the BKD to approve it after the head")
    head_decision: Decided | None
    bkd_decision: Decided | None
    cancelled_at: AwareDatetime | None
    cancelled_from: date | None = Field(description="an approved absence cancelled: the first day expected again")
    revision: int
    created_at: AwareDatetime


class AbsencePage(BaseModel):
    items: list[AbsenceOut] = Field(description="newest first")
    next_after: str | None = Field(default=None, description="pass as `after` for the next page")


class VerdictCorrectionIn(_In):
    local_date: Day = Field(description="the day contested (tenant-local)")
    window_id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")
    contested: Contested
    explanation: Statement = Field(max_length=1000)
    checkin_id: UUID | None = Field(default=None, description="the check-in contested, if there was one")


class VerdictCorrectionOut(BaseModel):
    id: UUID
    employee_id: str
    unit_id: str
    local_date: date
    window_id: str
    checkin_id: UUID | None
    contested: Contested
    explanation: str
    status: CorrectionStatus
    decision: Decided | None
    revision: int
    created_at: AwareDatetime


class VerdictCorrectionPage(BaseModel):
    items: list[VerdictCorrectionOut] = Field(description="newest first")
    next_after: str | None = Field(default=None, description="pass as `after` for the next page")


def decided(by: str | None, nip: str | None, at: datetime | None, note: str | None) -> Decided | None:
    return None if by is None or at is None else Decided(by=by, nip=nip, at=at, note=note)
