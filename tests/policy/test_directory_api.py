"""The directory through the HTTP API on real PostgreSQL (events read from the outbox)."""

from __future__ import annotations

import pytest

from tests.policy.conftest import PolicyService, nip_for, setup_tenant

pytestmark = pytest.mark.infra

UPDATED = "hadir.directory.updated.v2"
NIP = "198503122010011003"


async def test_a_write_that_changes_nothing_publishes_nothing(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    again = await policy.client.put("/v1/tenant", headers=admin,
                                    json={"name": "Pemerintah Provinsi Uji", "kind": "province",
                                          "timezone": "Asia/Jakarta"})
    assert again.status_code == 200
    unit = {"name": "Badan Kepegawaian Daerah", "sector": "non_essential"}
    for _ in range(2):
        assert (await policy.client.put("/v1/units/bkd", headers=admin, json=unit)).status_code == 200
    employee = {"name": "Siti Aminah", "unit_id": "bkd", "position": "Analis SDM"}
    for _ in range(2):
        r = await policy.client.put(f"/v1/employees/{NIP}", headers=admin, json=employee)
        assert r.status_code == 200, r.text
    events = await policy.outbox(tenant, UPDATED)
    assert [e["entity"] for e in events] == ["tenant", "unit", "employee"]

    r = await policy.client.put(f"/v1/employees/{NIP}", headers=admin, json={**employee, "position": "Kepala Bidang"})
    assert r.status_code == 200
    events = await policy.outbox(tenant, UPDATED)
    assert len(events) == 4
    assert events[-1]["employee"]["position"] == "Kepala Bidang"


async def test_sub_units_inherit_the_department_sector_and_follow_its_changes(
    policy: PolicyService, tenant: str
) -> None:
    admin = await setup_tenant(policy, tenant)
    put = policy.client.put
    for unit_id, body in (
        ("dinkes", {"name": "Dinas Kesehatan"}),
        ("uptd-labkes", {"name": "UPTD Labkes", "kind": "upt", "parent_id": "dinkes"}),
        ("labkes-serang", {"name": "Pos Labkes Serang", "kind": "other", "parent_id": "uptd-labkes"}),
        ("rsud", {"name": "RSUD", "kind": "upt", "parent_id": "dinkes", "sector": "essential"}),
    ):
        assert (await put(f"/v1/units/{unit_id}", headers=admin, json=body)).status_code == 200
    before = await policy.outbox_count(tenant)

    r = await put("/v1/units/dinkes", headers=admin, json={"name": "Dinas Kesehatan", "sector": "critical"})
    assert r.status_code == 200
    assert r.json()["effective_sector"] == "critical"
    events = (await policy.outbox(tenant, UPDATED))[before:]
    republished = {e["unit"]["id"]: e["unit"]["effective_sector"] for e in events}
    # the department and both inheriting levels below it; RSUD keeps its own sector and is not re-published
    assert republished == {"dinkes": "critical", "uptd-labkes": "critical", "labkes-serang": "critical"}

    page = (await policy.client.get("/v1/units", headers=admin, params={"limit": 2})).json()
    assert [u["id"] for u in page["items"]] == ["dinkes", "labkes-serang"]
    rest = (await policy.client.get("/v1/units", headers=admin,
                                    params={"limit": 2, "after": page["next_after"]})).json()
    assert [u["id"] for u in rest["items"]] == ["rsud", "uptd-labkes"]
    assert rest["next_after"] is None
    sectors = {u["id"]: (u["sector"], u["effective_sector"]) for u in page["items"] + rest["items"]}
    assert sectors["rsud"] == ("essential", "essential")
    assert sectors["labkes-serang"] == (None, "critical")


async def test_a_unit_tree_cannot_loop_nor_hang_from_nothing(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    put = policy.client.put
    await put("/v1/units/a", headers=admin, json={"name": "A"})
    await put("/v1/units/b", headers=admin, json={"name": "B", "parent_id": "a"})
    r = await put("/v1/units/a", headers=admin, json={"name": "A", "parent_id": "b"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "parent_id"]
    assert r.json()["detail"][0]["msg"].startswith("parent_id: ") and " / " not in r.json()["detail"][0]["msg"]
    r = await put("/v1/units/c", headers=admin, json={"name": "C", "parent_id": "nowhere"})
    assert r.status_code == 422 and "nowhere" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize(("nip", "part"), [
    ("19850312201001100X", "digits"),
    ("1985031220100110", "length"),
    ("198502302010011003", "birth_date"),
    ("198503122001011003", "appointment"),
    ("198503122010013003", "gender"),
    ("198503122010011000", "sequence"),
])
async def test_each_nip_error_names_its_part(policy: PolicyService, tenant: str, nip: str, part: str) -> None:
    admin = await setup_tenant(policy, tenant)
    await policy.client.put("/v1/units/bkd", headers=admin, json={"name": "BKD"})
    r = await policy.client.put(f"/v1/employees/{nip}", headers=admin, json={"name": "X", "unit_id": "bkd"})
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["path", "nip", part]
    assert error["type"] == "nip_error"
    english = await policy.client.put(f"/v1/employees/{nip}", headers={**admin, "Accept-Language": "en"},
                                      json={"name": "X", "unit_id": "bkd"})
    [translated] = english.json()["detail"]
    assert translated["loc"] == error["loc"] and translated["msg"] != error["msg"]
    assert error["msg"].startswith(f"nip.{part}: ") and translated["msg"].startswith(f"nip.{part}: ")


async def test_places_are_effective_dated(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    await policy.client.put("/v1/units/bkd", headers=admin, json={"name": "BKD"})
    home = {"name": "Rumah", "kind": "home", "latitude": -6.12, "longitude": 106.15, "radius_m": 200}
    r = await policy.client.put(f"/v1/employees/{NIP}", headers=admin,
                                json={"name": "Siti", "unit_id": "bkd", "places": [home]})
    assert r.status_code == 200
    moved = {"kind": "home", "latitude": -6.2, "longitude": 106.8, "valid_from": "2026-03-01"}
    r = await policy.client.put(f"/v1/employees/{NIP}/places/Rumah", headers=admin, json=moved)
    assert r.status_code == 200, r.text
    places = r.json()["places"]
    assert [(p["name"], p["radius_m"], p["valid_from"], p["valid_until"]) for p in places] == [
        ("Rumah", 200, None, "2026-02-28"), ("Rumah", None, "2026-03-01", None)]
    assert not any("latitude" in p or "longitude" in p for p in places)
    exact = await policy.client.get(f"/v1/employees/{NIP}/places", headers=admin,
                                    params={"purpose": "Pemeriksaan pindah alamat"})
    assert [(p["latitude"], p["valid_from"], p["valid_until"]) for p in exact.json()["places"]] == [
        (-6.12, None, "2026-02-28"), (-6.2, "2026-03-01", None)]
    count = await policy.outbox_count(tenant)
    again = await policy.client.put(f"/v1/employees/{NIP}/places/Rumah", headers=admin, json=moved)
    assert again.json()["places"] == places
    assert await policy.outbox_count(tenant) == count

    overlapping = [home, {**home, "latitude": -6.3, "valid_from": "2026-01-01"}]
    r = await policy.client.put(f"/v1/employees/{NIP}", headers=admin,
                                json={"name": "Siti", "unit_id": "bkd", "places": overlapping})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "places"]


async def test_lists_page_and_roles_limit_what_is_seen(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    for unit in ("bkd", "dinkes"):
        await policy.client.put(f"/v1/units/{unit}", headers=admin, json={"name": unit.upper()})
    nips = sorted(nip_for(i) for i in range(5))
    for i, nip in enumerate(nips):
        r = await policy.client.put(f"/v1/employees/{nip}", headers=admin,
                                    json={"name": f"P{i}", "unit_id": "bkd" if i < 3 else "dinkes"})
        assert r.status_code == 200, r.text
    seen, after = [], None
    while True:
        params = {"limit": 2, **({"after": after} if after else {})}
        page = (await policy.client.get("/v1/employees", headers=admin, params=params)).json()
        seen += [e["nip"] for e in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == nips

    head = policy.tokens.headers(tenant=tenant, roles=["unit_head"], unit="dinkes")
    mine = (await policy.client.get("/v1/employees", headers=head)).json()["items"]
    assert [e["nip"] for e in mine] == nips[3:]
    assert (await policy.client.get("/v1/employees", headers=head, params={"unit_id": "bkd"})).status_code == 403
    assert (await policy.client.get(f"/v1/employees/{nips[0]}", headers=head)).status_code == 404

    me = policy.tokens.employee(tenant, nips[0], "bkd")
    assert (await policy.client.get(f"/v1/employees/{nips[0]}", headers=me)).status_code == 200
    assert (await policy.client.get(f"/v1/employees/{nips[1]}", headers=me)).status_code == 404
    assert (await policy.client.put("/v1/units/x", headers=me, json={"name": "X"})).status_code == 403
    assert (await policy.client.get("/v1/units")).status_code == 401
    other = policy.tokens.admin(f"{tenant}-other")
    assert (await policy.client.get(f"/v1/employees/{nips[0]}", headers=other)).status_code == 404


@pytest.mark.parametrize(("method", "path", "body"), [
    ("put", "/v1/units/bkd", b"{not json"),
    ("put", "/v1/units/bkd", b'{"name": 5, "sector": "vital", "kind": []}'),
    ("put", "/v1/units/BKD!", b'{"name": "x"}'),
    ("put", "/v1/tenant", b'{"name": "x", "kind": "state", "timezone": "Mars/Olympus"}'),
    ("put", f"/v1/employees/{NIP}", b'{"name": "x", "unit_id": "bkd", "email": "no", "places": [{"latitude": 91}]}'),
    ("put", f"/v1/employees/{NIP}", b'[1, 2]'),
    ("get", "/v1/employees?limit=0&after=" + "x" * 200, b""),
    ("get", "/v1/units?limit=abc", b""),
    ("get", "/v1/units?after=a%00b", b""),  # PostgreSQL refuses NUL in text: a 422, not a 500
])
async def test_bad_input_gets_a_field_error_never_a_500(
    policy: PolicyService, tenant: str, method: str, path: str, body: bytes
) -> None:
    admin = await setup_tenant(policy, tenant)
    r = await policy.client.request(method.upper(), path, headers={**admin, "content-type": "application/json"},
                                    content=body or None)
    assert r.status_code == 422, r.text
    for error in r.json()["detail"]:
        assert error["loc"] and error["msg"] and " / " not in error["msg"], error
