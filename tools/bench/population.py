"""The simulated governments: tenants in the three Indonesian time zones (a tenant whose
local day ends within the hour moves to another zone for the run: a window cannot span
midnight), their departments and employees (loaded through the policy service's CSV import,
as a personnel agency does), a circular letter whose check-in window is open for the whole
run, and one bearer token per employee. Then it waits until the check-in and reporting
services have the directory and the letter (their read models are fed by events)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import jwt
from cryptography.hazmat.primitives import serialization

from services.runtime.devkeys import KID
from tools import seed
from tools.seed import Seeder
from tools.zones import INDONESIA, zone_with_room

TENANTS = (
    ("bench-banten", "Pemerintah Provinsi Banten (bench)", "province", "Asia/Jakarta", (-6.12, 106.15)),
    ("bench-bekasi", "Pemerintah Kota Bekasi (bench)", "city", "Asia/Jakarta", (-6.24, 106.99)),
    ("bench-makassar", "Pemerintah Kota Makassar (bench)", "city", "Asia/Makassar", (-5.14, 119.42)),
    ("bench-jayapura", "Pemerintah Kabupaten Jayapura (bench)", "regency", "Asia/Jayapura", (-2.59, 140.67)),
)
UNITS = 20
WINDOW_ID = "lokasi"
RUN_MINUTES = 60  # the window stays open this long; a run is shorter


def zone_for(preferred: str, now: datetime) -> str:
    """``preferred`` unless its local day ends within the run (a window cannot span midnight, and
    one closing mid-run would flood the suite with overdue notices); then another Indonesian zone.
    The three zones are an hour apart, so one of them is always clear."""
    return zone_with_room(now, timedelta(minutes=RUN_MINUTES), after_midnight=timedelta(0),
                          zones=(preferred, *INDONESIA))


def nip(i: int) -> str:
    """A well-formed 18-digit NIP (birth date, appointment month, sex, sequence), unique per ``i``."""
    birth = date(1970, 1, 1) + timedelta(days=i // 999)
    return f"{birth:%Y%m%d}{birth.year + 24:04d}{i % 12 + 1:02d}{i % 2 + 1}{i % 999 + 1:03d}"


@dataclass(frozen=True)
class Employee:
    tenant: str
    nip: str
    unit: str
    lat: float
    lon: float


def employees_of(tenant_index: int, count: int, centre: tuple[float, float]) -> list[Employee]:
    rnd = random.Random(tenant_index)
    tenant = TENANTS[tenant_index][0]
    return [Employee(tenant, nip(tenant_index * 1_000_000 + i), f"opd-{i % UNITS:02d}",
                     centre[0] + rnd.uniform(-0.1, 0.1), centre[1] + rnd.uniform(-0.1, 0.1)) for i in range(count)]


def units_csv() -> bytes:
    lines = ["kode,nama,jenis,induk,sektor"]
    lines += [f"opd-{u:02d},Perangkat Daerah {u},dinas,,{('', 'esensial', '', 'kritis')[u % 4]}" for u in range(UNITS)]
    return ("\n".join(lines) + "\n").encode()


def employees_csv(people: list[Employee]) -> bytes:
    lines = ["nip,nama,jabatan,unit,guru,pelayanan,kepala,aktif,email,telepon,rumah_lat,rumah_lon,rumah_radius"]
    for i, e in enumerate(people):
        lines.append(f"{e.nip},Pegawai {i},Pelaksana,{e.unit},tidak,tidak,tidak,ya,,,{e.lat:.6f},{e.lon:.6f},200")
    return ("\n".join(lines) + "\n").encode()


def letter(tz: str, now: datetime) -> dict:
    """A circular letter whose location window covers the whole benchmark (within the local day)."""
    local = now.astimezone(ZoneInfo(tz)).replace(microsecond=0)
    day_start = local.replace(hour=0, minute=0, second=0)
    start = max(day_start, local - timedelta(minutes=20))
    end = min(day_start.replace(hour=23, minute=59, second=59), local + timedelta(minutes=RUN_MINUTES))
    return seed.letter("800/99-BKD/2026", "Kerja dari rumah (bench)", local.date(),
                       [seed.window(WINDOW_ID, "Lokasi", start, end, ["location", "attendance"])],
                       signatory="Sekretaris Daerah", geofence_radius_m=200)


class TokenMint:
    def __init__(self, private_key_pem: bytes) -> None:
        self.key = serialization.load_pem_private_key(private_key_pem, password=None)

    def issue(self, *, subject: str, roles: list[str], tenant: str, nip: str | None = None,
              unit: str | None = None) -> str:
        now = int(time.time())
        claims: dict[str, object] = {"sub": subject, "iss": "hadir-dev", "aud": "hadir", "iat": now,
                                     "exp": now + 6 * 3600, "roles": roles, "tenant": tenant}
        if nip:
            claims["nip"] = nip
        if unit:
            claims["unit"] = unit
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": KID})  # type: ignore[arg-type]


async def load(policy_url: str, mint: TokenMint, per_tenant: int) -> list[Employee]:
    """Create the tenants, units, employees and letters through the policy API."""
    everyone: list[Employee] = []
    now = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=300) as http:
        for index, (tenant, name, kind, preferred, centre) in enumerate(TENANTS):
            tz = zone_for(preferred, now)
            token = mint.issue(subject=f"bkd@{tenant}", roles=["tenant_admin"], tenant=tenant)
            seeder = Seeder(http, policy_url, {"Authorization": f"Bearer {token}"})
            await seeder.tenant(name, tz, kind)
            await seeder.imports("units", units_csv())
            people = employees_of(index, per_tenant, centre)
            await seeder.imports("employees", employees_csv(people))
            await seeder.letter(letter(tz, now))
            everyone += people
    return everyone


async def wait_propagated(dsn: dict[str, str], employees: int, tenants: int, timeout: float = 300) -> float:
    """Wait until the check-in and reporting read models hold every employee and letter."""
    started = time.monotonic()
    checks = {
        "checkin": ("SELECT (SELECT count(*) FROM directory_employees), (SELECT count(*) FROM policy_versions)"),
        "reporting": ("SELECT (SELECT count(*) FROM employees), (SELECT count(*) FROM policy_versions)"),
    }
    pending = dict(checks)
    while pending:
        for service, sql in list(pending.items()):
            conn = await asyncpg.connect(dsn[service])
            try:
                people, letters = await conn.fetchrow(sql)
            finally:
                await conn.close()
            if people >= employees and letters >= tenants:
                del pending[service]
        if pending:
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"directory not propagated to {sorted(pending)} after {timeout:.0f}s")
            await asyncio.sleep(1)
    return time.monotonic() - started


def employee_tokens(mint: TokenMint, people: list[Employee]) -> list[list[object]]:
    """``[token, home latitude, home longitude]`` per employee, for the load generator."""
    return [[mint.issue(subject=e.nip, roles=["employee"], tenant=e.tenant, nip=e.nip, unit=e.unit), e.lat, e.lon]
            for e in people]
