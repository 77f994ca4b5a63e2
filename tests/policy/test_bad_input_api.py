"""Bad input never yields a 500: valid requests with one or two fields replaced by
hostile values (seeded, so a failure replays), against every write endpoint."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.policy.conftest import PolicyService, nip_for, setup_tenant

pytestmark = pytest.mark.infra

NASTY: list[Any] = [
    None, "", " ", "x" * 5000, "DROP TABLE units;--", "\u0000", "💥", -1, 0, 10**30, -(10**30), 1e308, float("nan"),
    float("inf"), True, [], {}, [None], {"a": 1}, "0001-01-01", "9999-12-31", "2026-02-30", "25:61", "-6,12",
    "Asia/Atlantis", "wfx", "critical", "1985031220100110031", "198503122010011003",
]


def mutate(rnd: random.Random, body: dict[str, Any]) -> dict[str, Any]:
    out = json.loads(json.dumps(body))
    for _ in range(rnd.randint(1, 2)):
        target = out
        key = rnd.choice(list(target))
        while isinstance(target[key], dict) and target[key] and rnd.random() < 0.6:
            target = target[key]
            key = rnd.choice(list(target))
        target[key] = rnd.choice(NASTY)
    if rnd.random() < 0.1:
        out[rnd.choice(["extra", "sector", "content"])] = rnd.choice(NASTY)
    return out


async def test_hostile_bodies_get_4xx_with_named_fields(policy: PolicyService, tenant: str) -> None:
    admin = await setup_tenant(policy, tenant)
    nip = nip_for(3)
    today = datetime.now(UTC).date()
    await policy.client.put("/v1/units/bkd", headers=admin, json={"name": "BKD"})
    await policy.client.put(f"/v1/employees/{nip}", headers=admin, json={"name": "Siti", "unit_id": "bkd"})
    r = await policy.client.post("/v1/policies", headers=admin, json={
        "number": "800/1/2026", "title": "SE", "valid_from": str(today)})
    pid = r.json()["policy_id"]
    await policy.client.post("/v1/units/bkd/rosters", headers=admin, json={"start": str(today), "end": str(today)})
    place = {"name": "Rumah", "kind": "home", "latitude": -6.1, "longitude": 106.1, "radius_m": 100,
             "valid_from": str(today)}
    letter = {"number": "800/2/2026", "title": "SE", "valid_from": str(today + timedelta(days=1)),
              "valid_until": None, "signatory": "Sekda", "legal_basis": ["x"],
              "content": {"sector_quotas": {"critical": 100}, "unit_sectors": {"bkd": "essential"},
                          "windows": [{"id": "a", "name": "A", "start": "07:00", "end": "07:30",
                                       "grace_minutes": 5, "kinds": ["attendance"]}],
                          "geofence_radius_m": 100, "working_days": [1, 2], "holidays": [str(today)]}}
    cases = [
        ("PUT", "/v1/tenant", {"name": "P", "kind": "city", "timezone": "Asia/Jakarta"}),
        ("PUT", "/v1/units/upt", {"name": "UPT", "kind": "upt", "parent_id": "bkd", "sector": None, "active": True}),
        ("PUT", f"/v1/employees/{nip}", {"name": "S", "unit_id": "bkd", "email": "s@x.id", "phone": "0812345678",
                                         "places": [place]}),
        ("PUT", f"/v1/employees/{nip}/places/Rumah", {k: v for k, v in place.items() if k != "name"}),
        ("POST", f"/v1/policies/{pid}/versions", letter),
        ("POST", f"/v1/policies/{pid}/extensions", {"valid_until": None, "valid_from": str(today + timedelta(5))}),
        ("POST", "/v1/units/bkd/rosters", {"start": str(today), "end": str(today), "replace_overrides": True}),
        ("PUT", f"/v1/units/bkd/rosters/{today}/{nip}", {"mode": "wfo", "reason": "Piket"}),
    ]
    rnd = random.Random(20260301)
    seen = set()
    for round_ in range(25):
        for method, path, body in cases:
            sent = mutate(rnd, body)
            r = await policy.client.request(method, path, headers={**admin, "content-type": "application/json"},
                                            content=json.dumps(sent, allow_nan=True))
            assert r.status_code < 500, (round_, path, sent, r.text)
            seen.add(r.status_code)
            if r.status_code >= 400:
                assert isinstance(r.json()["detail"], list), (path, sent, r.text)
            if r.status_code == 422:
                for error in r.json()["detail"]:
                    assert error["loc"] and error["msg"] and error["type"], (path, sent, error)
    assert 422 in seen

    for blob in (b"\x00\x01\x02", b"nip,nama,unit\n" + b"\xff" * 100, b'"' * 50, b"nip\n" + b"1," * 5000,
                 b"a;b;c\n1;2;3\n" * 100, rnd.randbytes(4000)):
        for path in ("/v1/imports/employees", "/v1/imports/units"):
            r = await policy.client.post(path, headers={**admin, "content-type": "text/csv"}, content=blob)
            assert r.status_code < 500, (path, blob[:40], r.text)
