"""Every validation rule answers 4xx naming the field (``loc`` and the message, in Bahasa
Indonesia and English), stores nothing, and no bad input makes the service answer 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.runtime import db
from tests.checkin.conftest import CheckinService, new_tenant, nip

pytestmark = pytest.mark.infra

NIP = nip(1)


def body(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "location", "captured_at": datetime.now(UTC).isoformat(), "device_id": "android-1",
        "location": {"latitude": -6.1202, "longitude": 106.1503, "accuracy_m": 12.0},
    }
    base.update(changes)
    return base


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def ahead(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


async def expect_rejected(checkin: CheckinService, tenant: str, payload: Any, status: int, loc: list,
                          *fragments: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The error at ``loc``, asked once in Bahasa Indonesia (the default) and once in English:
    each message names the field, the two differ, and every fragment is in one of them."""
    said = []
    for language in ({}, {"Accept-Language": "en"}):
        response = await checkin.client.post(
            "/v1/checkins", json=payload, headers={**(headers or checkin.employee(tenant, NIP)), **language})
        assert response.status_code == status, response.text
        [error] = [e for e in response.json()["detail"] if e["loc"] == loc]
        field = ".".join(str(p) for p in loc[1:])
        assert error["msg"].startswith(f"{field}: "), error
        said.append(error)
    indonesian, english = said[0]["msg"], said[1]["msg"]
    assert indonesian != english, f"one language only: {indonesian}"
    for fragment in fragments:
        assert fragment in indonesian or fragment in english, (fragment, indonesian, english)
    return said[0]


RULES = [  # payloads are built when the test runs: capture times are relative to "now"
    pytest.param(lambda: body(location={"latitude": 90.5, "longitude": 106.1, "accuracy_m": 5}),
                 ["body", "location", "latitude"], ("paling banyak 90", "at most 90"), id="latitude-over-90"),
    pytest.param(lambda: body(location={"latitude": -90.01, "longitude": 106.1, "accuracy_m": 5}),
                 ["body", "location", "latitude"], ("paling sedikit -90", "at least -90"), id="latitude-under-90"),
    pytest.param(lambda: body(location={"latitude": -6.1, "longitude": 180.5, "accuracy_m": 5}),
                 ["body", "location", "longitude"], ("paling banyak 180",), id="longitude-over-180"),
    pytest.param(lambda: body(location={"latitude": -6.1, "longitude": -181, "accuracy_m": 5}),
                 ["body", "location", "longitude"], ("at least -180",), id="longitude-under-180"),
    pytest.param(lambda: body(location={"latitude": -6.1, "longitude": 106.1, "accuracy_m": -1}),
                 ["body", "location", "accuracy_m"], ("at least 0",), id="negative-accuracy"),
    pytest.param(lambda: body(captured_at=ahead(minutes=6)),
                 ["body", "captured_at"], ("masa depan", "in the future"), id="captured-in-future"),
    pytest.param(lambda: body(captured_at=ago(hours=72, minutes=1)),
                 ["body", "captured_at"], ("72 jam", "72 h"), id="older-than-default-72h"),
    pytest.param(lambda: body(captured_at="2026-03-10T12:00:00"),
                 ["body", "captured_at"], ("zona waktu", "UTC offset"), id="captured-without-offset"),
    pytest.param(lambda: body(kind="activity_report", activity_text="x" * 5001),
                 ["body", "activity_text"], ("maksimal 5000", "at most 5000"), id="activity-text-oversized"),
    pytest.param(lambda: body(kind="video_conference", meeting_ref="m" * 501),
                 ["body", "meeting_ref"], ("maksimal 500",), id="meeting-ref-oversized"),
    pytest.param(lambda: body(attachment_ref="a" * 501),
                 ["body", "attachment_ref"], ("maksimal 500",), id="attachment-ref-oversized"),
    pytest.param(lambda: body(device_id="d" * 201),
                 ["body", "device_id"], ("maksimal 200",), id="device-id-oversized"),
    pytest.param(lambda: body(kind="activity_report", activity_text="laporan\x00"),
                 ["body", "activity_text"], ("NUL",), id="nul-in-text"),
    pytest.param(lambda: body(location=None),
                 ["body", "location"], ("Wajib diisi untuk jenis location",), id="location-missing-for-kind"),
    pytest.param(lambda: body(kind="activity_report"),
                 ["body", "activity_text"], ("required for kind activity_report",), id="text-missing-for-kind"),
    pytest.param(lambda: body(kind="video_conference"),
                 ["body", "meeting_ref"], ("required for kind video_conference",), id="meeting-missing-for-kind"),
    pytest.param(lambda: body(kind="selfie"), ["body", "kind"], ("pilihan", "expected"), id="unknown-kind"),
    pytest.param(lambda: body(employee_id=nip(2)), ["body", "employee_id"], ("tidak dikenal", "unknown field"),
                 id="employee-from-body-refused"),
]


@pytest.mark.parametrize(("payload", "loc", "fragments"), RULES)
async def test_rule_answers_422_naming_the_field(checkin: CheckinService, payload: Callable[[], dict], loc: list,
                                                 fragments: tuple[str, ...]) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    await expect_rejected(checkin, tenant, payload(), 422, loc, *fragments)
    assert await checkin.rows(tenant) == [] and await checkin.outbox_rows(tenant) == []


async def test_limits_are_inclusive_and_valid_input_passes(checkin: CheckinService) -> None:
    """The positive side of each boundary, so the rules above cannot pass by rejecting everything."""
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    headers = checkin.employee(tenant, NIP)
    accepted = [
        body(captured_at=ahead(minutes=4)),
        body(captured_at=ago(hours=71, minutes=50)),
        body(location={"latitude": 90, "longitude": -180, "accuracy_m": 0, "mock_location": True}),
        body(kind="activity_report", activity_text="x" * 5000, attachment_ref="foto/1.jpg", location=None),
        body(kind="video_conference", meeting_ref="https://meet.example/abc", location=None),
        body(kind="attendance", location=None),
    ]
    for payload in accepted:
        response = await checkin.client.post("/v1/checkins", json=payload, headers=headers)
        assert response.status_code == 201, (payload, response.text)
    assert len(await checkin.rows(tenant)) == len(accepted)


async def test_late_submission_limit_comes_from_the_policy_in_force(checkin: CheckinService) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    await checkin.seed_policy(tenant, limit_hours=24, valid_from=date.today() - timedelta(days=30))
    await expect_rejected(checkin, tenant, body(captured_at=ago(hours=25)), 422, ["body", "captured_at"],
                          "24 jam", "24 h")
    ok = await checkin.client.post("/v1/checkins", json=body(captured_at=ago(hours=23)),
                                   headers=checkin.employee(tenant, NIP))
    assert ok.status_code == 201, ok.text
    assert len(await checkin.rows(tenant)) == 1


async def test_unknown_inactive_and_other_tenants_employees_get_403_naming_the_nip(checkin: CheckinService) -> None:
    tenant_a, tenant_b = new_tenant(), new_tenant()
    only_in_b, inactive = nip(7), nip(8)
    await checkin.seed_employees(tenant_b, [only_in_b])
    await checkin.seed_employees(tenant_a, [inactive], active=False)
    nip_loc = ["header", "authorization", "nip"]

    unknown = await expect_rejected(checkin, tenant_a, body(), 403, nip_loc, "tidak terdaftar", "not an employee",
                                    headers=checkin.employee(tenant_a, nip(9)))
    assert unknown["type"] == "unknown_employee"
    # The token's tenant decides: a NIP known only in tenant B is unknown to a tenant-A token.
    other = await expect_rejected(checkin, tenant_a, body(), 403, nip_loc, only_in_b,
                                  headers=checkin.employee(tenant_a, only_in_b))
    assert other["type"] == "unknown_employee"
    gone = await expect_rejected(checkin, tenant_a, body(), 403, nip_loc, "tidak aktif", "not an active",
                                 headers=checkin.employee(tenant_a, inactive))
    assert gone["type"] == "inactive_employee"
    batch = await checkin.client.post("/v1/checkins/batch", headers=checkin.employee(tenant_a, only_in_b),
                                      json={"items": [{**body(), "idempotency_key": "b-1"}]})
    assert batch.status_code == 403 and batch.json()["detail"][0]["loc"] == nip_loc
    assert await checkin.rows(tenant_a) == [] and await checkin.outbox_rows(tenant_a) == []

    # The same NIP with a tenant-B token is accepted, and stored in tenant B only.
    accepted = await checkin.client.post("/v1/checkins", json=body(), headers=checkin.employee(tenant_b, only_in_b))
    assert accepted.status_code == 201, accepted.text
    assert [r.tenant for r in await checkin.rows(tenant_b)] == [tenant_b]


async def test_bad_idempotency_key_header_is_422(checkin: CheckinService) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    headers = {**checkin.employee(tenant, NIP), "Idempotency-Key": "has space"}
    await expect_rejected(checkin, tenant, body(), 422, ["header", "idempotency-key"], "ASCII",
                          headers=headers)


GARBAGE: list[tuple[str, bytes]] = [
    ("/v1/checkins", b"{not json"),
    ("/v1/checkins", b""),
    ("/v1/checkins", b"null"),
    ("/v1/checkins", b"[]"),
    ("/v1/checkins", b'"a string"'),
    ("/v1/checkins", b'{"kind": "location", "captured_at": "2026-03-10T12:00:00Z",'
                     b' "location": {"latitude": NaN, "longitude": 1, "accuracy_m": 1}}'),
    ("/v1/checkins", b'{"kind": "location", "captured_at": "2026-03-10T12:00:00Z",'
                     b' "location": {"latitude": 1e400, "longitude": -Infinity, "accuracy_m": 1}}'),
    ("/v1/checkins", b'{"kind": "activity_report", "captured_at": "2026-03-10T12:00:00Z",'
                     b' "activity_text": "a\\ud800b"}'),
    ("/v1/checkins", b'{"kind": "attendance", "captured_at": "0001-01-01T00:00:00+14:00"}'),
    ("/v1/checkins", b'{"kind": "attendance", "captured_at": "9999-12-31T23:59:59-14:00"}'),
    ("/v1/checkins", b'{"kind": "attendance", "captured_at": "2026-02-30T10:00:00Z"}'),
    ("/v1/checkins", b'{"kind": "attendance", "captured_at": 1e300}'),
    ("/v1/checkins", b'{"kind": ["location"], "captured_at": {"a": 1}, "location": "here"}'),
    ("/v1/checkins", b'{"kind": "location", "captured_at": "2026-03-10T12:00:00Z",'
                     b' "location": {"latitude": 100000000000000000000000000000000000, "longitude": true,'
                     b' "accuracy_m": "far"}}'),
    ("/v1/checkins", b'{"kind": "attendance", "captured_at": "2026-03-10T12:00:00Z", "device_id": 12}'),
    ("/v1/checkins", b"[" * 100_000 + b"]" * 100_000),
    ("/v1/checkins/batch", b'{"items": {}}'),
    ("/v1/checkins/batch", b'{"items": []}'),
    ("/v1/checkins/batch", b'{"items": null}'),
    ("/v1/checkins/batch", b'{"items": [1, "x", null, [], {"idempotency_key": "\\u0000"},'
                           b' {"idempotency_key": 5, "kind": "attendance", "captured_at": "x"}]}'),
    ("/v1/checkins/batch", b'{"items": [' + b",".join([b"{}"] * 501) + b"]}"),
]


async def test_garbage_never_makes_a_500_and_stores_nothing(checkin: CheckinService) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    headers = {**checkin.employee(tenant, NIP), "content-type": "application/json"}
    answers = []
    for path, raw in GARBAGE:
        response = await checkin.client.post(path, content=raw, headers=headers)
        answers.append((path, raw[:60], response.status_code))
        if path.endswith("/batch") and response.status_code == 200:
            assert {r["status"] for r in response.json()["results"]} == {422}, response.text
    for method, path in [("GET", "/v1/checkins/mine?date=9999-12-31"), ("GET", "/v1/checkins/mine?date=0001-01-01"),
                         ("GET", "/v1/checkins/mine?limit=-1"), ("GET", "/v1/checkins/mine?date=kemarin"),
                         ("GET", "/v1/units/bkd/checkins?limit=abc")]:
        response = await checkin.client.request(method, path, headers=checkin.head(tenant, "bkd", NIP))
        answers.append((method, path, response.status_code))
    wrong = [a for a in answers if not 400 <= a[-1] < 500 and not (a[0].endswith("/batch") and a[-1] == 200)]
    assert wrong == [], wrong
    assert await checkin.rows(tenant) == [] and await checkin.outbox_rows(tenant) == []


async def test_token_problems_are_401_or_403(checkin: CheckinService) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    no_token = await checkin.client.post("/v1/checkins", json=body())
    assert no_token.status_code == 401
    bad_token = await checkin.client.post("/v1/checkins", json=body(), headers={"Authorization": "Bearer abc.def.ghi"})
    assert bad_token.status_code == 401
    no_nip = await checkin.client.post("/v1/checkins", json=body(),
                                       headers=checkin.tokens.headers(tenant=tenant, roles=["employee"]))
    assert no_nip.status_code == 403 and no_nip.json()["detail"][0]["type"] == "missing_nip"
    admin_only = await checkin.client.post("/v1/checkins", json=body(), headers=checkin.tokens.admin(tenant))
    assert admin_only.status_code == 403
    assert await checkin.rows(tenant) == []


async def test_unreachable_database_is_503_with_retry_after(checkin: CheckinService,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = new_tenant()
    await checkin.seed_employees(tenant, [NIP])
    dead = db.make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/gone")
    monkeypatch.setattr(checkin.rt, "sessions", db.make_sessions(dead))
    try:
        single = await checkin.client.post("/v1/checkins", json=body(), headers=checkin.employee(tenant, NIP))
        batch = await checkin.client.post("/v1/checkins/batch", headers=checkin.employee(tenant, NIP),
                                          json={"items": [{**body(), "idempotency_key": "k"}]})
        mine = await checkin.client.get("/v1/checkins/mine", headers=checkin.employee(tenant, NIP))
    finally:
        await dead.dispose()
    for response in (single, batch, mine):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
