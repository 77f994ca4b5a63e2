"""Notify's part of the data-subject download (``GET /v1/me/export``), on a real PostgreSQL:
two employees of one tenant (and one of them in another tenant) with contacts, preferences,
notices on several channels with their delivery attempts, overdue marks and roster days; the
export of each holds every section with their own records and nothing of the other's, nor a
webhook delivery, nor another tenant's."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.notify.api import me_export
from services.notify.settings import NotifySettings
from services.notify.store import (
    Base,
    Contact,
    DeliveryAttempt,
    OverdueMark,
    Preference,
    Recipient,
    Tenant,
    roster_tables,
)
from services.runtime import migrations
from services.runtime.service import ServiceRuntime
from services.runtime.settings import Settings
from tests.notify.inprocess import MIGRATIONS, row
from tests.support.tokens import Tokens

pytestmark = pytest.mark.infra

TENANT, ELSEWHERE = "t-lebak", "t-cilegon"
ANI, BUDI = "198001012005011081", "198001012005011082"
SECTIONS = ["profile", "contacts", "preferences", "notifications", "delivery_attempts", "overdue_marks", "rosters"]
DAY = date(2026, 3, 10)


@pytest.fixture
async def client(pg_url: str, dev_keys: tuple[Path, Path]) -> AsyncIterator[tuple[httpx.AsyncClient, ServiceRuntime]]:
    await migrations.upgrade_async(MIGRATIONS, pg_url, Base.metadata)
    rt = ServiceRuntime(Settings(service="notify", database_url=pg_url, kafka_bootstrap_servers="127.0.0.1:9",
                                 jwt_jwks_file=dev_keys[1]), Base.metadata, MIGRATIONS)
    app = FastAPI()
    app.state.runtime, app.state.notify_settings = rt, NotifySettings()
    app.include_router(me_export.router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as http:
        yield http, rt
    await rt.engine.dispose()


async def held(rt: ServiceRuntime, tenant: str, nip: str, tag: str, *, webhook: bool = False) -> list[str]:
    """Everything notify keeps about one person, each text marked with ``tag``; the notices' ids."""
    now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    mail = row(tenant, "email", recipient=nip, address=f"{tag}@example.go.id", subject=f"Terlambat {tag}",
               body=f"Yth. {tag}, laporan lokasi belum diterima", status="sent", sent_at=now, kind="overdue",
               created_at=now, next_attempt_at=now)
    chat = row(tenant, "whatsapp", recipient=nip, address="+62811000" + nip[-3:], subject=f"Pengingat {tag}",
               body=f"Pengingat {tag}", status="dead", attempts=2, kind="due_soon", created_at=now - timedelta(hours=1),
               next_attempt_at=now)
    rows: list[Any] = [mail, chat]
    if webhook:
        rows.append(row(tenant, "webhook", recipient=str(uuid.uuid4()), address="https://hook.example/x",
                        body=f"webhook {tag}", status="sent"))
    async with rt.sessions() as session, session.begin():
        await session.merge(Tenant(id=tenant, name=f"Pemkab {tenant}", timezone="Asia/Jayapura"))
        session.add(Recipient(tenant=tenant, nip=nip, name=f"Pegawai {tag}", unit_id="bkd", is_unit_head=False,
                              active=True))
        session.add(Contact(tenant=tenant, nip=nip, email=f"{tag}@example.go.id", phone="+62811000" + nip[-3:]))
        session.add(Preference(tenant=tenant, nip=nip, language="en", channels=["email", "whatsapp"], updated_at=now))
        session.add_all(rows)
        await session.flush()
        session.add_all([DeliveryAttempt(notification_id=chat.id, attempt=i, started_at=now, finished_at=now,
                                         outcome="retry", status_code=503, error=f"provider down {tag}")
                         for i in (1, 2)])
        session.add(OverdueMark(tenant=tenant, nip=nip, local_date=DAY, window_id="lokasi", event_id=f"e-{tag}"))
        await session.execute(roster_tables.days.insert().values(tenant=tenant, nip=nip, day=DAY, mode="wfh",
                                                                 unit_id="bkd", revision=1))
    return [mail.id, chat.id]


async def test_each_export_holds_every_section_of_its_employee_and_nothing_else(
        client: tuple[httpx.AsyncClient, ServiceRuntime], tokens: Tokens) -> None:
    http, rt = client
    ani = await held(rt, TENANT, ANI, "ani", webhook=True)
    budi = await held(rt, TENANT, BUDI, "budi")
    await held(rt, ELSEWHERE, ANI, "elsewhere")

    response = await http.get("/v1/me/export", headers=tokens.employee(TENANT, ANI, "bkd"))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    export = response.json()
    assert (export["service"], export["tenant"], export["employee_id"]) == ("notify", TENANT, ANI)
    sections = export["sections"]
    assert list(sections) == SECTIONS
    [profile], [contact] = sections["profile"], sections["contacts"]
    assert (profile["nip"], contact["email"], contact["phone"]) == (ANI, "ani@example.go.id", "+62811000081")
    assert [(p["language"], p["channels"]) for p in sections["preferences"]] == [("en", ["email", "whatsapp"])]
    notices = sections["notifications"]
    assert [n["id"] for n in notices] == [ani[1], ani[0]], "oldest first"
    chat, mail = notices
    assert (mail["kind"], mail["channel"], mail["status"], mail["address"]) == (
        "overdue", "email", "sent", "ani@example.go.id")
    assert (mail["subject"], mail["body"]) == ("Terlambat ani", "Yth. ani, laporan lokasi belum diterima")
    assert (mail["sent_at"], mail["sent_at_local"]) == ("2026-03-10T02:00:00+00:00", "2026-03-10T11:00:00+09:00")
    assert (chat["status"], chat["attempts"], chat["sent_at"]) == ("dead", 2, None)
    assert [(a["notification_id"], a["attempt"], a["status_code"]) for a in sections["delivery_attempts"]] == [
        (ani[1], 1, 503), (ani[1], 2, 503)]
    assert [(m["local_date"], m["window_id"]) for m in sections["overdue_marks"]] == [(str(DAY), "lokasi")]
    assert sections["rosters"] == [{"day": str(DAY), "mode": "wfh", "unit_id": "bkd"}]
    for foreign in (BUDI, "budi", *budi, "webhook ani", "hook.example", "elsewhere", ELSEWHERE):
        assert foreign not in response.text, foreign

    as_csv = await http.get("/v1/me/export", headers=tokens.employee(TENANT, ANI, "bkd"), params={"format": "csv"})
    assert as_csv.status_code == 200, as_csv.text
    table = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert {r[0] for r in table[1:]} == {"_export", *SECTIONS}
    assert ["notifications", "2", "body", "Yth. ani, laporan lokasi belum diterima"] in table
    assert "budi" not in as_csv.text and "elsewhere" not in as_csv.text

    head = await http.get("/v1/me/export", headers=tokens.headers(tenant=TENANT, roles=["unit_head"], nip=BUDI,
                                                                  unit="bkd"))
    assert [n["id"] for n in head.json()["sections"]["notifications"]] == [budi[1], budi[0]]
    nobody = await http.get("/v1/me/export", headers=tokens.employee(TENANT, "198001012005011099", "bkd"))
    assert {name: len(rows) for name, rows in nobody.json()["sections"].items()} == dict.fromkeys(SECTIONS, 0)


@pytest.mark.parametrize(("claims", "expected"), [
    ({"roles": ["employee"]}, "missing_nip"), ({"roles": ["tenant_admin"], "nip": ANI}, "role_required"),
    ({"roles": ["integrator"]}, "role_required")])
async def test_an_export_needs_an_employee_with_a_nip(client: tuple[httpx.AsyncClient, ServiceRuntime],
                                                      tokens: Tokens, claims: dict[str, Any], expected: str) -> None:
    http, _ = client
    response = await http.get("/v1/me/export", headers=tokens.headers(tenant=TENANT, **claims))
    assert response.status_code == 403 and response.json()["detail"][0]["type"] == expected
