"""The content of a circular letter (Surat Edaran) as carried by ``policy.updated``.

Defaults follow SE 800/258-BKD/2022 of Pemprov Banten: critical departments keep
100% of staff in the office, essential ones 50%, all others 25%.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Sector(StrEnum):
    CRITICAL = "critical"
    ESSENTIAL = "essential"
    NON_ESSENTIAL = "non_essential"


class CheckinKind(StrEnum):
    ATTENDANCE = "attendance"
    LOCATION = "location"
    ACTIVITY_REPORT = "activity_report"
    VIDEO_CONFERENCE = "video_conference"


class AbsenceKind(StrEnum):
    """Why an employee is away for whole days (the BKD's absence kinds)."""

    CUTI = "cuti"  # leave (annual, big, maternity, ...)
    SAKIT = "sakit"  # sick
    IZIN = "izin"  # permission
    DINAS_LUAR = "dinas_luar"  # official travel: may carry an alternative allowed place
    TUGAS_BELAJAR = "tugas_belajar"  # study leave


DEFAULT_BKD_FROM_DAYS = {AbsenceKind.CUTI: 15, AbsenceKind.TUGAS_BELAJAR: 1}
"""From how many days (inclusive) an absence of a kind also needs the BKD's approval after the
head's: leave longer than the twelve days of annual leave, and every study leave."""


class Role(StrEnum):
    TEACHER = "teacher"
    FRONT_LINE = "front_line"
    UNIT_HEAD = "unit_head"


DEFAULT_QUOTAS = {Sector.CRITICAL: 100, Sector.ESSENTIAL: 50, Sector.NON_ESSENTIAL: 25}


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Window(_Model):
    """A daily check-in window in tenant local time (WIB, WITA or WIT), never UTC."""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$", examples=["attendance"],
                    description="a short key, unique in the letter (a-z, 0-9, `-`, `_`); check-ins and reports "
                                "name the window by it")
    name: str = Field(min_length=1, max_length=120, examples=["Apel/absensi pagi"],
                      description="what people read (on the check-in page, in reminders and reports)")
    start: time = Field(examples=["07:00"],
                        description="opens at this local time (HH:MM) in the tenant's zone (WIB, WITA or WIT), not "
                                    "UTC")
    end: time = Field(examples=["07:30"], description="closes at this local time (HH:MM) in the tenant's zone; after "
                                                      "`start`")
    grace_minutes: int = Field(default=0, ge=0, le=240, examples=[15],
                               description="minutes after `end` in which a check-in still counts, as late; after "
                                           "that it is missing")
    kinds: list[CheckinKind] = Field(min_length=1, examples=[["attendance"]],
                                     description="what the window asks for: `attendance`, `location`, "
                                                 "`activity_report`, `video_conference`")

    @model_validator(mode="after")
    def _start_before_end(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"window {self.id!r}: end {self.end} must be after start {self.start}")
        return self


class Exemptions(_Model):
    """Who always works in the office, whatever the quota."""

    roles: list[Role] = Field(default_factory=lambda: [Role.TEACHER, Role.FRONT_LINE])
    unit_ids: list[str] = Field(default_factory=list)


def default_windows() -> list[Window]:
    """The daily schedule the seeds describe: attendance 07:30, three location shares,
    a video conference at 14:00 and the activity report by 15:00."""
    k = CheckinKind
    return [
        Window(id="attendance", name="Apel/absensi pagi", start=time(7, 0), end=time(7, 30),
               grace_minutes=15, kinds=[k.ATTENDANCE]),
        Window(id="location-1", name="Lokasi pagi", start=time(8, 0), end=time(9, 0),
               grace_minutes=15, kinds=[k.LOCATION]),
        Window(id="location-2", name="Lokasi siang", start=time(11, 30), end=time(12, 30),
               grace_minutes=15, kinds=[k.LOCATION]),
        Window(id="video-conference", name="Rapat video", start=time(14, 0), end=time(14, 30),
               grace_minutes=10, kinds=[k.VIDEO_CONFERENCE]),
        Window(id="activity-report", name="Laporan kegiatan", start=time(8, 0), end=time(15, 0),
               grace_minutes=30, kinds=[k.ACTIVITY_REPORT]),
        Window(id="location-3", name="Lokasi sore", start=time(15, 0), end=time(16, 0),
               grace_minutes=15, kinds=[k.LOCATION]),
    ]


class PolicyContent(_Model):
    """Everything a consumer needs to apply a circular letter, with no call back."""

    sector_quotas: dict[Sector, int] = Field(default_factory=lambda: dict(DEFAULT_QUOTAS))
    unit_sectors: dict[str, Sector] = Field(default_factory=dict)
    exemptions: Exemptions = Field(default_factory=Exemptions)
    windows: list[Window] = Field(default_factory=default_windows)
    geofence_radius_m: float = Field(default=150.0, gt=0, le=50_000)
    working_days: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    holidays: list[date] = Field(default_factory=list)
    late_submission_limit_hours: int = Field(default=72, ge=1, le=24 * 31)
    accuracy_threshold_m: float = Field(default=100.0, gt=0)
    max_travel_speed_kmh: float = Field(default=250.0, gt=0)
    clock_skew_limit_seconds: int = Field(default=300, ge=0)
    absence_bkd_from_days: dict[AbsenceKind, int] = Field(
        default_factory=lambda: dict(DEFAULT_BKD_FROM_DAYS),
        description="absence kind → from how many days (inclusive) the BKD must approve it after the unit "
                    "head; a kind not listed needs the head only",
    )

    @model_validator(mode="after")
    def _check(self) -> PolicyContent:
        for sector, quota in self.sector_quotas.items():
            if not 0 <= quota <= 100:
                raise ValueError(f"sector_quotas[{sector}]: {quota} is not a percentage 0-100")
        if any(d not in range(1, 8) for d in self.working_days):
            raise ValueError("working_days: ISO weekdays 1 (Monday) to 7 (Sunday)")
        if any(not 1 <= days <= 3660 for days in self.absence_bkd_from_days.values()):
            raise ValueError("absence_bkd_from_days: 1-3660 days")
        ids = [w.id for w in self.windows]
        if len(ids) != len(set(ids)):
            raise ValueError("windows: ids must be unique")
        return self

    def window(self, window_id: str) -> Window | None:
        return next((w for w in self.windows if w.id == window_id), None)

    def is_letter_working_day(self, day: date) -> bool:
        """The letter's own part of the rule (weekday and the letter's holidays). Whether a tenant
        works on a day is :func:`services.contracts.rules.calendar.is_working_day`, which adds the
        national and regional calendar: call that."""
        return day.isoweekday() in self.working_days and day not in self.holidays


def local_date(instant: datetime, tz: str) -> date:
    """The calendar day of an aware instant in a tenant's zone."""
    return instant.astimezone(ZoneInfo(tz)).date()


ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_abbreviation(tz: str) -> str:
    """WIB, WITA or WIT for Indonesia's three zones; the IANA name otherwise."""
    return ZONE_ABBREVIATIONS.get(tz, tz)
