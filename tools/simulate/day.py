"""The simulated day, planned before anything is sent: pure and seeded, no I/O.

Guarantee: the same :class:`Config` (seed included) gives the same staff, the same plan and the
same ground truth; :func:`render` compares that truth with what the services reported.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

WINDOWS = (
    ("apel", "Apel pagi (simulasi)", "attendance"),
    ("lokasi", "Berbagi lokasi (simulasi)", "location"),
    ("rapat", "Rapat video (simulasi)", "video_conference"),
    ("laporan", "Laporan kegiatan (simulasi)", "activity_report"),
)
GEOFENCED = {"attendance", "location"}
METRICS = ("expected", "on_time", "late", "missing", "outside_geofence", "suspicious")
UNIT_SECTORS = (("dinkes", "Dinas Kesehatan", "critical"), ("bpkad", "Badan Pengelolaan Keuangan dan Aset Daerah",
                "essential"), ("diskominfo", "Dinas Komunikasi dan Informatika", "essential"))
CENTRE = (-6.1202, 106.1503)  # Serang, Banten


@dataclass
class Config:
    policy_url: str = "http://127.0.0.1:8002"
    checkin_url: str = "http://127.0.0.1:8001"
    reporting_url: str = "http://127.0.0.1:8004"
    kafka: str = "127.0.0.1:9092"
    private_key: Path | None = None
    employees: int = 5000
    units: int = 10
    seed: int = 20260310
    tenant: str | None = None
    timezone: str | None = None
    window_seconds: float | None = None  # default: sized from the volume and ``rate``
    rate: float = 40.0  # check-ins per second the services are expected to sustain (sizes the windows)
    concurrency: int = 24
    mix: dict[str, float] = field(default_factory=lambda: {
        "on_time": 0.70, "late": 0.12, "missing": 0.12, "after_overdue": 0.06})
    outside_share: float = 0.08
    suspicious_share: float = 0.05
    lead_seconds: float | None = None  # from the letter to the first window; default sized from N
    settle_timeout: float = 180.0
    out: Callable[[str], None] | None = None


@dataclass
class Person:
    nip: str
    unit: str
    sector: str
    home: tuple[float, float]
    office: tuple[float, float]


@dataclass
class Planned:
    person: Person
    window: str
    kind: str
    outcome: str
    outside: bool
    suspicious: bool
    at: datetime | None = None  # capture time (None for after_overdue: when sent)
    accepted_at: datetime | None = None  # when the check-in API acknowledged it


@dataclass
class Result:
    ok: bool
    tenant: str
    truth: dict[str, dict[str, int]]
    report: dict[str, dict[str, int]]
    overdue_expected: int
    overdue_events: int
    overdue_duplicates: int
    sent: int
    failed: int
    max_lag_s: float
    timings: dict[str, float]
    overdue_in_doubt: int = 0
    table: str = ""

    @property
    def overdue_matches(self) -> bool:
        return self.overdue_expected <= self.overdue_events <= self.overdue_expected + self.overdue_in_doubt


# A check-in acknowledged this close before a deadline may still be on its way through
# policy and reporting when the window closes; one acknowledged this long after it
# certainly arrived after the closure (deadline + the reporting settle delay).
DOUBT_BEFORE = timedelta(seconds=30)
DOUBT_AFTER = timedelta(seconds=60)


def arrivals_after_close(planned: Sequence[Planned], deadlines: dict[str, datetime]) -> tuple[int, int]:
    """Check-ins planned on time or late whose acknowledgement came too late for the
    closure (the sender fell behind schedule): (certainly overdue, in doubt)."""
    certain = doubt = 0
    for p in planned:
        if p.outcome not in ("on_time", "late") or p.accepted_at is None:
            continue
        deadline = deadlines[p.window]
        if p.accepted_at >= deadline + DOUBT_AFTER:
            certain += 1
        elif p.accepted_at >= deadline - DOUBT_BEFORE:
            doubt += 1
    return certain, doubt


def nip_for(i: int) -> str:
    """A valid PNS NIP (birth date, first appointment, gender, sequence) for employee ``i``."""
    born = date(1970, 1, 1) + timedelta(days=i // 999)
    gender = "1" if (i // 999) % 2 == 0 else "2"
    return f"{born:%Y%m%d}199501{gender}{i % 999 + 1:03d}"


def units_of(count: int) -> list[tuple[str, str, str]]:
    units = list(UNIT_SECTORS[:count])
    for i in range(len(units), count):
        units.append((f"opd-{i:02d}", f"Organisasi Perangkat Daerah {i:02d}", "non_essential"))
    return units


def offset(point: tuple[float, float], metres: float, rng: random.Random) -> tuple[float, float]:
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(bearing) / 111_320
    dlon = metres * math.sin(bearing) / (111_320 * math.cos(math.radians(point[0])))
    return round(point[0] + dlat, 7), round(point[1] + dlon, 7)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance on a local flat approximation (plenty for a few kilometres)."""
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def people(cfg: Config, rng: random.Random) -> list[Person]:
    units = units_of(cfg.units)
    offices = {u: offset(CENTRE, rng.uniform(500, 5000), rng) for u, _, _ in units}
    staff = []
    for i in range(cfg.employees):
        unit, _, sector = units[i % len(units)]
        staff.append(Person(nip_for(i), unit, sector, offset(CENTRE, rng.uniform(1000, 20000), rng), offices[unit]))
    return staff


def plan(cfg: Config, staff: Sequence[Person], rng: random.Random) -> list[Planned]:
    """Every expected (employee, window) with its drawn outcome and flags."""
    planned = []
    outcomes, weights = zip(*cfg.mix.items(), strict=True)
    for person in staff:
        for window, _, kind in WINDOWS:
            if person.sector == "critical" and kind != "attendance":
                continue  # in the office: only attendance is asked of them
            outcome = rng.choices(outcomes, weights)[0]
            sent = outcome != "missing"
            outside = sent and kind in GEOFENCED and rng.random() < cfg.outside_share
            suspicious = sent and rng.random() < cfg.suspicious_share
            planned.append(Planned(person, window, kind, outcome, outside, suspicious))
    return planned


def ground_truth(planned: Sequence[Planned]) -> dict[str, dict[str, int]]:
    truth = {w: dict.fromkeys(METRICS, 0) for w, _, _ in WINDOWS}
    for p in planned:
        t = truth[p.window]
        t["expected"] += 1
        t[{"on_time": "on_time", "late": "late", "after_overdue": "late", "missing": "missing"}[p.outcome]] += 1
        t["outside_geofence"] += p.outside
        t["suspicious"] += p.suspicious
    return truth


def employees_csv(staff: Sequence[Person]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["nip", "nama", "jabatan", "unit", "aktif", "rumah_lat", "rumah_lon", "rumah_radius",
                     "kantor_lat", "kantor_lon", "kantor_radius"])
    for i, p in enumerate(staff):
        writer.writerow([p.nip, f"Pegawai Simulasi {i + 1}", "Pelaksana", p.unit, "ya", p.home[0], p.home[1], 100,
                         p.office[0], p.office[1], 150])
    return buffer.getvalue().encode()


def checkin_body(p: Planned, captured: datetime, rng: random.Random) -> dict:
    anchor = p.person.office if p.person.sector == "critical" else p.person.home
    body: dict = {"kind": p.kind, "captured_at": captured.isoformat(), "device_id": f"sim-{p.person.nip[-6:]}"}
    if p.kind in GEOFENCED or p.suspicious:
        where = offset(anchor, rng.uniform(0, 25), rng)
        if p.outside:  # away from every place of the employee's
            while True:
                where = offset(anchor, rng.uniform(600, 900), rng)
                if min(metres(where, p.person.home), metres(where, p.person.office)) > 400:
                    break
        body["location"] = {"latitude": where[0], "longitude": where[1], "accuracy_m": 12.0,
                            "mock_location": p.suspicious}
    if p.kind == "activity_report":
        body["activity_text"] = "Menyusun laporan kegiatan harian (simulasi)"
    if p.kind == "video_conference":
        body["meeting_ref"] = "https://meet.example.go.id/rapat-simulasi"
    return body


def render(r: Result) -> str:
    lines = [f"{'jendela':<10}{'ukuran':<18}{'kebenaran':>10}{'laporan':>10}  cocok"]
    for window, truth in r.truth.items():
        for metric in METRICS:
            got = r.report.get(window, {}).get(metric)
            lines.append(f"{window:<10}{metric:<18}{truth[metric]:>10}{'-' if got is None else got:>10}  "
                         f"{'ya' if got == truth[metric] else 'TIDAK'}")
    doubt = f" (+{r.overdue_in_doubt} ragu/in doubt)" if r.overdue_in_doubt else ""
    lines.append(f"{'overdue':<10}{'report.overdue':<18}{r.overdue_expected:>10}{r.overdue_events:>10}  "
                 f"{'ya' if r.overdue_matches else 'TIDAK'}{doubt}")
    lines.append(f"{'overdue':<10}{'duplikat':<18}{0:>10}{r.overdue_duplicates:>10}  "
                 f"{'ya' if r.overdue_duplicates == 0 else 'TIDAK'}")
    lines.append(f"check-in terkirim {r.sent}, gagal {r.failed}, jeda kirim maks {r.max_lag_s} s; "
                 f"waktu {r.timings}")
    if r.max_lag_s > 25:
        lines.append(f"PERINGATAN: pengirim tertinggal {r.max_lag_s} s dari jadwal (mesin terlalu sibuk?); "
                     "check-in yang tiba setelah jendela ditutup dihitung terlambat dan mendapat report.overdue / "
                     "the sender fell behind schedule: lower --rate or the number of employees")
    lines.append("HASIL: COCOK" if r.ok else "HASIL: TIDAK COCOK")
    return "\n".join(lines)

