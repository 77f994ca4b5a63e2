"""Request and response bodies of a circular letter (Surat Edaran): its content as the API takes it
(each field described, with an example, for /docs: window times are tenant-local, working days ISO
weekdays), a new letter or version, an extension, a withdrawal, a version as read back."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from services.contracts.events import PolicyUpdated
from services.contracts.policy import Exemptions, PolicyContent, Sector, Window, default_windows
from services.policy.domain.letters import VersionStatus
from services.policy.schemas import Day, Text, _In, statement
from services.runtime.api_docs import documented

MAX_WINDOWS = 24
MAX_HOLIDAYS = 1_000
MAX_UNIT_ENTRIES = 5_000
# A letter travels whole in one policy.updated event, and Kafka takes records up to 1 MiB: a
# larger letter could never be published (its event would be parked, see runtime.relay).
MAX_CONTENT_BYTES = 512 * 1024
UnitKey = Annotated[str, Field(min_length=1, max_length=100)]
BasisText = Annotated[Text, Field(max_length=500)]


class LetterExemptions(Exemptions):
    """Who always works in the office, whatever the quota (:class:`Exemptions` within bounds)."""

    model_config = ConfigDict(json_schema_extra=documented({
        "roles": ("employee roles always in the office: `teacher`, `front_line` (front-line services), "
                  "`unit_head`; default teacher and front_line", ["teacher", "front_line"]),
        "unit_ids": ("units always in the office, whole (unit ids of the directory)", ["rsud-banten"]),
    }))

    unit_ids: list[UnitKey] = Field(default_factory=list, max_length=MAX_UNIT_ENTRIES)


CONTENT_FIELDS: dict[str, tuple[str | None, Any]] = {  # what /docs says of each field of a letter's content
    "sector_quotas": ("share of staff in the office on a working day, in percent (0-100), per sector: `critical`, "
                      "`essential`, `non_essential`; default 100 / 50 / 25",
                      {"critical": 100, "essential": 50, "non_essential": 25}),
    "unit_sectors": ("unit id → sector, for units whose sector this letter sets (others keep the directory's)",
                     {"dinkes": "critical", "bpkad": "non_essential"}),
    "exemptions": ("who always works in the office whatever the quota: employee `roles` (`teacher`, `front_line`, "
                   "`unit_head`) and whole units (`unit_ids`)", {"roles": ["teacher", "front_line"],
                                                                 "unit_ids": ["rsud-banten"]}),
    "windows": ("the daily check-in schedule: each window's `start` and `end` are local times (HH:MM) in the "
                "tenant's time zone (WIB, WITA or WIT), never UTC; `grace_minutes` after `end` a check-in is late, "
                "not missing; `kinds` are what it asks for (attendance, location, activity_report, "
                "video_conference); `id` is a short key (a-z, 0-9, `-`, `_`), `name` what people read",
                [{"id": "attendance", "name": "Apel/absensi pagi", "start": "07:00", "end": "07:30",
                  "grace_minutes": 15, "kinds": ["attendance"]},
                 {"id": "location-1", "name": "Lokasi pagi", "start": "08:00", "end": "09:00", "grace_minutes": 15,
                  "kinds": ["location"]}]),
    "geofence_radius_m": ("metres around the employee's registered place within which a location check-in is "
                          "inside the geofence", 150),
    "working_days": ("ISO weekdays the letter works: 1 Monday, 2 Tuesday, 3 Wednesday, 4 Thursday, 5 Friday, "
                     "6 Saturday, 7 Sunday; default Monday to Friday. National and regional holidays come from the "
                     "tenant's calendar", [1, 2, 3, 4, 5]),
    "holidays": ("extra days off this letter declares (dates, YYYY-MM-DD), besides the tenant's calendar",
                 ["2026-12-24"]),
    "late_submission_limit_hours": ("how many hours after it was captured a check-in (kept offline on the phone) "
                                    "is still accepted; an older one is refused", 72),
    "accuracy_threshold_m": ("a location fix whose accuracy radius is larger than this (metres) is flagged "
                             "suspicious (`poor_accuracy`)", 100),
    "max_travel_speed_kmh": ("a fix that could only be reached from the previous location check-in faster than "
                             "this is flagged suspicious (`impossible_travel`)", 250),
    "clock_skew_limit_seconds": ("a check-in captured further than this from when the server received it is "
                                 "flagged suspicious (`clock_skew`)", 300),
    "absence_bkd_from_days": (None, {"cuti": 15, "tugas_belajar": 1}),
}


class LetterContent(PolicyContent):
    """A letter's content as the API takes it: :class:`PolicyContent` within bounds that keep
    its ``policy.updated`` event well under Kafka's record limit (each list bounded, and the
    whole at most ``MAX_CONTENT_BYTES`` as JSON)."""

    model_config = ConfigDict(json_schema_extra=documented(CONTENT_FIELDS))

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
    title: Text = Field(min_length=1, max_length=300, description="the letter's subject (perihal)",
                        examples=[LETTER_EXAMPLE["title"]])
    signatory: Text = Field(default="", max_length=200, description="who signed it",
                            examples=[LETTER_EXAMPLE["signatory"]])
    legal_basis: list[BasisText] = Field(default_factory=list, max_length=50,
                                         description="the regulations it cites (dasar hukum), one per entry",
                                         examples=[LETTER_EXAMPLE["legal_basis"]])
    valid_from: Day = Field(description="first day in force (YYYY-MM-DD, a day in the tenant's zone)",
                            examples=[LETTER_EXAMPLE["valid_from"]])
    valid_until: Day | None = Field(default=None, description="last day in force; null: until further notice",
                                    examples=[LETTER_EXAMPLE["valid_until"]])
    content: LetterContent = Field(default_factory=LetterContent,
                                   description="the rules: quotas, exemptions, the daily windows (tenant-local "
                                               "times), the working days (ISO weekdays 1 Monday … 7 Sunday), the "
                                               "geofence; a field left out takes its default",
                                   examples=[LETTER_EXAMPLE["content"]])

    @model_validator(mode="after")
    def _range(self) -> PolicyIn:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until sebelum valid_from / valid_until is before valid_from")
        return self


class ExtensionIn(_In):
    """An extension: a new version with the current content and a new end.

    It starts the day after the current version ends unless ``valid_from`` says otherwise.
    """

    valid_until: Day | None = Field(description="the new end; null: until further notice", examples=["2027-03-31"])
    valid_from: Day | None = Field(default=None, examples=[None],
                                   description="first day of the extension (default: the day after the current "
                                               "version ends)")
    number: Text | None = Field(default=None, min_length=1, max_length=100, examples=["800/12-BKD/2027"],
                               description="the extending letter's own number, if it has one")
    title: Text | None = Field(default=None, min_length=1, max_length=300, examples=[None],
                               description="a new subject (default: the current one)")
    signatory: Text | None = Field(default=None, max_length=200, examples=[None],
                                   description="who signed the extension (default: the current signatory)")
    legal_basis: list[BasisText] | None = Field(default=None, max_length=50, examples=[None],
                                                description="the regulations it cites (default: the current ones)")


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

    reason: Annotated[str, statement(5)] = Field(max_length=500, examples=["Perpanjangan dibatalkan Sekda"],
                                                 description="why (at least 5 characters), kept on the version")
