"""Request and response bodies of the policy API."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.contracts.events import (
    Place,
    RosterAssignment,
    TenantKind,
    UnitKind,
    UnitRecord,
    WorkMode,
)
from services.contracts.policy import Sector
from services.contracts.rules.retention import RetentionPeriods
from services.policy.domain.places import overlaps
from services.runtime.api_docs import documented
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
    """The caller's tenant: its name, kind and time zone (the zone of every local time and day)."""

    name: Text = Field(min_length=1, max_length=200, examples=["Pemerintah Provinsi Banten"],
                       description="the government's name as people read it")
    kind: TenantKind = Field(description="`province`, `regency` (kabupaten) or `city` (kota)",
                             examples=["province"])
    timezone: str = Field(examples=["Asia/Jakarta"], max_length=64,
                          description="IANA zone: Asia/Jakarta (WIB), Asia/Makassar (WITA) or Asia/Jayapura (WIT); "
                                      "letters' window times and every `date` are local to it")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"zona waktu tidak dikenal / unknown IANA time zone {value!r}") from exc
        return value


class UnitIn(_In):
    """A unit (OPD or a part of one) of the tenant's tree; its id is in the path."""

    name: Text = Field(min_length=1, max_length=200, description="the unit's name",
                       examples=["Badan Kepegawaian Daerah"])
    kind: UnitKind = Field(default="department", examples=["department"],
                           description="`department` (an OPD), `branch`, `balai`, `upt` or `other`; default department")
    parent_id: str | None = Field(default=None, pattern=ID_PATTERN, examples=[None],
                                  description="the unit it belongs to (null: a top-level OPD)")
    sector: Sector | None = Field(default=None, examples=["non_essential"],
                                  description="`critical`, `essential` or `non_essential` (the letter's quota); "
                                              "null: inherited from the parent unit")
    active: bool = Field(default=True, examples=[True], description="false: closed (kept for history)")


class PlaceEntry(Place):
    """A named place where the employee may check in from (home, office), valid over days."""

    model_config = ConfigDict(json_schema_extra=documented({
        "name": ("what people read, unique per employee", "Rumah"),
        "kind": ("`home`, `office` or `other`", "home"),
        "latitude": ("WGS84 degrees (never shown back: reads of coordinates are logged)", -6.1202),
        "longitude": ("WGS84 degrees", 106.1503),
        "radius_m": ("the geofence radius in metres (null: the letter's `geofence_radius_m`)", 150),
        "valid_from": ("first day it counts (YYYY-MM-DD, tenant's zone; null: always)", "2026-01-01"),
        "valid_until": ("last day it counts (null: until replaced)", None),
    }))


class EmployeeIn(_In):
    """An employee (ASN) of the directory; the NIP is in the path."""

    name: Text = Field(min_length=1, max_length=200, description="full name", examples=["Siti Rahmawati, S.E."])
    position: Text = Field(default="", max_length=200, description="jabatan", examples=["Analis Kepegawaian"])
    unit_id: str = Field(pattern=ID_PATTERN, description="the unit they work in", examples=["bkd"])
    is_teacher: bool = Field(default=False, examples=[False], description="a teacher (exempt when the letter says)")
    is_front_line: bool = Field(default=False, examples=[False],
                                description="front-line service staff (exempt when the letter says)")
    is_unit_head: bool = Field(default=False, examples=[False], description="heads their unit")
    active: bool = Field(default=True, examples=[True], description="false: left (no schedule, no reminders)")
    email: Text | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                               description="for notices by e-mail", examples=["siti.rahmawati@bantenprov.go.id"])
    phone: Text | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9]{6,20}$",
                               description="for notices by WhatsApp (digits, optional +)", examples=["+6281234567890"])
    places: list[PlaceEntry] = Field(default_factory=list, max_length=20,
                                     description="where they may check in from (home, office)",
                                     examples=[[{"name": "Rumah", "kind": "home", "latitude": -6.1202,
                                                 "longitude": 106.1503, "radius_m": 150}]])

    @field_validator("places")
    @classmethod
    def _place_periods(cls, places: list[PlaceEntry]) -> list[PlaceEntry]:
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

    kind: Literal["home", "office", "other"] = Field(description="`home`, `office` or `other`", examples=["home"])
    latitude: float = Field(ge=-90, le=90, description="WGS84 degrees", examples=[-6.1202])
    longitude: float = Field(ge=-180, le=180, description="WGS84 degrees", examples=[106.1503])
    radius_m: float | None = Field(default=None, gt=0, le=50_000, examples=[150],
                                   description="geofence radius in metres (null: the letter's `geofence_radius_m`)")
    valid_from: Day | None = Field(default=None, description="first day it counts (YYYY-MM-DD); default: today in "
                                                             "the tenant's zone", examples=["2026-12-01"])
    valid_until: Day | None = Field(default=None, description="last day it counts (null: until replaced)",
                                    examples=[None])

    @model_validator(mode="after")
    def _range(self) -> PlaceIn:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValueError("valid_until sebelum valid_from / valid_until is before valid_from")
        return self


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
    """The days to (re)generate a unit's WFO/WFH roster for."""

    start: Day = Field(description="first day (YYYY-MM-DD, tenant's zone)", examples=["2026-12-07"])
    end: Day = Field(description=f"last day, inclusive (at most {MAX_ROSTER_DAYS} days after `start`)",
                     examples=["2026-12-11"])
    replace_overrides: bool = Field(
        default=False, description="regenerate even over days a unit head has overridden", examples=[False])

    @model_validator(mode="after")
    def _range(self) -> RosterRequest:
        if self.end < self.start:
            raise ValueError("end sebelum start / end is before start")
        if self.end - self.start >= timedelta(days=MAX_ROSTER_DAYS):
            raise ValueError(f"rentang maksimal {MAX_ROSTER_DAYS} hari / at most {MAX_ROSTER_DAYS} days")
        return self


class OverrideIn(_In):
    """A unit head's change of one employee's mode on one day (NIP and day in the path)."""

    mode: WorkMode = Field(description="`wfo` (in the office) or `wfh` (from home)", examples=["wfo"])
    reason: Text = Field(min_length=3, max_length=500, examples=["Piket layanan KTP"],
                         description="why (at least 3 characters), shown to the employee")

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

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, json_schema_extra=documented({
        "checkin_coordinates_days": (None, 90), "superseded_places_days": (None, 90), "last_fix_days": (None, 30),
        "leaver_days": (None, 90), "access_log_days": (None, 730), "notices_days": (None, 365)}))
