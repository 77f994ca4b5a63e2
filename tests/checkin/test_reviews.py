"""Heads' reviews of activity reports and video conferences, on real PostgreSQL and Kafka: a head
lists and reads their own unit's (never another unit's, never another tenant's), approves or
returns them with a note; every decision is kept and staged as ``checkin.reviewed`` without the
report's text; the employee reads the state and the note and may send the report again."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from services.checkin import handlers
from services.checkin.store import PolicyVersion, ReviewDecision, read_models_changed
from services.contracts import topics
from services.contracts.decisions import CheckinReviewed
from services.contracts.events import CheckinEvaluated, PolicyUpdated
from services.contracts.policy import CheckinKind, PolicyContent
from services.runtime.consumer import Decoded
from services.runtime.outbox import envelope_for
from tests.checkin import kafka_io
from tests.checkin.conftest import CheckinService, new_tenant, nip
from tests.support.records import read_to_end
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

ANI, BUDI, CITRA, DEDI = nip(61), nip(62), nip(63), nip(64)  # Ani, Budi, Dedi in BKD; Citra in the health office
ZONE = ZoneInfo("Asia/Makassar")  # WITA, UTC+8
REPORT = "Menyusun telaah staf tentang kerja dari rumah"


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), ZONE)


async def seeded(checkin: CheckinService, tenant: str) -> date:
    """Ani, Budi and Dedi in BKD, Citra in the health office, a WITA tenant whose letter admits a
    week's late submissions and names its windows; the day two days ago (WITA)."""
    await checkin.seed_employees(tenant, [ANI, BUDI, DEDI], unit="bkd", timezone="Asia/Makassar")
    await checkin.seed_employees(tenant, [CITRA], unit="dinkes")
    async with checkin.rt.sessions() as session, session.begin():
        await session.merge(PolicyVersion(
            tenant=tenant, policy_id="800-9-bkd-2026", version=1, number="800/9-BKD/2026",
            valid_from=date(2000, 1, 1), valid_until=None, effective_at=datetime(2000, 1, 1, tzinfo=UTC),
            timezone="Asia/Makassar", late_submission_limit_hours=24 * 7,
            window_names={"laporan": "Laporan kegiatan harian", "rapat": "Rapat daring"}))
        await read_models_changed(session)
    return datetime.now(ZONE).date() - timedelta(days=2)


async def submit(checkin: CheckinService, tenant: str, who: str, unit: str, captured: datetime,
                 kind: str = "activity_report", key: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "captured_at": captured.isoformat()}
    if kind == "activity_report":
        body |= {"activity_text": f"{REPORT} ({who[-2:]})", "attachment_ref": "drive://laporan/1.pdf"}
    elif kind == "video_conference":
        body["meeting_ref"] = "https://meet.example.go.id/rapat-14"
    else:
        body["location"] = {"latitude": -5.14, "longitude": 119.43, "accuracy_m": 10}
    headers = checkin.employee(tenant, who, unit) | ({"Idempotency-Key": key} if key else {})
    response = await checkin.client.post("/v1/checkins", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    [error] = response.json()["detail"]
    return dict(error)


async def test_a_head_lists_and_reads_their_own_units_reports_only(checkin: CheckinService) -> None:
    tenant, other = new_tenant(), new_tenant()
    day = await seeded(checkin, tenant)
    await checkin.seed_employees(other, [ANI], unit="bkd")
    report = await submit(checkin, tenant, ANI, "bkd", local(day, 16, 0))
    meeting = await submit(checkin, tenant, BUDI, "bkd", local(day, 14, 5), kind="video_conference")
    await submit(checkin, tenant, ANI, "bkd", local(day, 9, 0), kind="location")  # never reviewed
    await submit(checkin, tenant, ANI, "bkd", local(day + timedelta(days=1), 16, 0))  # another day
    health = await submit(checkin, tenant, CITRA, "dinkes", local(day, 15, 0))
    elsewhere = await submit(checkin, other, ANI, "bkd", local(day, 16, 0))
    head = checkin.head(tenant, "bkd")

    page = ok(await checkin.client.get("/v1/reviews", headers=head, params={"date": str(day)}))
    assert [i["checkin_id"] for i in page["items"]] == [report["id"], meeting["id"]]  # newest first
    assert page["next_after"] is None
    first, second = page["items"]
    assert (first["name"], first["kind"], first["unit_id"]) == (f"Pegawai {ANI[-3:]}", "activity_report", "bkd")
    assert first["activity_text"] == f"{REPORT} (61)" and first["attachment_ref"] == "drive://laporan/1.pdf"
    assert second["meeting_ref"] == "https://meet.example.go.id/rapat-14" and second["activity_text"] is None
    assert first["zone"] == "WITA" and first["local_date"] == str(day)
    assert first["captured_at_local"] == local(day, 16, 0).isoformat()  # 16:00+08:00
    assert datetime.fromisoformat(first["captured_at"]) == local(day, 16, 0)
    assert first["received_at_local"].endswith("+08:00")
    assert first["review"] == {"state": "pending", "note": None, "at": None, "revision": 0, "by": None,
                               "by_nip": None, "at_local": None}
    body = json.dumps(page)
    assert "119.43" not in body and "latitude" not in body  # no coordinates

    # A page at a time: the cursor of the first page leads to the second and last.
    one = ok(await checkin.client.get("/v1/reviews", headers=head, params={"date": str(day), "limit": 1}))
    assert [i["checkin_id"] for i in one["items"]] == [report["id"]] and one["next_after"]
    rest = ok(await checkin.client.get("/v1/reviews", headers=head,
                                       params={"date": str(day), "limit": 1, "after": one["next_after"]}))
    assert [i["checkin_id"] for i in rest["items"]] == [meeting["id"]] and rest["next_after"] is None
    bad = refused(await checkin.client.get("/v1/reviews", headers=head, params={"after": "nonsense"}), 422)
    assert bad["loc"] == ["query", "after"]
    kind = ok(await checkin.client.get("/v1/reviews", headers=head,
                                       params={"date": str(day), "kind": "video_conference"}))
    assert [i["checkin_id"] for i in kind["items"]] == [meeting["id"]]

    # Another unit: refused to its head; the tenant's admin sees every unit, or the one asked for.
    assert refused(await checkin.client.get("/v1/reviews", headers=head, params={"unit_id": "dinkes"}),
                   403)["type"] == "not_your_unit"
    assert refused(await checkin.client.get(f"/v1/reviews/{health['id']}", headers=head), 403)["type"] == \
        "not_your_unit"
    admin = checkin.tokens.admin(tenant)
    everyone = ok(await checkin.client.get("/v1/reviews", headers=admin, params={"date": str(day)}))
    assert [i["checkin_id"] for i in everyone["items"]] == [report["id"], health["id"], meeting["id"]]
    dinkes = ok(await checkin.client.get("/v1/reviews", headers=admin, params={"date": str(day),
                                                                                "unit_id": "dinkes"}))
    assert [i["checkin_id"] for i in dinkes["items"]] == [health["id"]]

    # One, with its (empty) history; a location check-in is no report; employees do not review.
    one_item = ok(await checkin.client.get(f"/v1/reviews/{report['id']}", headers=head))
    assert one_item["history"] == [] and one_item["activity_text"] == f"{REPORT} (61)"
    assert refused(await checkin.client.get("/v1/reviews", headers=checkin.employee(tenant, ANI, "bkd")),
                   403)["type"] == "role_required"

    # Another tenant: its head's list is its own; this tenant's check-ins are not found there.
    other_head = checkin.head(other, "bkd")
    theirs = ok(await checkin.client.get("/v1/reviews", headers=other_head, params={"date": str(day)}))
    assert [i["checkin_id"] for i in theirs["items"]] == [elsewhere["id"]]
    assert refused(await checkin.client.get(f"/v1/reviews/{report['id']}", headers=other_head), 404)["loc"] == \
        ["path", "checkin_id"]
    assert refused(await checkin.client.post(f"/v1/checkins/{report['id']}/review", headers=other_head,
                                             json={"decision": "approve"}), 404)
    assert not [r for r in await checkin.outbox_rows(other) if r.ce_type == CheckinReviewed.TYPE]


async def test_today_is_the_default_day(checkin: CheckinService) -> None:
    tenant = new_tenant()
    await seeded(checkin, tenant)
    now = datetime.now(UTC) - timedelta(minutes=1)
    today = await submit(checkin, tenant, ANI, "bkd", now)
    await submit(checkin, tenant, ANI, "bkd", now - timedelta(days=3))
    page = ok(await checkin.client.get("/v1/reviews", headers=checkin.head(tenant, "bkd")))
    assert [i["checkin_id"] for i in page["items"]] == [today["id"]]


async def test_who_may_decide_and_what_a_decision_needs(checkin: CheckinService) -> None:
    tenant = new_tenant()
    day = await seeded(checkin, tenant)
    report = await submit(checkin, tenant, ANI, "bkd", local(day, 16))
    location = await submit(checkin, tenant, ANI, "bkd", local(day, 9), kind="location")
    health = await submit(checkin, tenant, CITRA, "dinkes", local(day, 16))
    head = checkin.head(tenant, "bkd")

    def review(checkin_id: str, body: Any, headers: dict[str, str] = head) -> Any:
        return checkin.client.post(f"/v1/checkins/{checkin_id}/review", headers=headers, json=body)

    no_note = refused(await review(report["id"], {"decision": "return"}), 422)
    assert no_note["loc"] == ["body", "note"] and no_note["type"] == "note_required"
    assert refused(await review(report["id"], {"decision": "return", "note": "   "}), 422)["loc"] == ["body", "note"]
    assert refused(await review(report["id"], {"decision": "approve", "note": "x" * 501}), 422)["type"] == \
        "string_too_long"
    assert refused(await review(report["id"], {"decision": "maybe"}), 422)["loc"] == ["body", "decision"]
    assert refused(await review(location["id"], {"decision": "approve"}), 422)["type"] == "not_reviewed"
    assert refused(await review(health["id"], {"decision": "approve"}), 403)["type"] == "not_your_unit"
    assert refused(await review(str(uuid.uuid4()), {"decision": "approve"}), 404)["loc"] == ["path", "checkin_id"]
    assert refused(await review(report["id"], {"decision": "approve"}, checkin.employee(tenant, ANI, "bkd")),
                   403)["type"] == "role_required"
    # A head never decides on their own report (here Ani heads BKD), not even as the tenant's admin.
    ani_heads = checkin.tokens.headers(tenant=tenant, roles=["unit_head", "tenant_admin"], nip=ANI, unit="bkd")
    assert refused(await review(report["id"], {"decision": "approve"}, ani_heads), 403)["type"] == "own_checkin"
    english = await checkin.client.post(f"/v1/checkins/{report['id']}/review", json={"decision": "approve"},
                                        headers=ani_heads | {"Accept-Language": "en"})
    assert "your own" in refused(english, 403)["msg"]

    assert not [r for r in await checkin.outbox_rows(tenant) if r.ce_type == CheckinReviewed.TYPE]
    async with checkin.rt.sessions() as session:
        assert (await session.scalars(select(ReviewDecision).where(ReviewDecision.tenant == tenant))).all() == []


async def test_return_then_approve_is_audited_published_and_told_to_the_employee(
        checkin: CheckinService, kafka_bootstrap: str) -> None:
    tenant = new_tenant()
    day = await seeded(checkin, tenant)
    report = await submit(checkin, tenant, ANI, "bkd", local(day, 16), key=f"laporan-{day}")
    captured = local(day, 16)
    await kafka_io.publish(kafka_bootstrap, tenant, [CheckinEvaluated(
        checkin_id=uuid.UUID(report["id"]), employee_id=ANI, unit_id="bkd", kind=CheckinKind.ACTIVITY_REPORT,
        captured_at=captured, received_at=captured, local_date=day, status="on_time", window_id="laporan")])
    head = checkin.head(tenant, "bkd", DEDI)
    evaluated = await eventually(
        lambda: _evaluated(checkin, head, report["id"]), timeout=30, what="the verdict applied")
    assert (evaluated["window_id"], evaluated["window_name"]) == ("laporan", "Laporan kegiatan harian")

    note = "Lampirkan notulen rapat dan rincian capaian"
    returned = ok(await checkin.client.post(f"/v1/checkins/{report['id']}/review", headers=head,
                                            json={"decision": "return", "note": note}))
    assert returned["review"] | {"at": None, "at_local": None} == {
        "state": "returned", "note": note, "revision": 1, "by": "head-bkd", "by_nip": DEDI, "at": None,
        "at_local": None}
    assert returned["review"]["at_local"].endswith("+08:00")

    # The employee sees it returned with the note, and sends the report again under a new key.
    mine = ok(await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, ANI, "bkd")))["items"]
    [seen] = [c for c in mine if c["id"] == report["id"]]
    assert seen["review"]["state"] == "returned" and seen["review"]["note"] == note
    assert seen["review"]["revision"] == 1
    again = await submit(checkin, tenant, ANI, "bkd", local(day, 17), key=f"laporan-{day}-2")
    assert again["id"] != report["id"]
    mine = ok(await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, ANI, "bkd")))["items"]
    assert {c["id"]: c["review"]["state"] for c in mine} == {report["id"]: "returned", again["id"]: "pending"}
    pending = ok(await checkin.client.get("/v1/reviews", headers=head, params={"date": str(day),
                                                                               "status": "pending"}))
    assert [i["checkin_id"] for i in pending["items"]] == [again["id"]]

    approved = ok(await checkin.client.post(f"/v1/checkins/{report['id']}/review", headers=checkin.tokens.admin(
        tenant), json={"decision": "approve", "note": "Sudah lengkap"}))
    assert (approved["review"]["state"], approved["review"]["revision"]) == ("approved", 2)
    history = ok(await checkin.client.get(f"/v1/reviews/{report['id']}", headers=head))["history"]
    assert [(h["revision"], h["decision"], h["note"], h["by_role"], h["by_nip"]) for h in history] == [
        (1, "returned", note, "unit_head", DEDI), (2, "approved", "Sudah lengkap", "tenant_admin", None)]
    listed = ok(await checkin.client.get("/v1/reviews", headers=head, params={"date": str(day),
                                                                              "status": "approved"}))
    assert [i["checkin_id"] for i in listed["items"]] == [report["id"]]

    # The employee's own download carries the review too.
    export = await checkin.client.get("/v1/me/export", headers=checkin.employee(tenant, ANI, "bkd"))
    rows = {r["id"]: r for r in ok(export)["sections"]["checkins"]}
    assert (rows[report["id"]]["review"], rows[report["id"]]["review_note"]) == ("approved", "Sudah lengkap")
    assert rows[report["id"]]["reviewed_at_local"].endswith("+08:00")
    assert (rows[again["id"]]["review"], rows[again["id"]]["review_note"]) == ("pending", None)

    # Both decisions staged and published, whole state with the revision, never the report's text.
    staged = [r for r in await checkin.outbox_rows(tenant) if r.ce_type == CheckinReviewed.TYPE]
    assert len(staged) == 2 and all(REPORT not in r.payload.decode() for r in staged)
    assert all("drive://" not in r.payload.decode() for r in staged)

    async def published() -> list[CheckinReviewed] | None:
        records = await read_to_end(kafka_bootstrap, topics.CHECKIN_REVIEWED, tenant)
        events = [CheckinReviewed.model_validate_json(r.value) for r in records]
        return events if len(events) >= 2 else None

    events = await eventually(published, timeout=30, what="both decisions published")
    assert [(e.revision, e.decision, e.note) for e in events] == [(1, "returned", note), (2, "approved",
                                                                                            "Sudah lengkap")]
    assert {(e.checkin_id, e.employee_id, e.unit_id, e.kind, e.local_date, e.window_id) for e in events} == {
        (uuid.UUID(report["id"]), ANI, "bkd", "activity_report", day, "laporan")}


async def _evaluated(checkin: CheckinService, head: dict[str, str], checkin_id: str) -> dict[str, Any] | None:
    item = ok(await checkin.client.get(f"/v1/reviews/{checkin_id}", headers=head))
    return item if item["status"] != "pending" else None


async def test_a_letter_versions_window_names_are_kept(checkin: CheckinService) -> None:
    tenant = new_tenant()
    content = PolicyContent()
    event = PolicyUpdated(policy_id="se-7", version=1, number="800/7/2026", title="WFH ASN",
                          valid_from=date(2026, 1, 1), timezone="Asia/Makassar",
                          effective_at=datetime(2026, 1, 1, tzinfo=UTC), content=content)
    async with checkin.rt.sessions() as session, session.begin():
        await handlers.on_policy_updated(session, [Decoded(envelope_for(event, tenant=tenant, source="/t"), event)])
    async with checkin.rt.sessions() as session:
        row = await session.get(PolicyVersion, (tenant, "se-7", 1))
    assert row is not None and content.windows
    assert row.window_names == {w.id: w.name for w in content.windows}


async def test_concurrent_decisions_take_turns(checkin: CheckinService) -> None:
    tenant = new_tenant()
    day = await seeded(checkin, tenant)
    report = await submit(checkin, tenant, ANI, "bkd", local(day, 16))
    deciders = [checkin.head(tenant, "bkd", DEDI), checkin.tokens.admin(tenant)] * 3
    answers = await asyncio.gather(*(checkin.client.post(
        f"/v1/checkins/{report['id']}/review", headers=h, json={"decision": "return", "note": f"Catatan {i}"})
        for i, h in enumerate(deciders)))
    assert sorted(ok(a)["review"]["revision"] for a in answers) == [1, 2, 3, 4, 5, 6]
    history = ok(await checkin.client.get(f"/v1/reviews/{report['id']}", headers=deciders[0]))["history"]
    assert [h["revision"] for h in history] == [1, 2, 3, 4, 5, 6]
    staged = [json.loads(r.payload) for r in await checkin.outbox_rows(tenant) if r.ce_type == CheckinReviewed.TYPE]
    assert [e["revision"] for e in staged] == [1, 2, 3, 4, 5, 6]
