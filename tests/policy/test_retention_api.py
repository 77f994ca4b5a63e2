"""The tenant's retention periods over HTTP (GET/PUT /v1/tenant/retention): only its administrator
reads and sets them, each period within its bounds (a 422 names the field and the limit, in both
languages), a change is stored and published with the tenant record, and before the tenant exists
both answer 404."""

from __future__ import annotations

import pytest

from services.contracts.events import DirectoryUpdatedV2
from services.contracts.rules.retention import DEFAULT_PERIODS
from tests.policy.conftest import PolicyService, setup_tenant

pytestmark = pytest.mark.infra

PATH = "/v1/tenant/retention"


def tenant_records(payloads: list[dict]) -> list[dict]:
    return [p["tenant"] for p in payloads if p.get("entity") == "tenant"]


async def test_before_the_tenant_exists_both_answer_404(policy: PolicyService, tenant: str) -> None:
    admin = policy.tokens.admin(tenant)
    assert (await policy.client.get(PATH, headers=admin)).status_code == 404
    put = await policy.client.put(PATH, headers=admin, json={"notices_days": 60})
    assert put.status_code == 404, put.text
    assert await policy.outbox_count(tenant) == 0


async def test_the_periods_in_force_are_read_with_their_defaults(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    r = await policy.client.get(PATH, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == DEFAULT_PERIODS.model_dump()


async def test_a_change_is_stored_and_published_with_the_tenant_record(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant, tz="Asia/Jayapura")
    before = len(tenant_records(await policy.outbox(tenant, DirectoryUpdatedV2.TYPE)))
    body = {"checkin_coordinates_days": 30, "leaver_days": 0, "notices_days": 3650}
    r = await policy.client.put(PATH, headers=admin, json=body)
    assert r.status_code == 200, r.text
    wanted = {**DEFAULT_PERIODS.model_dump(), **body}
    assert r.json() == wanted, "an omitted period takes its default"
    assert (await policy.client.get(PATH, headers=admin)).json() == wanted
    records = tenant_records(await policy.outbox(tenant, DirectoryUpdatedV2.TYPE))
    assert len(records) == before + 1
    assert records[-1]["retention"] == wanted and records[-1]["timezone"] == "Asia/Jayapura"
    assert (await policy.client.get("/v1/tenant", headers=admin)).json()["retention"] == wanted

    count = await policy.outbox_count(tenant)
    again = await policy.client.put(PATH, headers=admin, json=body)
    assert again.status_code == 200 and again.json() == wanted
    assert await policy.outbox_count(tenant) == count, "the periods in force again: nothing published"

    renamed = await policy.client.put("/v1/tenant", headers=admin,
                                      json={"name": "Pemerintah Kabupaten Uji", "kind": "regency",
                                            "timezone": "Asia/Jayapura"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["retention"] == wanted, "changing the tenant keeps its periods"


@pytest.mark.parametrize(("field", "value", "limit_id", "limit_en"), [
    ("checkin_coordinates_days", 6, "paling sedikit 7", "at least 7"),
    ("access_log_days", 364, "paling sedikit 365", "at least 365"),
    ("notices_days", 29, "paling sedikit 30", "at least 30"),
    ("last_fix_days", 0, "paling sedikit 1", "at least 1"),
    ("superseded_places_days", -1, "paling sedikit 0", "at least 0"),
    ("leaver_days", 3651, "paling banyak 3650", "at most 3650"),
])
async def test_a_period_out_of_its_bounds_is_refused_naming_the_field_and_the_limit(
        policy: PolicyService, tenant: str, field: str, value: int, limit_id: str, limit_en: str) -> None:
    admin = await setup_tenant(policy, tenant)
    count = await policy.outbox_count(tenant)
    r = await policy.client.put(PATH, headers=admin, json={field: value})
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", field]
    assert error["msg"].startswith(f"{field}: ") and limit_id in error["msg"]
    english = await policy.client.put(PATH, headers={**admin, "Accept-Language": "en"}, json={field: value})
    [error_en] = english.json()["detail"]
    assert limit_en in error_en["msg"]
    assert (await policy.client.get(PATH, headers=admin)).json() == DEFAULT_PERIODS.model_dump()
    assert await policy.outbox_count(tenant) == count


@pytest.mark.parametrize(("body", "loc", "kind"), [
    ({"notices_days": 60, "tenant": "t-other"}, ["body", "tenant"], "extra_forbidden"),
    ({"notices_days": "60"}, ["body", "notices_days"], "int_type"),
    ({"notices_days": 60.5}, ["body", "notices_days"], "int_type"),
    ({"notices_days": True}, ["body", "notices_days"], "int_type"),
])
async def test_a_body_that_is_not_whole_days_is_refused(policy: PolicyService, tenant: str, body: dict,
                                                        loc: list[str], kind: str) -> None:
    admin = await setup_tenant(policy, tenant)
    r = await policy.client.put(PATH, headers=admin, json=body)
    assert r.status_code == 422, r.text
    assert [(e["loc"], e["type"]) for e in r.json()["detail"]] == [(loc, kind)]


async def test_only_the_tenant_admin_reads_or_sets_them(policy: PolicyService, tenant: str) -> None:
    await setup_tenant(policy, tenant)
    for roles in (["unit_head"], ["employee"], ["integrator"]):
        headers = policy.tokens.headers(tenant=tenant, roles=roles, nip="197501012000011001", unit="bkd")
        assert (await policy.client.get(PATH, headers=headers)).status_code == 403
        assert (await policy.client.put(PATH, headers=headers, json={"notices_days": 60})).status_code == 403


async def test_openapi_describes_each_period_with_its_bounds(policy: PolicyService) -> None:
    spec = (await policy.client.get("/openapi.json")).json()
    get = spec["paths"][PATH]["get"]
    schema = spec["components"]["schemas"][get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
                                           .rsplit("/", 1)[1]]["properties"]
    assert (schema["checkin_coordinates_days"]["minimum"], schema["checkin_coordinates_days"]["maximum"]) == (7, 3650)
    assert "`access_log_days`: rows of the location access log; 365–3650 days, default 730" in get["description"]
    assert "422" in spec["paths"][PATH]["put"]["responses"]
