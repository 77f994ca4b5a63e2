"""``GET /dashboard/api/missing-now`` on a real PostgreSQL, with the real clock: two tenants whose
window is open now in their local time (a zone with room in its day), fed through the real
handlers (directory, contacts, letter, verdicts, an absence).

- The tenant admin sees everyone of their tenant who is expected and has not checked in yet —
  not the one who checked in, not the one on approved leave, not the inactive one — sorted by
  unit then name, with WhatsApp and telephone links where a phone is known; one unit on request.
- A unit head sees their own unit only (403 for another); an employee gets 403.
- Nothing of the other tenant (same unit ids, same NIPs) ever shows, either way.
- A contact's tombstone removes the links; a tenant with no window open gets ``window: null``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from services.contracts.decisions import AbsenceUpdated
from services.contracts.envelope import TOMBSTONE, Envelope
from services.contracts.events import (
    DirectoryContact,
    DirectoryUpdatedV2,
    EmployeeProfile,
    PolicyUpdated,
    TenantRecord,
    UnitRecord,
)
from services.contracts.policy import AbsenceKind, CheckinKind, PolicyContent, Sector, Window
from services.contracts.rules.calendar import TenantCalendar
from services.reporting import api, handlers, web
from services.runtime.consumer import Decoded, Removed, dispatch
from services.runtime.outbox import envelope_for
from tests.reporting.conftest import Instance, apply, nip, verdict
from tests.support.tokens import Tokens
from tools.zones import now_with_room

URL = "/dashboard/api/missing-now"
A, B = "uji-kota-a", "uji-kota-b"
BUDI, ANI, CITRA, DEWI, EKO, FAJAR = (nip(i) for i in range(81, 87))
HEAD = nip(89)
NAMES = {BUDI: "Budi Santoso", ANI: "Ani Wijaya", CITRA: "Citra Lestari", DEWI: "Dewi Rahma", EKO: "Eko Prasetyo",
         FAJAR: "Fajar Nugroho", HEAD: "Kepala BKD"}
UNITS = {"bkd": "Badan Kepegawaian Daerah", "dinkes": "Dinas Kesehatan"}


def letter(local_now: datetime, *, open_now: bool) -> PolicyContent:
    """A letter working every day whose attendance window opened ten minutes ago and ends in
    thirty (15 minutes' grace); or, when not ``open_now``, one that opens in twenty minutes."""
    start = (local_now - timedelta(minutes=10)) if open_now else (local_now + timedelta(minutes=20))
    end = start + timedelta(minutes=40 if open_now else 10)
    return PolicyContent(working_days=[1, 2, 3, 4, 5, 6, 7], windows=[
        Window(id="apel", name="Apel siang", start=start.time().replace(microsecond=0),
               end=end.time().replace(microsecond=0), grace_minutes=15,
               kinds=[CheckinKind.ATTENDANCE])])


async def tenant(rt: Any, tenant_id: str, tz: str, local_now: datetime, people: dict[str, tuple[str, bool]],
                 phones: dict[str, str], *, open_now: bool = True) -> None:
    """A tenant without holidays, its two units, ``people`` (NIP → unit, active), their phones, its letter."""
    events: list[Any] = [DirectoryUpdatedV2(entity="tenant", tenant=TenantRecord(
        id=tenant_id, name=f"Pemerintah {tenant_id}", kind="city", timezone=tz,
        calendar=TenantCalendar(national=False, cuti_bersama=False)))]
    events += [DirectoryUpdatedV2(entity="unit", unit=UnitRecord(id=u, name=name, sector=Sector.NON_ESSENTIAL,
                                                                 effective_sector=Sector.NON_ESSENTIAL))
               for u, name in UNITS.items()]
    events += [DirectoryUpdatedV2(entity="employee", employee=EmployeeProfile(
        nip=n, name=NAMES[n], unit_id=u, active=active, is_unit_head=n == HEAD)) for n, (u, active) in people.items()]
    events += [DirectoryContact(nip=n, email=f"{n}@{tenant_id}.go.id", phone=p) for n, p in phones.items()]
    await apply(rt, tenant_id, *events)
    await apply(rt, tenant_id, PolicyUpdated(
        policy_id="se-1", number="800/7-BKD/2026", version=1, title="Uji daftar belum check-in",
        valid_from=local_now.date() - timedelta(days=1), timezone=tz, content=letter(local_now, open_now=open_now)),
        time_=datetime.now(UTC) - timedelta(days=1))


def client(reporting: Instance) -> httpx.AsyncClient:
    app = FastAPI()
    app.state.runtime = reporting.rt
    for router in [*api.ROUTERS, web.router]:  # what app.py includes
        app.include_router(router)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reporting")


def names(body: dict[str, Any]) -> list[str]:
    return [r["name"] for r in body["rows"]]


async def test_who_has_not_checked_in_now_per_role_and_tenant(reporting: Instance) -> None:
    rt = reporting.rt
    tz, local_now = now_with_room(timedelta(minutes=50), after_midnight=timedelta(minutes=11))
    today: date = local_now.date()
    await tenant(rt, A, tz, local_now, {BUDI: ("dinkes", True), ANI: ("bkd", True), CITRA: ("bkd", True),
                                        DEWI: ("bkd", True), EKO: ("bkd", False), FAJAR: ("bkd", True),
                                        HEAD: ("bkd", True)},
                 {BUDI: "0812-3456-7890", DEWI: "+62 21 5550123", ANI: "081299990000"})
    # Tenant B: the same unit ids and the same NIPs, other people and numbers.
    await tenant(rt, B, tz, local_now, {ANI: ("bkd", True), FAJAR: ("dinkes", True)}, {FAJAR: "0813-1111-2222"})
    captured = datetime.now(UTC) - timedelta(minutes=1)
    await apply(rt, A, verdict(ANI, "apel", "on_time", captured=captured, kind=CheckinKind.ATTENDANCE, day=today),
                verdict(FAJAR, "apel", "late", captured=captured, late_minutes=3, kind=CheckinKind.ATTENDANCE,
                        day=today),
                AbsenceUpdated(absence_id=uuid.uuid4(), employee_id=CITRA, unit_id="bkd", kind=AbsenceKind.SAKIT,
                               start=today, end=today, status="approved", revision=1, at=captured))
    tokens = Tokens(Path(rt.settings.jwt_jwks_file).with_name("private.pem"))
    head = tokens.headers(tenant=A, roles=["unit_head"], nip=HEAD, unit="bkd", subject=f"head@{A}")

    async with client(reporting) as http:
        r = await http.get(URL, headers=tokens.admin(A))
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["date"], body["timezone"]) == (str(today), tz)
        window = body["window"]
        assert (window["window_id"], window["window_name"]) == ("apel", "Apel siang")
        start, deadline = (datetime.fromisoformat(window[k]) for k in ("start", "deadline"))
        assert start <= datetime.now(UTC) < deadline and deadline - datetime.fromisoformat(window["end"]) == timedelta(
            minutes=15)
        assert start.utcoffset() == local_now.utcoffset(), "shown in the tenant's local time"
        # Ani checked in, Fajar late, Citra is on sick leave, Eko is inactive.
        assert names(body) == ["Dewi Rahma", "Kepala BKD", "Budi Santoso"] and body["total"] == 3
        rows = {row["name"]: row for row in body["rows"]}
        assert rows["Budi Santoso"] == {
            "employee_id": BUDI, "name": "Budi Santoso", "unit_id": "dinkes", "unit_name": "Dinas Kesehatan",
            "phone": "+6281234567890", "whatsapp_url": "https://wa.me/6281234567890", "tel_url": "tel:+6281234567890"}
        assert (rows["Dewi Rahma"]["whatsapp_url"], rows["Dewi Rahma"]["tel_url"]) == (None, "tel:+62215550123")
        assert (rows["Kepala BKD"]["phone"], rows["Kepala BKD"]["tel_url"]) == (None, None)
        assert "1111" not in r.text and "@" not in r.text, "nothing of tenant B, and no e-mail"

        one = await http.get(URL, headers=tokens.admin(A), params={"unit_id": "dinkes"})
        assert names(one.json()) == ["Budi Santoso"]
        first = await http.get(URL, headers=tokens.admin(A), params={"limit": 1})
        assert names(first.json()) == ["Dewi Rahma"] and first.json()["total"] == 3

        own = await http.get(URL, headers=head)
        assert own.status_code == 200 and names(own.json()) == ["Dewi Rahma", "Kepala BKD"]
        assert (await http.get(URL, headers=head, params={"unit_id": "bkd"})).status_code == 200
        assert (await http.get(URL, headers=head, params={"unit_id": "dinkes"})).status_code == 403
        assert (await http.get(URL, headers=tokens.employee(A, BUDI, "dinkes"))).status_code == 403
        for bad in ({"limit": 0}, {"limit": 100000}, {"unit_id": "x" * 101}):
            assert (await http.get(URL, headers=tokens.admin(A), params=bad)).status_code == 422, bad

        other = (await http.get(URL, headers=tokens.admin(B))).json()
        assert names(other) == ["Ani Wijaya", "Fajar Nugroho"], "B's own people, B's verdicts (none)"
        assert [r["whatsapp_url"] for r in other["rows"]] == [None, "https://wa.me/6281311112222"]
        assert "3456" not in str(other), "nothing of tenant A"

        # Retention removed Budi's details in policy: the tombstone removes the links.
        env = envelope_for(DirectoryContact(nip=BUDI), tenant=A, source="/hadir/test")
        tombstone = Envelope(type=env.type, source=env.source, tenant=A, subject=BUDI, data=TOMBSTONE)
        async with rt.sessions() as session, session.begin():
            await dispatch(session, handlers.subscriptions(rt), [Decoded(tombstone, Removed(DirectoryContact))])
        budi = (await http.get(URL, headers=tokens.admin(A), params={"unit_id": "dinkes"})).json()["rows"][0]
        assert (budi["phone"], budi["whatsapp_url"], budi["tel_url"]) == (None, None, None)
        other = (await http.get(URL, headers=tokens.admin(B))).json()
        assert other["rows"][1]["phone"] == "+6281311112222", "B's copy is B's"


async def test_no_window_open_gives_no_window_and_nobody(reporting: Instance) -> None:
    tz, local_now = now_with_room(timedelta(minutes=35))
    await tenant(reporting.rt, "uji-kota-c", tz, local_now, {BUDI: ("bkd", True)}, {BUDI: "081234567890"},
                 open_now=False)
    tokens = Tokens(Path(reporting.rt.settings.jwt_jwks_file).with_name("private.pem"))
    async with client(reporting) as http:
        r = await http.get(URL, headers=tokens.admin("uji-kota-c"))
        unknown = await http.get(URL, headers=tokens.admin("uji-kota-unknown"))
    assert r.status_code == 200 and (r.json()["window"], r.json()["rows"], r.json()["total"]) == (None, [], 0)
    assert unknown.status_code == 404, "a tenant reporting does not know"
