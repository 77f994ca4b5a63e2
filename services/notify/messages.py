"""Message texts, Bahasa Indonesia first; times in the tenant's zone (WIB/WITA/WIT)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from services.contracts.events import ReportDueSoon, ReportOverdue
from services.contracts.policy import zone_abbreviation


def _local(event: ReportOverdue | ReportDueSoon) -> str:
    local = event.deadline.astimezone(ZoneInfo(event.timezone))
    return f"{local:%H:%M} {zone_abbreviation(event.timezone)}"


def overdue_message(event: ReportOverdue, name: str) -> tuple[str, str]:
    subject = f"Laporan belum masuk: {event.window_name} {event.local_date:%d-%m-%Y}"
    body = (
        f"Yth. {name},\n\n"
        f"Laporan \"{event.window_name}\" tanggal {event.local_date:%d-%m-%Y} belum kami terima "
        f"sampai batas waktu {_local(event)}. Mohon segera kirimkan melalui aplikasi Hadir.\n\n"
        f"(EN: your \"{event.window_name}\" check-in for {event.local_date:%Y-%m-%d} was not received "
        f"by {_local(event)}.)"
    )
    return subject, body


def due_soon_message(event: ReportDueSoon, name: str) -> tuple[str, str]:
    subject = f"Pengingat: {event.window_name} ditutup {_local(event)}"
    body = (
        f"Yth. {name},\n\nJangan lupa mengirim \"{event.window_name}\" sebelum {_local(event)}.\n\n"
        f"(EN: reminder — \"{event.window_name}\" closes at {_local(event)}.)"
    )
    return subject, body
