"""Seeding a tenant over the policy service's HTTP API, as its administrator would: the
tenant, its units, its employees with their places, and a circular letter. The tests, the
chaos run, the simulator and the benchmarks all set up their tenants through :class:`Seeder`
and build the request bodies with the functions below, so the events those writes publish
reach the other services exactly as a real tenant's do.

Guarantee: every answer is checked; a status other than the expected ones raises
:class:`SeedError` naming the request and the answer. With ``retries`` a request is sent
again, with the same body, after a connection error or a 5xx, as a client app does while a
service restarts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

import httpx

EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]  # working days of a letter that runs whatever the weekday


RATE_LIMITED_WAITS = 30  # a service's rate limit (services.runtime.gate) is waited out this many times


class SeedError(RuntimeError):
    """A service refused or failed a set-up request."""


async def request(http: httpx.AsyncClient, method: str, url: str, *, expect: Iterable[int] = (200, 201),
                  retries: int = 0, **kwargs: Any) -> httpx.Response:
    """One checked request; sent again up to ``retries`` times on connection errors and 5xx, and
    after the wait a 429 asks for (``Retry-After``, up to :data:`RATE_LIMITED_WAITS` times)."""
    expected = tuple(expect)
    attempt = waits = 0
    while True:
        try:
            response = await http.request(method, url, **kwargs)
        except httpx.HTTPError:
            if attempt == retries:
                raise
        else:
            if response.status_code == 429 and waits < RATE_LIMITED_WAITS:
                waits += 1
                await asyncio.sleep(min(10, int(response.headers.get("retry-after", "1"))))
                continue
            if response.status_code < 500 or attempt == retries:
                break
        await asyncio.sleep(0.5 * (attempt + 1))
        attempt += 1
    if response.status_code not in expected:
        raise SeedError(f"{method} {url} → {response.status_code}: {response.text[:500]}")
    return response


# --------------------------------------------------------------------- bodies


def place(name: str, kind: str, latitude: float, longitude: float, radius_m: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, "kind": kind, "latitude": latitude, "longitude": longitude}
    return body if radius_m is None else {**body, "radius_m": radius_m}


def home(point: tuple[float, float], radius_m: float | None = 200) -> dict[str, Any]:
    return place("Rumah", "home", point[0], point[1], radius_m)


def unit(name: str, sector: str | None = "non_essential", **fields: Any) -> dict[str, Any]:
    return {"name": name, "sector": sector, **fields} if sector is not None else {"name": name, **fields}


def window(id: str, name: str, start: time | datetime | str, end: time | datetime | str, kinds: Sequence[str],
           grace_minutes: int = 0) -> dict[str, Any]:
    """A letter's window; ``start`` and ``end`` are local times of day (a datetime gives its time)."""
    return {"id": id, "name": name, "start": _clock(start), "end": _clock(end), "grace_minutes": grace_minutes,
            "kinds": list(kinds)}


def _clock(value: time | datetime | str) -> str:
    if isinstance(value, str):
        return value
    return (value.time() if isinstance(value, datetime) else value).isoformat()


def opened_now(local_now: datetime, closes_in: timedelta, opened: timedelta = timedelta(minutes=10),
               ) -> tuple[time, datetime]:
    """(start, end) of a window that opened ``opened`` ago and closes ``closes_in`` from now:
    the start as a time of day, the end as a local datetime (its deadline), whole seconds."""
    return (local_now - opened).time().replace(microsecond=0), (local_now + closes_in).replace(microsecond=0)


def day_around_now(local_now: datetime, open_for: timedelta) -> list[dict[str, Any]]:
    """Three windows around ``local_now``: *Apel pagi* (attendance) closed a quarter of an hour ago,
    *Lokasi pagi* (location) opened ten minutes ago and closes ``open_for`` from now, *Laporan sore*
    (activity report) opens five minutes after it. Needs 20 minutes of the day behind ``local_now``
    and ``open_for`` + 20 minutes ahead (:func:`tools.zones.now_with_room`)."""
    start, end = opened_now(local_now, open_for)
    return [window("apel", "Apel pagi", local_now - timedelta(minutes=19), local_now - timedelta(minutes=15),
                   ["attendance"]),
            window("lokasi", "Lokasi pagi", start, end, ["location"]),
            window("laporan", "Laporan sore", end + timedelta(minutes=5), end + timedelta(minutes=20),
                   ["activity_report"])]


def letter(number: str, title: str, valid_from: object, windows: Sequence[Mapping[str, Any]], *,
           signatory: str = "Sekda", legal_basis: Sequence[str] | None = None, **content: Any) -> dict[str, Any]:
    """A circular letter valid from ``valid_from`` whose content has ``windows``, runs every day
    unless ``working_days`` says otherwise, and the other content fields given."""
    body: dict[str, Any] = {"number": number, "title": title, "signatory": signatory, "valid_from": str(valid_from)}
    if legal_basis is not None:
        body["legal_basis"] = list(legal_basis)
    body["content"] = {"windows": [dict(w) for w in windows], "working_days": EVERY_DAY, **content}
    return body


# ---------------------------------------------------------------------- client


class Seeder:
    """A tenant administrator's client of the policy service (``headers`` carry the token)."""

    def __init__(self, http: httpx.AsyncClient, policy_url: str, headers: Mapping[str, str], *,
                 retries: int = 0) -> None:
        self.http, self.policy_url, self.headers, self.retries = http, policy_url.rstrip("/"), dict(headers), retries

    async def call(self, method: str, url: str, *, expect: Iterable[int] = (200, 201),
                   headers: Mapping[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """A checked request with the administrator's headers; a path is the policy service's."""
        target = self.policy_url + url if url.startswith("/") else url
        return await request(self.http, method, target, expect=expect, retries=self.retries,
                             headers={**self.headers, **(headers or {})}, **kwargs)

    async def tenant(self, name: str, timezone: str, kind: str = "province", *, national_days: bool = False) -> None:
        """The tenant; its calendar without national days and cuti bersama unless ``national_days``: a
        seeded tenant works every day its letter lists, so whatever uses today's date (tests, chaos,
        simulations) does the same on a national holiday."""
        await self.call("PUT", "/v1/tenant", expect=(200,), json={"name": name, "kind": kind, "timezone": timezone})
        if not national_days:
            await self.calendar(national=False, cuti_bersama=False)

    async def calendar(self, *, national: bool = True, cuti_bersama: bool = True,
                       added: Iterable[Mapping[str, Any]] = (), removed: Iterable[str] = ()) -> None:
        """The tenant's calendar (``PUT /v1/tenant/calendar``)."""
        await self.call("PUT", "/v1/tenant/calendar", expect=(200,), json={
            "national": national, "cuti_bersama": cuti_bersama, "added": list(added), "removed": list(removed)})

    async def units(self, units: Mapping[str, Mapping[str, Any]]) -> None:
        """Units in the order given (a parent before its sub-units)."""
        for unit_id, body in units.items():
            await self.call("PUT", f"/v1/units/{unit_id}", expect=(200,), json=dict(body))

    async def employees(self, employees: Mapping[str, Mapping[str, Any]], concurrency: int = 1) -> None:
        """One PUT per employee (NIP → body), at most ``concurrency`` at a time."""
        gate = asyncio.Semaphore(concurrency)

        async def put(nip: str, body: Mapping[str, Any]) -> None:
            async with gate:
                await self.call("PUT", f"/v1/employees/{nip}", expect=(200,), json=dict(body))

        await asyncio.gather(*(put(nip, body) for nip, body in employees.items()))

    async def imports(self, what: str, csv: bytes, *, expect: Iterable[int] = (200,)) -> httpx.Response:
        """``POST /v1/imports/{what}`` (``units`` or ``employees``) of a CSV file."""
        return await self.call("POST", f"/v1/imports/{what}", expect=expect, headers={"Content-Type": "text/csv"},
                               content=csv)

    async def directory(self, *, name: str, timezone: str, units: Mapping[str, Mapping[str, Any]],
                        employees: Mapping[str, Mapping[str, Any]], kind: str = "province",
                        concurrency: int = 1, national_days: bool = False) -> None:
        await self.tenant(name, timezone, kind, national_days=national_days)
        await self.units(units)
        await self.employees(employees, concurrency)

    async def letter(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Issue a circular letter; returns the version the policy service created."""
        return (await self.call("POST", "/v1/policies", expect=(201,), json=dict(body))).json()
