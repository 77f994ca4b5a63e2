"""Dates, times and labels of a message in the recipient's language and the tenant's zone.

Times read ``07:45 WIB``, ``08:45 WITA`` or ``09:45 WIT``; dates ``Senin, 24 November 2025``
(Bahasa Indonesia) or ``Monday, 24 November 2025``. Pure: templates format through a
:class:`Formatter`; reading the templates is :mod:`services.notify.messages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime as DateTime
from zoneinfo import ZoneInfo

from services.contracts.policy import zone_abbreviation

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

    def datetime(self, instant: DateTime) -> str:
        return f"{self.date(instant)} {self.time(instant)}"

    def label(self, code: str) -> str:
        return _LABELS[self.language].get(code, code)
