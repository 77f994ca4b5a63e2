"""A scenario's tenant: 24 employees in two units and a letter of fifteen one-second
location windows, set up over HTTP through :mod:`tools.seed`.

Guarantee: :func:`setup_tenant` returns only once the check-in service knows every
employee and reporting expects every one of them in every window, before the first
window closes (else it raises).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from services.runtime import devkeys
from tools import seed
from tools.chaos.environment import Environment
from tools.chaos.parameters import (
    ABSENT,
    EMPLOYEES,
    HEADS,
    LEAD,
    SETTLE,
    SPACING,
    WINDOW_LENGTH,
    WINDOWS,
)
from tools.zones import zone_with_room


@dataclass(frozen=True)
class Person:
    index: int
    nip: str
    name: str
    unit: str
    home: tuple[float, float]

    @property
    def streams(self) -> bool:
        return self.index not in ABSENT

    @property
    def batches(self) -> bool:
        return self.index % 4 == 2


@dataclass
class Tenant:
    id: str
    zone: str
    day: date
    start: datetime  # first window's start (UTC)
    people: list[Person]
    tokens: dict[str, dict[str, str]]  # nip (or "admin") → headers

    def window_name(self, k: int) -> str:
        return f"Lokasi {k + 1:02d}"

    def window_start(self, k: int) -> datetime:
        return self.start + timedelta(seconds=k * SPACING)

    @property
    def stream_seconds(self) -> float:
        return (WINDOWS - 1) * SPACING + WINDOW_LENGTH


def people() -> list[Person]:
    return [Person(index=i, nip=f"198501012010011{i:03d}", name=f"Pegawai C{i:02d}",
                   unit="bkd" if i <= EMPLOYEES // 2 else "diskominfo", home=(-6.10 - i * 0.002, 106.15))
            for i in range(1, EMPLOYEES + 1)]


def _token(private_key: Path, tenant: str, roles: list[str], subject: str, nip: str | None = None,
           unit: str | None = None) -> dict[str, str]:
    token = devkeys.issue_token(private_key, subject=subject, roles=roles, tenant=tenant, nip=nip, unit=unit)
    return {"Authorization": f"Bearer {token}"}


async def setup_tenant(env: Environment, http: httpx.AsyncClient, fault: str) -> Tenant:
    """Directory and letter over HTTP; returns once check-in and reporting know them."""
    tenant_id = f"chaos-{fault}-{uuid.uuid4().hex[:6]}"
    zone = zone_with_room(datetime.now(UTC), timedelta(minutes=10), after_midnight=timedelta(minutes=5))
    staff = people()
    tokens = {"admin": _token(env.private_key, tenant_id, ["tenant_admin"], f"admin@{tenant_id}")}
    for p in staff:
        tokens[p.nip] = _token(env.private_key, tenant_id, ["employee"], p.nip, p.nip, p.unit)
    admin = tokens["admin"]
    seeder = seed.Seeder(http, env.url("policy"), admin)
    await seeder.directory(
        name=f"Pemerintah Uji {fault}", timezone=zone,
        units={"bkd": seed.unit("Badan Kepegawaian Daerah"),
               "diskominfo": seed.unit("Dinas Komunikasi dan Informatika")},
        employees={p.nip: {"name": p.name, "unit_id": p.unit, "is_unit_head": p.index in HEADS,
                           "places": [seed.home(p.home)]} for p in staff})
    await _until(lambda: _checkin_knows(env, http, staff, tokens), 60, "check-in service knows everyone")

    start = (datetime.now(UTC) + timedelta(seconds=LEAD)).replace(microsecond=0)
    local = ZoneInfo(zone)
    tenant = Tenant(tenant_id, zone, start.astimezone(local).date(), start, staff, tokens)
    windows = []
    for k in range(WINDOWS):
        opens = tenant.window_start(k).astimezone(local)
        windows.append(seed.window(f"w{k + 1:02d}", tenant.window_name(k), opens,
                                   opens + timedelta(seconds=WINDOW_LENGTH), ["location"]))
    await seeder.letter(seed.letter(f"800/{fault}/CHAOS", "Uji ketahanan", tenant.day, windows,
                                    geofence_radius_m=200))

    async def reporting_ready() -> bool:
        r = await http.get(f"{env.url('reporting')}/v1/reports/daily", headers=admin,
                           params={"date": tenant.day.isoformat()})
        windows = (r.json().get("windows") if r.status_code == 200 else None) or []
        return len(windows) == WINDOWS and windows[0]["expected"] == EMPLOYEES

    first_closure = start + timedelta(seconds=WINDOW_LENGTH + SETTLE - 0.5)
    await _until(reporting_ready, max(1.0, (first_closure - datetime.now(UTC)).total_seconds()),
                 "reporting knows the letter and every employee before the first window closes")
    return tenant


async def _checkin_knows(env: Environment, http: httpx.AsyncClient, staff: list[Person],
                         tokens: dict[str, dict[str, str]]) -> bool:
    """A check-in captured 100 h ago is refused as too late (422) once the employee is
    known, and as unknown (403) before: a probe that stores nothing."""
    old = (datetime.now(UTC) - timedelta(hours=100)).isoformat()
    for p in staff:
        r = await http.post(f"{env.url('checkin')}/v1/checkins", headers={**tokens[p.nip], "Idempotency-Key": "probe"},
                            json={"kind": "attendance", "captured_at": old})
        if r.status_code != 422:
            return False
    return True


async def _until(probe: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(httpx.HTTPError, ValueError):
            if await probe():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"setup: timed out after {timeout:.0f} s waiting until {what}")
        await asyncio.sleep(0.3)
