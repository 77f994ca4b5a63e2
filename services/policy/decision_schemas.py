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

    name: Text = Field(min_length=1, max_length=200, examples=["Kantor Kementerian PANRB, Jakarta"],
                       description="what the head and the BKD read (never the coordinates)")
    latitude: float = Field(ge=-90, le=90, description="WGS84 degrees", examples=[-6.2297])
    longitude: float = Field(ge=-180, le=180, description="WGS84 degrees", examples=[106.8295])
    radius_m: float | None = Field(default=None, gt=0, le=10_000, description="metres; default: the letter's radius",
                                   examples=[200])


class PlaceName(BaseModel):
    """An official trip's place as the head and the BKD see it: its name and radius, no coordinates."""

    name: str
    radius_m: float | None = None


class AbsenceIn(_In):
    """An absence the employee asks for, for whole days: their head decides, then the BKD when the letter says."""

    kind: AbsenceKind = Field(description="`cuti` (leave), `sakit` (sick), `izin` (permission), `dinas_luar` "
                                          "(official travel: may carry a `place`) or `tugas_belajar` (study leave)",
                              examples=["sakit"])
    start: Day = Field(description="first day (YYYY-MM-DD, tenant-local)", examples=["2026-12-08"])
    end: Day = Field(description="last day, inclusive (tenant-local)", examples=["2026-12-09"])
    reason: Statement = Field(max_length=1000, examples=["Demam tinggi, surat dokter menyusul"],
                              description="why (at least 3 characters), read by the head and the BKD only")
    attachment_ref: Text | None = Field(default=None, max_length=300, examples=["SKD/123/RSUD/XII/2026"],
                                        description="a reference (document number, URL), not a file")
    place: AlternativePlace | None = Field(default=None, description="dinas luar only: the day's allowed place",
                                           examples=[None])


class Names(BaseModel):
    id: str = Field(description="Bahasa Indonesia")
    en: str = Field(description="English")


class Decided(BaseModel):
    by: str
    nip: str | None = None
    at: AwareDatetime
    note: str | None = None


class ExcusedDays(BaseModel):
    """First and last day (inclusive, tenant-local) an absence excuses (contracts.rules.absence.excused_span)."""

    start: date
    end: date


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
    excused: ExcusedDays | None = Field(
        description="the days this absence excuses from check-ins now (approved: start to end; cancelled: the days "
                    "before `cancelled_from`); null: none (asked, rejected, cancelled before it began)")
    revision: int
    created_at: AwareDatetime


class AbsencePage(BaseModel):
    items: list[AbsenceOut] = Field(description="newest first")
    next_after: str | None = Field(default=None, description="pass as `after` for the next page")


class VerdictCorrectionIn(_In):
    """An employee contests a verdict of one window of one day; their head decides."""

    local_date: Day = Field(description="the day contested (YYYY-MM-DD, tenant-local)", examples=["2026-12-07"])
    window_id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$", examples=["location-1"],
                           description="the window contested (its `id` in the letter)")
    contested: Contested = Field(description="what is wrong: `missing` (it was sent), `late` (it was on time) or "
                                             "`outside_geofence` (it was at the allowed place)",
                                 examples=["outside_geofence"])
    explanation: Statement = Field(max_length=1000, description="why (at least 3 characters), for the head",
                                   examples=["GPS ponsel melompat; saya di rumah sepanjang pagi"])
    checkin_id: UUID | None = Field(default=None, description="the check-in contested, if there was one",
                                    examples=["0193a1e2-7c4d-7b7e-9f00-3c2a1d5e6f70"])


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
