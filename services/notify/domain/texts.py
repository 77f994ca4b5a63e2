"""Dates, times and labels of a message in the recipient's language and the tenant's zone.

Times read ``07:45 WIB``, ``08:45 WITA`` or ``09:45 WIT``; dates ``Senin, 24 November 2025``
(Bahasa Indonesia) or ``Monday, 24 November 2025``; ranges of days ``3–5 Desember 2026``.
Pure: templates format through a :class:`Formatter`; reading the templates is :mod:`services.notify.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime as DateTime
from zoneinfo import ZoneInfo

from services.contracts.policy import AbsenceKind, zone_abbreviation
from services.contracts.rules.absence import ABSENCE_NAMES

_DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}
_LABELS = {
    "id": {
        "wfo": "bekerja di kantor (WFO)", "wfh": "bekerja dari rumah (WFH)",
        "attendance": "absensi", "location": "lokasi", "activity_report": "laporan kegiatan",
        "video_conference": "rapat video",
        "mock_location": "lokasi palsu (mock location)", "poor_accuracy": "akurasi GPS buruk",
        "impossible_travel": "perpindahan tidak wajar", "clock_skew": "jam perangkat tidak sesuai",
        "missing_location": "lokasi tidak dikirim", "outside": "di luar geofence",
        "critical": "kritikal", "essential": "esensial", "non_essential": "non-esensial",
        "day": "hari ini", "week": "minggu ini",
        "missing": "tidak tercatat", "late": "terlambat", "outside_geofence": "di luar geofence",
        "approved": "disetujui", "rejected": "ditolak",
    },
    "en": {
        "wfo": "work in the office (WFO)", "wfh": "work from home (WFH)",
        "attendance": "attendance", "location": "location", "activity_report": "activity report",
        "video_conference": "video conference",
        "mock_location": "mock location", "poor_accuracy": "poor GPS accuracy",
        "impossible_travel": "impossible travel", "clock_skew": "device clock off",
        "missing_location": "no location sent", "outside": "outside the geofence",
        "critical": "critical", "essential": "essential", "non_essential": "non-essential",
        "day": "today", "week": "this week",
        "missing": "missing", "late": "late", "outside_geofence": "outside the geofence",
        "approved": "approved", "rejected": "rejected",
    },
}


@dataclass(frozen=True)
class Formatter:
    language: str
    timezone: str

    @property
    def zone(self) -> str:
        return zone_abbreviation(self.timezone)

    def local(self, instant: DateTime) -> DateTime:
        return instant.astimezone(ZoneInfo(self.timezone))

    def time(self, instant: DateTime) -> str:
        return f"{self.local(instant):%H:%M} {self.zone}"

    def date(self, day: Date | DateTime) -> str:
        if isinstance(day, DateTime):
            day = self.local(day).date()
        return (f"{_DAYS[self.language][day.weekday()]}, {day.day} "
                f"{_MONTHS[self.language][day.month - 1]} {day.year}")

    def short_date(self, day: Date) -> str:
        return f"{_DAYS[self.language][day.weekday()][:3]} {day.day:02d}/{day.month:02d}"

    def span(self, start: Date, end: Date) -> str:
        """``3 Desember 2026``, ``3–5 Desember 2026``, ``28 November – 2 Desember 2026`` or across years
        ``30 Desember 2026 – 2 Januari 2027``."""
        months = _MONTHS[self.language]

        def full(day: Date) -> str:
            return f"{day.day} {months[day.month - 1]} {day.year}"

        if start == end:
            return full(start)
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{full(end)}"
        if start.year == end.year:
            return f"{start.day} {months[start.month - 1]} – {full(end)}"
        return f"{full(start)} – {full(end)}"

    def month(self, day: Date) -> str:
        """``Desember 2026`` / ``December 2026``."""
        return f"{_MONTHS[self.language][day.month - 1]} {day.year}"

    def absence(self, kind: str) -> str:
        """The people-facing name of an absence kind (``Cuti`` / ``Leave``)."""
        try:
            indonesian, english = ABSENCE_NAMES[AbsenceKind(kind)]
        except (ValueError, KeyError):
            return kind
        return indonesian if self.language == "id" else english

    def datetime(self, instant: DateTime) -> str:
        return f"{self.date(instant)} {self.time(instant)}"

    def label(self, code: str) -> str:
        return _LABELS[self.language].get(code, code)
