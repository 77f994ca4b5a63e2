"""Tenants with data in the running suite, made through the public APIs as their users would.

``seed`` gives a tenant a directory (two units, two employees with home places), a calendar
without national days (today is a working day whatever the date) and with a regional day, a circular
letter, a check-in, a roster and a bulk roster job, notify preferences and settings, a webhook subscription and
reporting score weights; with ``overdue=True`` the letter's window closes a few seconds
later, so the second employee becomes overdue and notify records notifications (on the log
channel and to the webhook), and the unit head verifies the day. Every name of the tenant
carries its ``tag``; ``markers`` lists the strings that are the tenant's own (names, ids,
secrets), for finding them where they must not be.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from services.runtime import apikeys
from services.runtime.scopes import SCOPES
from tests.support.tokens import Tokens
from tests.support.waiting import eventually
from tools import seed
from tools.suite import Suite
from tools.zones import now_with_room

WINDOW_SECONDS = 25


@dataclass
class World:
    tenant: str
    tag: str
    tz: str
    today: date
    units: list[str]
    nips: list[str]
    names: list[str] = field(default_factory=list)
    policy_id: str = ""
    checkin_ids: list[str] = field(default_factory=list)
    notification_ids: list[str] = field(default_factory=list)
    webhook_ids: list[str] = field(default_factory=list)
    absence_ids: list[str] = field(default_factory=list)
    correction_ids: list[str] = field(default_factory=list)
    roster_job_ids: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    api_key: str = ""
    scoped_key: str = ""  # an integrator key with every scope, made over policy's API
    api_key_ids: list[str] = field(default_factory=list)
    bodies: dict[tuple[str, str], Any] = field(default_factory=dict)  # (METHOD, path template) → body

    @property
    def ids(self) -> list[str]:
        """Ids that are this tenant's alone (for rows without a tenant column)."""
        return [*self.nips, *self.checkin_ids, *self.notification_ids, *self.webhook_ids, *self.absence_ids,
                *self.correction_ids, *self.roster_job_ids, *self.api_key_ids]

    @property
    def markers(self) -> set[str]:
        return {self.tenant, *self.units, *self.names, *self.ids, *self.secrets, self.policy_id} - {""}

    def known_from(self, sent: str) -> set[str]:
        """The markers a caller who sent ``sent`` knows: those in it, and what they determine
        (a letter's number determines its id)."""
        known = {m for m in self.markers if m in sent}
        if any(name.startswith("800/") and name in known for name in self.names):
            known.add(self.policy_id)
        return known


class Seeder:
    def __init__(self, suite: Suite, tokens: Tokens, http: httpx.AsyncClient) -> None:
        self.url = {name: proc.url for name, proc in suite.processes.items()}
        self.tokens = tokens
        self.http = http

    async def call(self, service: str, method: str, path: str, headers: dict[str, str], *,
                   expect: tuple[int, ...] = (200, 201), **kwargs: Any) -> Any:
        response = await seed.request(self.http, method, self.url[service] + path, expect=expect, headers=headers,
                                      **kwargs)
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else None

    async def seed(self, label: str, nips: list[str], *, webhook_url: str, overdue: bool = False,
                   keys_file: Any = None) -> World:
        tag = f"{label}{uuid.uuid4().hex[:8]}"
        tz, local_now = now_with_room(timedelta(hours=1, minutes=10))
        w = World(tenant=f"t-{tag}", tag=tag, tz=tz, today=local_now.date(),
                  units=[f"opd-{tag}", f"upt-{tag}"], nips=nips)
        admin = self.tokens.admin(w.tenant)
        head = self.tokens.headers(tenant=w.tenant, roles=["unit_head"], nip=nips[0], unit=w.units[0],
                                   subject=f"head@{tag}")

        async def put(service: str, template: str, path: str, body: Any) -> Any:
            w.bodies[("PUT", template)] = body
            return await self.call(service, "PUT", path, admin, json=body)

        async def post(service: str, template: str, path: str, body: Any, headers: dict[str, str] = admin) -> Any:
            w.bodies[("POST", template)] = body
            return await self.call(service, "POST", path, headers, json=body)

        tenant_name = f"Pemerintah Kota {tag}"
        await put("policy", "/v1/tenant", "/v1/tenant", {"name": tenant_name, "kind": "city", "timezone": tz})
        # Today is a working day whatever the date (no national days), and a regional day of its own.
        await put("policy", "/v1/tenant/calendar", "/v1/tenant/calendar", {
            "national": False, "cuti_bersama": False, "removed": [],
            "added": [{"date": str(w.today + timedelta(days=200)), "name": f"Hari Jadi {tag}"}]})
        w.names.append(f"Hari Jadi {tag}")
        await put("policy", "/v1/units/{unit_id}", f"/v1/units/{w.units[0]}", seed.unit(f"Dinas {tag}"))
        await put("policy", "/v1/units/{unit_id}", f"/v1/units/{w.units[1]}",
                  seed.unit(f"UPT {tag}", None, kind="upt", parent_id=w.units[0]))
        w.names += [tenant_name, f"Dinas {tag}", f"UPT {tag}"]
        for i, nip in enumerate(nips):
            name = f"Pegawai {i} {tag}"
            await put("policy", "/v1/employees/{nip}", f"/v1/employees/{nip}", {
                "name": name, "unit_id": w.units[0], "email": f"p{i}.{tag}@example.go.id", "position": f"Analis {tag}",
                "places": [seed.home((-6.12 + i / 100, 106.15))]})
            w.names += [name, f"p{i}.{tag}@example.go.id"]
        w.bodies[("PUT", "/v1/employees/{nip}/places/{name}")] = {
            "kind": "home", "latitude": -6.2, "longitude": 106.2, "radius_m": 150}
        w.bodies[("POST", "/v1/imports/units")] = f"kode,nama\nopd-{tag},Dinas {tag}\n"
        w.bodies[("POST", "/v1/imports/employees")] = f"nip,nama,unit\n{nips[0]},Pegawai 0 {tag},{w.units[0]}\n"

        # The letter: one location window, closing WINDOW_SECONDS from now (or in half an hour).
        local_now = datetime.now(UTC).astimezone(ZoneInfo(tz))
        start, end_local = seed.opened_now(local_now, timedelta(seconds=WINDOW_SECONDS if overdue else 1800))
        if end_local.date() != local_now.date():
            end_local = local_now.replace(hour=23, minute=59, second=0, microsecond=0)
        number = f"800/{uuid.uuid4().int % 1000}-{tag}/2026"
        title = f"Surat edaran kerja dari rumah {tag}"
        letter = await post("policy", "/v1/policies", "/v1/policies", seed.letter(
            number, title, w.today, [seed.window("lokasi", f"Lokasi {tag}", start, end_local, ["location"])],
            signatory=f"Sekda {tag}", geofence_radius_m=200))
        w.policy_id = letter["policy_id"]
        w.names += [number, title]
        w.bodies[("POST", "/v1/policies/{policy_id}/versions")] = w.bodies[("POST", "/v1/policies")]
        w.bodies[("POST", "/v1/policies/{policy_id}/extensions")] = {"valid_until": str(w.today + timedelta(days=90))}

        # A check-in from home by the first employee, once the check-in service knows them.
        employee = self.tokens.employee(w.tenant, nips[0], w.units[0])
        body = {"kind": "location", "captured_at": datetime.now(UTC).isoformat(),
                "location": {"latitude": -6.12, "longitude": 106.1503, "accuracy_m": 12}}
        w.bodies[("POST", "/v1/checkins")] = body
        w.bodies[("POST", "/v1/checkins/batch")] = {"items": [{**body, "idempotency_key": f"k-{tag}"}]}

        async def checked_in() -> Any:
            r = await self.http.post(self.url["checkin"] + "/v1/checkins", json=body,
                                     headers={**employee, "Idempotency-Key": f"first-{tag}"})
            return r.json() if r.status_code == 201 else None

        w.checkin_ids.append((await eventually(checked_in, timeout=30, what=f"{label} check-in accepted"))["id"])
        # An activity report too (a head reviews it: POST /v1/checkins/{checkin_id}/review).
        report = {"kind": "activity_report", "captured_at": datetime.now(UTC).isoformat(),
                  "activity_text": f"Laporan kegiatan {tag}"}
        w.checkin_ids.append((await self.call("checkin", "POST", "/v1/checkins", employee, json=report))["id"])
        w.names.append(f"Laporan kegiatan {tag}")
        w.bodies[("POST", "/v1/checkins/{checkin_id}/review")] = {"decision": "return", "note": f"Ulangi {tag}"}

        # An absence (on later days, still requested: it excuses nothing) and a contested verdict of today.
        absence = {"kind": "cuti", "start": str(w.today + timedelta(days=20)), "end": str(w.today + timedelta(days=21)),
                   "reason": f"Cuti tahunan {tag}"}
        w.absence_ids.append((await post("policy", "/v1/me/absences", "/v1/me/absences", absence, employee))["id"])
        contested = {"local_date": str(w.today), "window_id": "lokasi", "contested": "late",
                     "explanation": f"Sinyal hilang {tag}"}
        w.correction_ids.append((await post("policy", "/v1/me/verdict-corrections", "/v1/me/verdict-corrections",
                                            contested, employee))["id"])
        w.names += [f"Cuti tahunan {tag}", f"Sinyal hilang {tag}"]

        # Roster from tomorrow (today's expectations stay as the letter says), notify, reporting.
        tomorrow = w.today + timedelta(days=1)
        await post("policy", "/v1/units/{unit_id}/rosters", f"/v1/units/{w.units[0]}/rosters",
                   {"start": str(tomorrow), "end": str(tomorrow + timedelta(days=6))}, headers=head)
        generate = {"start": str(tomorrow), "end": str(tomorrow + timedelta(days=6)), "unit_ids": [w.units[0]]}
        w.bodies[("POST", "/v1/rosters/generate")] = generate
        job = await self.call("policy", "POST", "/v1/rosters/generate", admin, expect=(202,), json=generate)
        w.roster_job_ids.append(job["id"])
        w.bodies[("PUT", "/v1/units/{unit_id}/rosters/{day}/{nip}")] = {"mode": "wfo", "reason": f"Piket {tag}"}
        await put("notify", "/v1/settings", "/v1/settings",
                  {"quiet_hours": None, "escalate_daily": 0, "escalate_weekly": 0})
        await put("notify", "/v1/preferences/{nip}", f"/v1/preferences/{nips[0]}", {"language": "en", "channels": []})
        w.bodies[("PUT", "/v1/preferences/me")] = w.bodies[("PUT", "/v1/preferences/{nip}")]
        hook = await post("notify", "/v1/webhooks", "/v1/webhooks", {
            "url": f"{webhook_url}/{tag}", "event_types": ["report.overdue"], "description": f"Integrasi {tag}"})
        w.webhook_ids.append(hook["id"])
        w.secrets.append(hook["secret"])
        w.names += [f"{webhook_url}/{tag}", f"Integrasi {tag}"]
        w.bodies[("PATCH", "/v1/webhooks/{subscription_id}")] = {"description": f"Integrasi {tag}", "active": True}
        w.bodies[("POST", "/v1/webhooks/{subscription_id}/rotate-secret")] = {"grace_seconds": 60}
        weights = await self.call("reporting", "GET", "/v1/reports/score-weights", admin, expect=(200, 404))
        if weights and isinstance(weights.get("weights"), dict):
            await put("reporting", "/v1/reports/score-weights", "/v1/reports/score-weights",
                      {**weights["weights"], "late_decay_minutes": 97})
        if keys_file is not None:
            key, w.api_key = apikeys.create(keys_file, tenant=w.tenant, description=f"integrator {tag}")
            scoped = await post("policy", "/v1/api-keys", "/v1/api-keys", {
                "description": f"Integrasi kunci {tag}", "scopes": sorted(SCOPES)})
            w.scoped_key = scoped["key"]
            w.api_key_ids += [key.id, scoped["id"]]
            w.secrets += [w.api_key, w.scoped_key]
            w.names.append(f"Integrasi kunci {tag}")

        if overdue:
            await self._overdue_and_notified(w, admin, head, end_local)
        return w

    async def _overdue_and_notified(self, w: World, admin: dict[str, str], head: dict[str, str],
                                    end_local: datetime) -> None:
        wait = (end_local.astimezone(UTC) - datetime.now(UTC)).total_seconds() + 40

        async def notified() -> list[Any] | None:
            rows = (await self.call("notify", "GET", "/v1/notifications", admin))["items"]
            done = {(r["channel"], r["status"]) for r in rows}  # no SMTP/WhatsApp here: the person's is skipped
            return rows if {("log", "skipped"), ("webhook", "sent")} <= done else None

        rows = await eventually(notified, timeout=wait, interval=1, what=f"{w.tag}: overdue notifications recorded")
        w.notification_ids += [r["id"] for r in rows]
        verify = {"unit_id": w.units[0], "date": str(w.today), "note": f"Terverifikasi {w.tag}"}

        async def verified() -> Any:
            r = await self.http.post(self.url["reporting"] + "/v1/reports/verifications", json=verify, headers=head)
            return r.json() if r.status_code in (200, 201) else None

        await eventually(verified, timeout=20, what=f"{w.tag}: day verified")
        w.bodies[("POST", "/v1/reports/verifications")] = verify
        w.names.append(f"Terverifikasi {w.tag}")
