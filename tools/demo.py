"""The demo tenant: Pemerintah Provinsi Banten under SE 800/258-BKD/2022.

Departments (OPD) by sector as the circular letter lists them (critical 100 % in the
office, essential 50 %, all others 25 %), a few UPT/balai sub-units, 42 employees with
valid NIPs and home places around Serang, and the letter itself with the default
schedule and quotas (:class:`~services.contracts.policy.PolicyContent`).

Everything is loaded over the policy service's HTTP API through the shared
:class:`~tools.seed.Seeder` with a ``tenant_admin`` token, so the ``directory.updated`` and
``policy.updated`` events flow to the other services exactly as they would for a real tenant.
Loading is idempotent: what already exists unchanged is left alone (no write, no event), and
the letter is created once. A refused request raises :class:`~tools.seed.SeedError`.
"""

from __future__ import annotations

import asyncio
import time as _clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from services.contracts.policy import PolicyContent
from services.policy.schemas import EmployeeOut
from tools import seed
from tools.seed import Seeder

TENANT_ID = "banten"
TIMEZONE = "Asia/Jakarta"
TENANT = {"name": "Pemerintah Provinsi Banten", "kind": "province", "timezone": TIMEZONE}
POLICY_NUMBER = "800/258-BKD/2022"
POLICY_ID = "800-258-bkd-2022"  # what the policy service derives from the number
PRACTICE_WINDOW_ID = "latihan"

# Kawasan Pusat Pemerintahan Provinsi Banten (KP3B), Curug, Serang. Coordinates here are
# approximate and for the demo only.
KP3B = (-6.1536, 106.1823)


@dataclass(frozen=True)
class DemoUnit:
    id: str
    name: str
    sector: str | None  # None: inherits its department's
    kind: str = "department"
    parent_id: str | None = None
    office: tuple[float, float] = KP3B

    def body(self) -> dict[str, Any]:
        return {**seed.unit(self.name, None, kind=self.kind, parent_id=self.parent_id, active=True),
                "sector": self.sector}


@dataclass(frozen=True)
class DemoEmployee:
    unit_id: str
    name: str
    position: str
    born: str  # YYYYMMDD
    appointed: str  # YYYYMM, first appointment as CPNS
    gender: int  # 1 pria / male, 2 wanita / female
    sequence: int
    flags: str = ""  # H unit head, T teacher, F front-line service
    home: tuple[float, float] = (-6.12, 106.15)

    @property
    def nip(self) -> str:
        return f"{self.born}{self.appointed}{self.gender}{self.sequence:03d}"

    def body(self, office: tuple[float, float]) -> dict[str, Any]:
        return {
            "name": self.name, "position": self.position, "unit_id": self.unit_id,
            "is_teacher": "T" in self.flags, "is_front_line": "F" in self.flags, "is_unit_head": "H" in self.flags,
            "active": True, "email": f"{_login(self.name)}@banten.example", "phone": None,
            "places": [seed.home(self.home, 200.0), seed.place("Kantor", "office", *office, 300.0)],
        }


UNITS: tuple[DemoUnit, ...] = (
    # Sektor kritikal: 100 % bekerja di kantor.
    DemoUnit("dinkes", "Dinas Kesehatan", "critical"),
    DemoUnit("upt-labkesda", "UPTD Laboratorium Kesehatan Daerah", None, "upt", "dinkes", (-6.1187, 106.1604)),
    DemoUnit("rsud-banten", "RSUD Banten", "critical", office=(-6.1409, 106.1733)),
    DemoUnit("satpolpp", "Satuan Polisi Pamong Praja", "critical"),
    DemoUnit("dishub", "Dinas Perhubungan", "critical"),
    DemoUnit("bpbd", "Badan Penanggulangan Bencana Daerah", "critical"),
    # Sektor esensial: 50 %.
    DemoUnit("bpkad", "Badan Pengelolaan Keuangan dan Aset Daerah", "essential"),
    DemoUnit("diskominfo", "Dinas Komunikasi, Informatika, Statistik dan Persandian", "essential"),
    DemoUnit("bapenda", "Badan Pendapatan Daerah", "essential"),
    DemoUnit("upt-samsat-serang", "UPTD Samsat Serang", None, "upt", "bapenda", (-6.1130, 106.1531)),
    DemoUnit("dindikbud", "Dinas Pendidikan dan Kebudayaan", "essential"),
    DemoUnit("sman1-serang", "SMA Negeri 1 Kota Serang", None, "upt", "dindikbud", (-6.1158, 106.1510)),
    DemoUnit("dpmptsp", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "essential"),
    # Sektor non-esensial: 25 %.
    DemoUnit("bkd", "Badan Kepegawaian Daerah", "non_essential"),
    DemoUnit("bappeda", "Badan Perencanaan Pembangunan Daerah", "non_essential"),
    DemoUnit("dlhk", "Dinas Lingkungan Hidup dan Kehutanan", "non_essential"),
    DemoUnit("disnakertrans", "Dinas Tenaga Kerja dan Transmigrasi", "non_essential"),
    DemoUnit("blk-serang", "Balai Latihan Kerja Serang", None, "balai", "disnakertrans", (-6.1251, 106.1689)),
)

_PEOPLE = (
    # unit, name, position, born, appointed, gender, flags
    ("dinkes", "dr. Rahmat Hidayat, M.Kes.", "Kepala Dinas Kesehatan", "19720415", "199903", 1, "H"),
    ("dinkes", "Neneng Nurhayati, S.K.M.", "Epidemiolog Kesehatan Ahli Muda", "19850822", "201001", 2, ""),
    ("dinkes", "Ahmad Syarifudin", "Pengadministrasi Umum", "19900311", "201503", 1, ""),
    ("upt-labkesda", "Yuyun Yuningsih, A.Md.A.K.", "Pranata Laboratorium Kesehatan", "19880607", "201101", 2, "F"),
    ("rsud-banten", "dr. Hendra Kusuma, Sp.PD.", "Direktur RSUD Banten", "19740209", "200212", 1, "H"),
    ("rsud-banten", "Siti Maryam, S.Kep., Ners", "Perawat Ahli Pertama", "19930118", "201903", 2, "F"),
    ("rsud-banten", "Iwan Kurniawan, A.Md.Kep.", "Perawat Terampil", "19910725", "201703", 1, "F"),
    ("satpolpp", "Drs. Asep Mulyana", "Kepala Satuan Polisi Pamong Praja", "19700520", "199403", 1, "H"),
    ("satpolpp", "Dedi Supriatna", "Polisi Pamong Praja Terampil", "19870913", "201012", 1, "F"),
    ("dishub", "Ir. Bambang Wijayanto, M.T.", "Kepala Dinas Perhubungan", "19710304", "199803", 1, "H"),
    ("dishub", "Ujang Sukmana", "Penguji Kendaraan Bermotor", "19890430", "201404", 1, "F"),
    ("bpbd", "Tb. Ahmad Fikri, S.Sos.", "Kepala Pelaksana BPBD", "19751111", "200003", 1, "H"),
    ("bpbd", "Rina Marlina, S.T.", "Analis Kebencanaan", "19920627", "201803", 2, ""),
    ("bpkad", "Dr. Ratu Siti Aisyah, M.Si.", "Kepala BPKAD", "19730817", "199903", 2, "H"),
    ("bpkad", "Fajar Nugraha, S.E.", "Analis Keuangan Pusat dan Daerah", "19940203", "201903", 1, ""),
    ("bpkad", "Lina Herlina, S.Ak.", "Pengelola Barang Milik Daerah", "19890919", "201403", 2, ""),
    ("diskominfo", "Eko Prasetyo, S.Kom., M.T.I.", "Kepala Dinas Kominfo SP", "19760612", "200112", 1, "H"),
    ("diskominfo", "Indah Permatasari, S.Kom.", "Pranata Komputer Ahli Pertama", "19950421", "202003", 2, ""),
    ("diskominfo", "Muhammad Rizki Ramadhan, S.T.", "Pranata Komputer Ahli Muda", "19910101", "201603", 1, ""),
    ("bapenda", "H. Saepul Bahri, S.H., M.M.", "Kepala Badan Pendapatan Daerah", "19740722", "200003", 1, "H"),
    ("bapenda", "Yeni Mulyani, S.E.", "Analis Pendapatan Daerah", "19900808", "201503", 2, ""),
    ("upt-samsat-serang", "Wawan Setiawan", "Petugas Pelayanan Samsat", "19860215", "201001", 1, "F"),
    ("upt-samsat-serang", "Nia Kurniasih, A.Md.", "Kasir Samsat", "19930330", "201803", 2, "F"),
    ("dindikbud", "Dr. Heri Susanto, M.Pd.", "Kepala Dinas Pendidikan dan Kebudayaan", "19720929", "199803", 1, "H"),
    ("dindikbud", "Tati Suprihatin, S.Pd.", "Analis Kurikulum", "19870521", "201012", 2, ""),
    ("sman1-serang", "Drs. Jajang Nurjaman, M.Pd.", "Guru Bahasa Indonesia", "19710106", "199703", 1, "T"),
    ("sman1-serang", "Euis Komalasari, S.Pd.", "Guru Matematika", "19880912", "201403", 2, "T"),
    ("sman1-serang", "Ridwan Maulana, S.Pd.", "Guru Fisika", "19920402", "201903", 1, "T"),
    ("dpmptsp", "Hj. Endang Sulastri, S.H., M.Si.", "Kepala DPMPTSP", "19730318", "199803", 2, "H"),
    ("dpmptsp", "Ade Irawan, S.A.P.", "Petugas Front Office Perizinan", "19910910", "201603", 1, "F"),
    ("bkd", "Drs. H. Deden Ruhiyat, M.Si.", "Kepala Badan Kepegawaian Daerah", "19700811", "199503", 1, "H"),
    ("bkd", "Fitri Handayani, S.Psi.", "Analis SDM Aparatur Ahli Muda", "19890126", "201403", 2, ""),
    ("bkd", "Hasanudin, S.IP.", "Analis Kepegawaian", "19920614", "201803", 1, ""),
    ("bkd", "Maesaroh, S.E.", "Pengelola Data Kepegawaian", "19950905", "202003", 2, ""),
    ("bappeda", "Ir. Apip Syarifudin, M.T.", "Kepala Bappeda", "19721203", "199903", 1, "H"),
    ("bappeda", "Ika Puspitasari, S.T., M.T.", "Perencana Ahli Muda", "19881015", "201303", 2, ""),
    ("dlhk", "Dadang Hermawan, S.Hut.", "Kepala Dinas Lingkungan Hidup dan Kehutanan", "19740403", "200003", 1, "H"),
    ("dlhk", "Ai Nurjanah, S.Si.", "Pengendali Dampak Lingkungan", "19930707", "201903", 2, ""),
    ("disnakertrans", "Drs. Suryadi, M.M.", "Kepala Disnakertrans", "19710928", "199703", 1, "H"),
    ("disnakertrans", "Aan Andriana, S.Sos.", "Mediator Hubungan Industrial", "19900117", "201503", 1, ""),
    ("blk-serang", "Cucu Sumiati, S.Pd.", "Instruktur Ahli Pertama", "19940310", "201903", 2, ""),
    ("blk-serang", "Rohmat Hidayat", "Pengelola Sarana Pelatihan", "19860505", "201012", 1, ""),
)


_TITLES = {"dr", "drs", "ir", "h", "hj", "tb", "ratu"}  # degrees, honorifics, Banten nobility


def _login(name: str) -> str:
    """``Drs. H. Deden Ruhiyat, M.Si.`` → ``deden.ruhiyat`` (academic degrees and honorifics dropped)."""
    words = [w.strip(".").lower() for w in name.split(",")[0].split()]
    return ".".join([w for w in words if w not in _TITLES][:2])


def _home(index: int) -> tuple[float, float]:
    """A home within about 3 km of Serang's centre (-6.12, 106.15), spread deterministically."""
    return (round(-6.12 + ((index * 37) % 61 - 30) / 1000, 5), round(106.15 + ((index * 53) % 61 - 30) / 1000, 5))


EMPLOYEES: tuple[DemoEmployee, ...] = tuple(
    DemoEmployee(unit, name, position, born, appointed, gender, i + 1, flags, _home(i))
    for i, (unit, name, position, born, appointed, gender, flags) in enumerate(_PEOPLE)
)
_UNIT_BY_ID = {u.id: u for u in UNITS}


def employee(nip: str) -> DemoEmployee:
    return next(e for e in EMPLOYEES if e.nip == nip)


def sample_employee() -> DemoEmployee:
    """Someone the letter asks to check in from home: a BKD analyst (non-essential, no exemption)."""
    return next(e for e in EMPLOYEES if e.unit_id == "bkd" and not e.flags)


def sample_head() -> DemoEmployee:
    """The head of BKD, the personnel agency that verifies the reports."""
    return next(e for e in EMPLOYEES if e.unit_id == "bkd" and "H" in e.flags)


def local_today(now: datetime | None = None) -> date:
    return (now or datetime.now(ZoneInfo(TIMEZONE))).astimezone(ZoneInfo(TIMEZONE)).date()


def policy_body(valid_from: date) -> dict[str, Any]:
    """SE 800/258-BKD/2022 with the default schedule and quotas, open-ended."""
    return {
        "number": POLICY_NUMBER,
        "title": "Penyesuaian Sistem Kerja Pegawai Aparatur Sipil Negara selama Pemberlakuan Pembatasan "
                 "Kegiatan Masyarakat pada Masa Pandemi COVID-19 di Lingkungan Pemerintah Provinsi Banten",
        "signatory": "Pelaksana Tugas Sekretaris Daerah Provinsi Banten",
        "legal_basis": [
            "Instruksi Menteri Dalam Negeri Nomor 06 Tahun 2022",
            "Surat Edaran Menteri PANRB Nomor 1 Tahun 2022",
            "Surat Edaran Menteri PANRB Nomor 19 Tahun 2020",
        ],
        "valid_from": valid_from.isoformat(),
        "valid_until": None,
        "content": PolicyContent().model_dump(mode="json"),
    }


# ----------------------------------------------------------------------- loading


@dataclass
class LoadReport:
    """What a load did: counts of created / updated / unchanged per kind, and the letter's version."""

    changes: Counter[str] = field(default_factory=Counter)
    policy_version: int = 0
    policy_created: bool = False

    def summary(self) -> str:
        def part(kind: str) -> str:
            new, upd, same = (self.changes[f"{kind}:{s}"] for s in ("created", "updated", "unchanged"))
            return f"{new + upd + same} {kind}s ({new} new, {upd} updated)"

        letter = "created" if self.policy_created else "already there"
        return (f"tenant {TENANT_ID}: {part('unit')}, {part('employee')}; "
                f"SE {POLICY_NUMBER} v{self.policy_version} ({letter})")


async def load(admin: Seeder, today: date | None = None) -> LoadReport:
    """Load the demo tenant through ``admin`` (the policy service, a tenant administrator's token)."""
    report = LoadReport()
    await _load_tenant(admin, report)
    existing = {u["id"]: u for u in await _units(admin)}
    for unit in UNITS:  # parents come first in UNITS
        current = existing.get(unit.id)
        wanted = unit.body()
        if current is not None and all(current.get(k) == v for k, v in wanted.items()):
            report.changes["unit:unchanged"] += 1
            continue
        await admin.units({unit.id: wanted})
        report.changes["unit:created" if current is None else "unit:updated"] += 1
    for person in EMPLOYEES:
        await _load_employee(admin, person, report)
    await _load_policy(admin, today or local_today(), report)
    return report


async def _units(admin: Seeder) -> list[dict[str, Any]]:
    """Every unit of the tenant, following the pages (``{"items", "next_after"}``)."""
    units: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 1000, **({"after": after} if after else {})}
        page = (await admin.call("GET", "/v1/units", expect=(200,), params=params)).json()
        units += page["items"]
        after = page.get("next_after")
        if not after:
            return units


async def _load_tenant(admin: Seeder, report: LoadReport) -> None:
    current = await admin.call("GET", "/v1/tenant", expect=(200, 404))
    if current.status_code == 200 and all(current.json().get(k) == v for k, v in TENANT.items()):
        report.changes["tenant:unchanged"] += 1
        return
    await admin.tenant(TENANT["name"], TENANT["timezone"], TENANT["kind"], national_days=True)  # a real calendar
    report.changes["tenant:created" if current.status_code == 404 else "tenant:updated"] += 1


async def _load_employee(admin: Seeder, person: DemoEmployee, report: LoadReport) -> None:
    wanted = person.body(_UNIT_BY_ID[person.unit_id].office)
    current = await admin.call("GET", f"/v1/employees/{person.nip}", expect=(200, 404))
    if current.status_code == 200:
        # As the directory shows an employee: places without coordinates (need to know). The demo's
        # coordinates are fixed, so a place whose name, kind, radius and validity match is the same place.
        same = EmployeeOut.model_validate(current.json()) == EmployeeOut.model_validate({"nip": person.nip, **wanted})
        if same:
            report.changes["employee:unchanged"] += 1
            return
    await admin.employees({person.nip: wanted})
    report.changes["employee:created" if current.status_code == 404 else "employee:updated"] += 1


async def _load_policy(admin: Seeder, today: date, report: LoadReport) -> None:
    """Create the letter once; an existing letter (any version) is left as it is."""
    versions = await admin.call("GET", f"/v1/policies/{POLICY_ID}/versions", expect=(200, 404))
    if versions.status_code == 200:
        report.policy_version = versions.json()[-1]["version"]
        return
    created = await admin.letter(policy_body(today))
    report.policy_version, report.policy_created = created["version"], True


# ---------------------------------------------------------- practice window


def practice_window(now_local: datetime, minutes: int) -> dict[str, Any]:
    """A location/attendance window open from 5 minutes ago for ``minutes``, within today."""
    day_start = datetime.combine(now_local.date(), time(0), now_local.tzinfo)
    start = max(now_local - timedelta(minutes=5), day_start)
    end = min(now_local + timedelta(minutes=minutes), day_start + timedelta(hours=23, minutes=59, seconds=59))
    return {"id": PRACTICE_WINDOW_ID, "name": "Latihan (demo)", "start": start.time().replace(microsecond=0)
            .isoformat(), "end": end.time().replace(microsecond=0).isoformat(), "grace_minutes": 5,
            "kinds": ["location", "attendance"]}


async def add_practice_window(admin: Seeder, minutes: int = 30, now: datetime | None = None) -> dict[str, Any]:
    """Amend the demo letter from today on with a window open now and every day a working day, so
    that a check-in made at any hour counts in the daily report. Returns the new version."""
    versions = (await admin.call("GET", f"/v1/policies/{POLICY_ID}/versions", expect=(200,))).json()
    latest = versions[-1]
    now_local = (now or datetime.now(ZoneInfo(TIMEZONE))).astimezone(ZoneInfo(TIMEZONE))
    content = dict(latest["content"])
    windows = [w for w in content["windows"] if w["id"] != PRACTICE_WINDOW_ID]
    content.update(windows=[*windows, practice_window(now_local, minutes)], working_days=[1, 2, 3, 4, 5, 6, 7])
    body = {k: latest[k] for k in ("number", "title", "signatory", "legal_basis")}
    start = max(date.fromisoformat(latest["valid_from"]), now_local.date())  # a new version starts today
    end = latest.get("declared_valid_until", latest["valid_until"])
    body.update(valid_from=start.isoformat(), valid_until=end if end and end >= start.isoformat() else None)
    return (await admin.call("POST", f"/v1/policies/{POLICY_ID}/versions", expect=(201,),
                             json={**body, "content": content})).json()


async def wait_until_reported(admin: Seeder, reporting_url: str, timeout: float = 30) -> str | None:
    """Poll the reporting service until its daily report knows the demo tenant and letter, i.e. the
    events have flowed. None when they have, else its last answer."""
    deadline = _clock.monotonic() + timeout
    last = "no answer"
    while _clock.monotonic() < deadline:
        try:
            response = await admin.http.get(f"{reporting_url.rstrip('/')}/v1/reports/daily", headers=admin.headers)
            if response.status_code == 200 and response.json().get("policy_number") == POLICY_NUMBER:
                return None
            last = f"HTTP {response.status_code} {response.text[:300]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        await asyncio.sleep(0.25)
    return last
