"""Request and response bodies of the policy API."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.contracts.events import (
    Place,
    PolicyUpdated,
    RosterAssignment,
    TenantKind,
    UnitKind,
    UnitRecord,
    WorkMode,
)
from services.contracts.policy import Exemptions, PolicyContent, Sector, Window, default_windows
from services.contracts.rules.retention import RetentionPeriods
from services.policy.domain.letters import VersionStatus
from services.policy.domain.places import overlaps
from services.runtime.errors import FieldError

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
MAX_ROSTER_DAYS = 93
FIRST_DAY, LAST_DAY = date(1950, 1, 1), date(2200, 12, 31)
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY, description="YYYY-MM-DD")]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("karakter kendali tidak diizinkan / control characters are not allowed")
    return value


Text = Annotated[str, AfterValidator(_printable)]


def statement(minimum: int) -> AfterValidator:
    """Printable text with at least ``minimum`` characters besides blanks (a stated purpose, a reason),
    stored without its surrounding blanks."""
    def check(value: str) -> str:
        value = _printable(value).strip()
        if len(value) < minimum:
            raise ValueError(f"paling sedikit {minimum} karakter selain spasi / "
                             f"at least {minimum} characters besides blanks")
        return value
    return AfterValidator(check)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TenantIn(_In):
    name: Text = Field(min_length=1, max_length=200, examples=["Pemerintah Provinsi Banten"])
    kind: TenantKind
    timezone: str = Field(examples=["Asia/Jakarta"])

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"zona waktu tidak dikenal / unknown IANA time zone {value!r}") from exc
        return value


class UnitIn(_In):
    name: Text = Field(min_length=1, max_length=200)
    kind: UnitKind = "department"
    parent_id: str | None = Field(default=None, pattern=ID_PATTERN)
    sector: Sector | None = None
    active: bool = True


class EmployeeIn(_In):
    name: Text = Field(min_length=1, max_length=200)
    position: Text = Field(default="", max_length=200)
    unit_id: str = Field(pattern=ID_PATTERN)
    is_teacher: bool = False
    is_front_line: bool = False
    is_unit_head: bool = False
    active: bool = True
    email: Text | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: Text | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9]{6,20}$")
    places: list[Place] = Field(default_factory=list, max_length=20)

    @field_validator("places")
    @classmethod
    def _place_periods(cls, places: list[Place]) -> list[Place]:
        for p in places:
            if p.valid_from and p.valid_until and p.valid_until < p.valid_from:
                raise ValueError(f"tempat {p.name!r}: valid_until sebelum valid_from / "
                                 f"place {p.name!r}: valid_until is before valid_from")
        clash = overlaps(places)
        if clash is not None:
            name = places[clash[0]].name
            raise ValueError(f"tempat {name!r} berlaku ganda pada hari yang sama / "
                             f"two versions of place {name!r} overlap")
        return places


class PlaceIn(_In):
    """A named place from a day on; the version in force is closed the day before."""

    kind: Literal["home", "office", "other"]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_m: float | None = Field(default=None, gt=0, le=50_000)
    valid_from: Day | None = Field(default=None, description="default: today in the tenant's zone")
    valid_until: Day | None = None

    @model_validator(mode="after")
    def _range(self) -> PlaceIn:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until sebelum valid_from / valid_until is before valid_from")
        return self


MAX_WINDOWS = 24
MAX_HOLIDAYS = 1_000
MAX_UNIT_ENTRIES = 5_000
# A letter travels whole in one policy.updated event, and Kafka takes records up to 1 MiB: a
# larger letter could never be published (its event would be parked, see runtime.relay).
MAX_CONTENT_BYTES = 512 * 1024
UnitKey = Annotated[str, Field(min_length=1, max_length=100)]
BasisText = Annotated[Text, Field(max_length=500)]


class LetterExemptions(Exemptions):
    unit_ids: list[UnitKey] = Field(default_factory=list, max_length=MAX_UNIT_ENTRIES)


CONTENT_FIELDS = {  # what /docs says of each field of a letter's content (the rules are PolicyContent's)
    "sector_quotas": "share of staff in the office on a working day, in percent (0-100), per sector: `critical`, "
                     "`essential`, `non_essential`; default 100 / 50 / 25",
    "unit_sectors": "unit id → sector, for units whose sector this letter sets (others keep the directory's)",
    "exemptions": "who always works in the office whatever the quota: employee `roles` (`teacher`, `front_line`, "
                  "`unit_head`) and whole units (`unit_ids`)",
    "windows": "the daily check-in schedule: each window's `start` and `end` are local times (HH:MM) in the tenant's "
               "time zone (WIB, WITA or WIT), never UTC; `grace_minutes` after `end` a check-in is late, not missing; "
               "`kinds` are what it asks for (attendance, location, activity_report, video_conference); `id` is a "
               "short key (a-z, 0-9, `-`, `_`), `name` what people read",
    "geofence_radius_m": "metres around the employee's registered place within which a location check-in is inside "
                         "the geofence",
    "working_days": "ISO weekdays the letter works: 1 Monday … 7 Sunday; default Monday to Friday. National and "
                    "regional holidays come from the tenant's calendar",
    "holidays": "extra days off this letter declares (dates, YYYY-MM-DD), besides the tenant's calendar",
    "late_submission_limit_hours": "how many hours after it was captured a check-in (kept offline on the phone) is "
                                   "still accepted; an older one is refused",
    "accuracy_threshold_m": "a location fix whose accuracy radius is larger than this (metres) is flagged "
                            "suspicious (`poor_accuracy`)",
    "max_travel_speed_kmh": "a fix that could only be reached from the previous location check-in faster than this "
                            "is flagged suspicious (`impossible_travel`)",
    "clock_skew_limit_seconds": "a check-in captured further than this from when the server received it is flagged "
                                "suspicious (`clock_skew`)",
}


def _describe_content(schema: dict[str, Any]) -> None:
    for name, text in CONTENT_FIELDS.items():
        schema["properties"][name].setdefault("description", text)


class LetterContent(PolicyContent):
    """A letter's content as the API takes it: :class:`PolicyContent` within bounds that keep
    its ``policy.updated`` event well under Kafka's record limit (each list bounded, and the
    whole at most ``MAX_CONTENT_BYTES`` as JSON)."""

    model_config = ConfigDict(json_schema_extra=_describe_content)

    unit_sectors: dict[UnitKey, Sector] = Field(default_factory=dict, max_length=MAX_UNIT_ENTRIES)
    exemptions: LetterExemptions = Field(default_factory=LetterExemptions)
    windows: list[Window] = Field(default_factory=default_windows, max_length=MAX_WINDOWS)
    working_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5], max_length=7)
    holidays: list[date] = Field(default_factory=list, max_length=MAX_HOLIDAYS)

    @model_validator(mode="after")
    def _fits_one_event(self) -> LetterContent:
        size = len(self.model_dump_json())
        if size > MAX_CONTENT_BYTES:
            raise ValueError(f"isi surat {size} byte, paling besar {MAX_CONTENT_BYTES} byte / the content is "
                             f"{size} bytes, at most {MAX_CONTENT_BYTES} (a letter travels as one event)")
        return self


LETTER_EXAMPLE: dict[str, Any] = {  # POST /v1/policies's example in /docs
    "number": "800/258-BKD/2026", "title": "Penyesuaian sistem kerja ASN (WFH/WFO)",
    "signatory": "Sekretaris Daerah Provinsi Banten", "legal_basis": ["SE MenPAN-RB No. 67 Tahun 2020"],
    "valid_from": "2026-12-01", "valid_until": "2026-12-31",
    "content": {
        "sector_quotas": {"critical": 100, "essential": 50, "non_essential": 25},
        "working_days": [1, 2, 3, 4, 5], "geofence_radius_m": 150,
        "windows": [
            {"id": "attendance", "name": "Apel/absensi pagi", "start": "07:00", "end": "07:30", "grace_minutes": 15,
             "kinds": ["attendance"]},
            {"id": "location-1", "name": "Lokasi pagi", "start": "08:00", "end": "09:00", "grace_minutes": 15,
             "kinds": ["location"]},
            {"id": "activity-report", "name": "Laporan kegiatan", "start": "08:00", "end": "15:00",
             "grace_minutes": 30, "kinds": ["activity_report"]},
        ],
    },
}


class PolicyIn(_In):
    """A new circular letter (version 1) or, under an existing id, a new version."""

    number: Text = Field(min_length=1, max_length=100, examples=["800/258-BKD/2022"],
                         description="the letter's number as signed; the letter's id is made from it")
    title: Text = Field(min_length=1, max_length=300, description="the letter's subject (perihal)")
    signatory: Text = Field(default="", max_length=200, description="who signed it")
    legal_basis: list[BasisText] = Field(default_factory=list, max_length=50,
                                         description="the regulations it cites (dasar hukum), one per entry")
    valid_from: Day = Field(description="first day in force (YYYY-MM-DD, a day in the tenant's zone)")
    valid_until: Day | None = Field(default=None, description="last day in force; null: until further notice")
    content: LetterContent = Field(default_factory=LetterContent,
                                   description="the rules: quotas, exemptions, the daily windows, the geofence")

    @model_validator(mode="after")
    def _range(self) -> PolicyIn:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until sebelum valid_from / valid_until is before valid_from")
        return self


class ExtensionIn(_In):
    """An extension: a new version with the current content and a new end.

    It starts the day after the current version ends unless ``valid_from`` says otherwise.
    """

    valid_until: Day | None = Field(description="the new end; null: until further notice")
    valid_from: Day | None = None
    number: Text | None = Field(default=None, min_length=1, max_length=100,
                               description="the extending letter's own number, if it has one")
    title: Text | None = Field(default=None, min_length=1, max_length=300)
    signatory: Text | None = Field(default=None, max_length=200)
    legal_basis: list[BasisText] | None = Field(default=None, max_length=50)


class PolicyVersionOut(PolicyUpdated):
    """A version of a circular letter with its history fields."""

    declared_valid_until: date | None = Field(default=None, description="the end it was signed with")
    published_at: AwareDatetime | None = None
    superseded_by: int | None = None
    superseded_at: AwareDatetime | None = None
    status: VersionStatus
    created_at: AwareDatetime
    created_by: str = ""
    withdrawn_at: AwareDatetime | None = Field(default=None, description="when it was withdrawn (never published)")
    withdrawn_by: str | None = None
    withdrawal_reason: str | None = None


class WithdrawIn(_In):
    """Why a scheduled version is withdrawn (kept on the version: the audit of who, when and why)."""

    reason: Annotated[str, statement(5)] = Field(max_length=500, examples=["Perpanjangan dibatalkan Sekda"])


# --- need to know ------------------------------------------------------------------


class PlaceOut(BaseModel):
    """A place as the directory shows it: its name and geofence, never its coordinates."""

    name: str
    kind: Literal["home", "office", "other"]
    radius_m: float | None = None
    valid_from: date | None = None
    valid_until: date | None = None


class EmployeeOut(BaseModel):
    """An employee as the directory shows them: no coordinates (exact ones only through the logged,
    purpose-bound reads); e-mail and phone only to the tenant admin, the unit's head and the employee."""

    nip: str
    name: str
    position: str = ""
    unit_id: str
    is_teacher: bool = False
    is_front_line: bool = False
    is_unit_head: bool = False
    active: bool = True
    email: str | None = None
    phone: str | None = None
    places: list[PlaceOut] = Field(default_factory=list)


# --- paging ----------------------------------------------------------------------


class UnitPage(BaseModel):
    items: list[UnitRecord]
    next_after: str | None = Field(default=None, description="pass as `after` for the next page")


class EmployeePage(BaseModel):
    items: list[EmployeeOut]
    next_after: str | None = Field(default=None, description="pass as `after` for the next page")


# --- rosters ---------------------------------------------------------------------


class RosterRequest(_In):
    start: Day
    end: Day
    replace_overrides: bool = Field(
        default=False, description="regenerate even over days a unit head has overridden")

    @model_validator(mode="after")
    def _range(self) -> RosterRequest:
        if self.end < self.start:
            raise ValueError("end sebelum start / end is before start")
        if self.end - self.start >= timedelta(days=MAX_ROSTER_DAYS):
            raise ValueError(f"rentang maksimal {MAX_ROSTER_DAYS} hari / at most {MAX_ROSTER_DAYS} days")
        return self


class OverrideIn(_In):
    mode: WorkMode
    reason: Text = Field(min_length=3, max_length=500, examples=["Piket layanan KTP"])

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if len(value.strip()) < 3:
            raise ValueError("alasan wajib diisi / a reason is required")
        return value.strip()


class RosterDayOut(BaseModel):
    date: date
    quota_pct: int
    required_in_office: int
    in_office: int
    headcount: int
    policy_number: str | None = None
    policy_version: int | None = None


class RosterOut(BaseModel):
    unit_id: str
    start: date
    end: date
    days: list[RosterDayOut]
    assignments: list[RosterAssignment]
    wfo_days: dict[str, int] = Field(description="WFO days per employee in the range")
    changed: int = Field(default=0, description="assignments that changed (0: nothing published)")


class OverrideOut(BaseModel):
    unit_id: str
    nip: str
    date: date
    old_mode: WorkMode
    new_mode: WorkMode
    reason: str
    actor: str
    at: datetime


class MyRosterDay(BaseModel):
    date: date
    mode: WorkMode
    unit_id: str
    reason: str | None = None


# --- imports ---------------------------------------------------------------------


class RowError(BaseModel):
    row: int = Field(description="line in the file; the header is row 1")
    column: str | None = None
    part: str | None = Field(default=None, description="for a bad NIP: the part that is wrong")
    message: str


class ImportReport(BaseModel):
    kind: Literal["units", "employees"]
    rows: int
    valid: int
    invalid: int
    applied: bool = Field(description="whether anything was written")
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cascaded: int = Field(default=0, description="sub-units whose inherited sector changed as a result")
    published: int = Field(default=0, description="directory.updated events staged")
    errors: list[RowError] = Field(default_factory=list)
    ignored_columns: list[str] = Field(default_factory=list)
    detail: list[FieldError] | None = Field(default=None, description="why nothing was applied")



class RetentionIn(RetentionPeriods):
    """A tenant's retention periods in days, each within its bounds; an omitted field takes its default."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
