"""CSV and XLSX exports of the daily and monthly reports, in Bahasa Indonesia.

They lay out the report and its rows as built (each row's status by the one rule,
:mod:`.domain.ledger`) and decide nothing. A row excused by an approved absence says
which (``Jenis Ketidakhadiran``); a row an approved correction changed keeps the original
verdict beside it (``Status Asli``) with when it was corrected. Times are in the tenant's local time with
its zone (WIB, WITA, WIT). CSV is UTF-8 with a byte-order mark so that spreadsheet
programs read the accents, and no text cell is a formula (:mod:`services.runtime.csv_export`);
XLSX (via xlsxwriter) has one sheet per table, a frozen header row and filters, and writes
text as text (never a formula).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter

from services.contracts.policy import AbsenceKind
from services.contracts.rules.absence import ABSENCE_NAMES
from services.reporting.domain.daily import Counts
from services.reporting.domain.daily_report import DailyReport, local_text
from services.reporting.domain.ledger import LedgerRow
from services.reporting.domain.monthly import ScoreOut
from services.runtime import csv_export

STATUS = {"on_time": "Tepat waktu", "late": "Terlambat", "missing": "Tidak lapor", "excused": "Dikecualikan",
          None: "Menunggu"}
STATUS_EN = {"on_time": "On time", "late": "Late", "missing": "Missing", "excused": "Excused", None: "Pending"}
SECTOR = {"critical": "Kritikal", "essential": "Esensial", "non_essential": "Non-esensial"}
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember")

COUNT_HEADERS = ["Wajib Lapor", "Tepat Waktu", "Terlambat", "Tidak Lapor", "Menunggu", "Di Luar Geofence",
                 "Mencurigakan", "Dikecualikan (Cuti/Izin/Sakit/Dinas Luar/Koreksi)", "Dikoreksi"]


@dataclass(frozen=True)
class Sheet:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("Ya" if value else "Tidak")


def _counts(c: Counts) -> list[int]:
    return [c.expected, c.on_time, c.late, c.missing, c.pending, c.outside_geofence, c.suspicious, c.excused,
            c.corrected]


def absence_name(kind: str | None, language: int = 0) -> str:
    """The people-facing name of an absence kind (0: Bahasa Indonesia, 1: English)."""
    return ABSENCE_NAMES[AbsenceKind(kind)][language] if kind else ""


def original_text(row: LedgerRow, tz: str) -> list[Any]:
    """The verdict before an approved correction, and when it was corrected (blank when none)."""
    if row.original_status is None:
        return ["", "", "", ""]
    return [STATUS.get(row.original_status, row.original_status), row.original_late_minutes or 0,
            yes_no(row.original_outside_geofence), local_text(row.corrected_at, tz)]


def daily_sheets(report: DailyReport, rows: Sequence[LedgerRow], window_names: dict[str, str]) -> list[Sheet]:
    tz, day = report.timezone, report.date.isoformat()
    summary = Sheet("Ringkasan", [
        "Tanggal", "Kode Unit", "Unit Kerja", "Sektor", *COUNT_HEADERS, "Jumlah Pegawai", "WFO", "WFH",
        "Rasio di Kantor (%)", "Kuota di Kantor (%)", "Memenuhi Kuota", "Diverifikasi", "Diverifikasi Oleh",
        f"Waktu Verifikasi ({report.zone})",
    ], [])
    for u in report.units:
        o = u.in_office
        summary.rows.append([
            day, u.unit_id, u.name, SECTOR.get(u.sector, u.sector), *_counts(u.totals), o.headcount, o.wfo, o.wfh,
            round(o.ratio * 100, 1) if o.ratio is not None else "", o.quota_pct if o.quota_pct is not None else "",
            yes_no(o.meets_quota), yes_no(u.verified), u.verified_by or "", local_text(u.verified_at, tz),
        ])
    summary.rows.append([day, "", "JUMLAH", "", *_counts(report.totals), report.in_office.headcount,
                         report.in_office.wfo, report.in_office.wfh,
                         round(report.in_office.ratio * 100, 1) if report.in_office.ratio is not None else "",
                         "", "", f"{report.units_verified}/{report.units_total}", "", ""])
    windows = Sheet("Per Jendela", [
        "Tanggal", "Kode Jendela", "Jendela", f"Mulai ({report.zone})", f"Selesai ({report.zone})",
        f"Batas Waktu ({report.zone})", "Ditutup", "Ditutup Sebelum Semua Diproses", *COUNT_HEADERS,
    ], [[day, w.window_id, w.window_name, local_text(w.start, tz), local_text(w.end, tz),
         local_text(w.deadline, tz), yes_no(w.finalized), yes_no(w.forced_close), *_counts(w)]
        for w in report.windows])
    deadlines = {w.window_id: w.deadline for w in report.windows}
    detail = Sheet("Rincian", [
        "Tanggal", "NIP", "Nama", "Kode Unit", "Sektor", "Jendela", f"Batas Waktu ({report.zone})", "Status",
        "Terlambat (menit)", f"Waktu Lapor ({report.zone})", "Di Luar Geofence", "Mencurigakan",
        "Pemberitahuan Terlambat Dikirim", "Jenis Ketidakhadiran", "Status Asli (sebelum koreksi)",
        "Terlambat Asli (menit)", "Di Luar Geofence Asli", f"Dikoreksi Pada ({report.zone})",
    ], [[day, r.nip, r.name, r.unit_id, SECTOR.get(r.sector, r.sector),
         window_names.get(r.window_id, r.window_id), local_text(deadlines.get(r.window_id), tz),
         STATUS.get(r.status, r.status), r.late_minutes, local_text(r.checkin_at, tz), yes_no(r.outside_geofence),
         yes_no(r.suspicious), yes_no(r.overdue), absence_name(r.absence_kind), *original_text(r, tz)]
        for r in sorted(rows, key=lambda r: (r.unit_id, r.nip, r.window_id))])
    return [summary, windows, detail, quota_sheet(report)]


def _pct(ratio: float | None) -> float | str:
    return round(ratio * 100, 1) if ratio is not None else ""


def quota_sheet(report: DailyReport) -> Sheet:
    """Actual in the office versus the quota, beside the plan, per unit (:mod:`.domain.actual_office`)."""
    day, q = report.date.isoformat(), report.quota
    sheet = Sheet("Kuota Aktual", [
        "Tanggal", "Kode Unit", "Unit Kerja", "Sektor", "Jumlah Pegawai", "Kuota di Kantor (%)",
        "Wajib di Kantor (Rencana)", "WFO (Rencana)", "Rasio Rencana (%)", "Memenuhi Kuota (Rencana)",
        "Berhalangan (Absen Disetujui)", "Wajib di Kantor (Aktual)", "Hadir di Kantor (Aktual)", "Rasio Aktual (%)",
        "Memenuhi Kuota (Aktual)",
    ], [[day, u.unit_id, u.name, SECTOR.get(u.sector, u.sector), u.headcount,
         u.quota_pct if u.quota_pct is not None else "", u.planned_required, u.planned_wfo, _pct(u.planned_ratio),
         yes_no(u.meets_quota_planned), u.excused, u.actual_required, u.actual_in_office, _pct(u.actual_ratio),
         yes_no(u.meets_quota_actual)] for u in q.units])
    sheet.rows.append([day, "", "JUMLAH", "", q.headcount, "", "", q.planned_wfo, "",
                       f"{q.units_meeting_quota_planned}/{len(q.units)}", q.excused, "", q.actual_in_office,
                       _pct(q.actual_ratio), f"{q.units_meeting_quota_actual}/{len(q.units)}"])
    return sheet


def month_label(month: Any) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def monthly_sheets(month: Any, rows: Sequence[ScoreOut], weights: dict[str, Any], final: bool) -> list[Sheet]:
    label = month_label(month)
    scores = Sheet("Evaluasi Bulanan", [
        "Bulan", "NIP", "Nama", "Kode Unit", "Wajib Lapor", "Tepat Waktu", "Terlambat", "Tidak Lapor",
        "Di Luar Geofence", "Mencurigakan", "Total Menit Terlambat", "Skor Disiplin", "Predikat", "Final",
        "Dikecualikan (tidak dihitung)",
    ], [[label, r.nip, r.name, r.unit_id, r.expected, r.on_time, r.late, r.missing, r.outside_geofence,
         r.suspicious, r.late_minutes, r.score if r.score is not None else "", r.predicate or "", yes_no(final),
         r.excused] for r in rows])
    names = {
        "on_time": "Nilai tepat waktu", "late_max": "Nilai terlambat (maksimum)",
        "late_min": "Nilai terlambat (minimum)", "late_decay_minutes": "Menit hingga nilai minimum",
        "missing": "Nilai tidak lapor", "outside_geofence_penalty": "Potongan di luar geofence",
        "suspicious_penalty": "Potongan mencurigakan",
    }
    weight_sheet = Sheet("Bobot", ["Bobot", "Kode", "Nilai"],
                         [[names.get(k, k), k, v] for k, v in weights.items()])
    return [scores, weight_sheet]


def to_csv(sheet: Sheet) -> bytes:
    """One sheet as CSV, by the suite's one writer (no cell is a formula: :mod:`services.runtime.csv_export`)."""
    return csv_export.to_csv(sheet.headers, sheet.rows)


def to_xlsx(sheets: Sequence[Sheet], title: str) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    workbook.set_properties({"title": title, "author": "Hadir", "company": "Hadir"})
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    text_format = workbook.add_format({"num_format": "@"})
    for sheet in sheets:
        ws = workbook.add_worksheet(sheet.title[:31])
        ws.write_row(0, 0, sheet.headers, bold)
        for i, row in enumerate(sheet.rows, start=1):
            for j, value in enumerate(row):
                if isinstance(value, str):
                    ws.write_string(i, j, value)  # NIPs stay text, never 1.98E+17
                else:
                    ws.write(i, j, value)
        widths = [len(h) for h in sheet.headers]
        for row in sheet.rows[:500]:
            for j, value in enumerate(row):
                widths[j] = max(widths[j], len(str(value)))
        for j, width in enumerate(widths):
            ws.set_column(j, j, min(max(width + 2, 8), 45), text_format if sheet.headers[j] == "NIP" else None)
        ws.freeze_panes(1, 0)
        if sheet.rows:
            ws.autofilter(0, 0, len(sheet.rows), len(sheet.headers) - 1)
    workbook.close()
    return buffer.getvalue()
