"""A small directory for the privacy tests: a unit with its head and a staff member whose places
have coordinates with unusual digits (so a leak is found by searching the response's text), and a
second unit with another employee."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from services.policy.store import LocationRead
from tests.policy.conftest import PolicyService, nip_for, setup_tenant

HOME = (-6.123457, 106.154321)
OFFICE = (-6.118765, 106.161234)
NEW_HOME = (-6.234567, 106.876543)
OTHER_HOME = (-5.987654, 106.345678)
COORDINATE_TEXTS = tuple(f"{abs(v)}" for point in (HOME, OFFICE, NEW_HOME, OTHER_HOME) for v in point)
PURPOSE = "Verifikasi alamat rumah untuk SK WFH"


@dataclass
class People:
    tenant: str
    admin: dict[str, str]
    head_nip: str
    staff_nip: str
    other_nip: str
    head: dict[str, str]  # unit_head of "bkd"
    staff: dict[str, str]  # employee of "bkd" (has places)
    other: dict[str, str]  # employee of "dinkes" (has a place)


async def seed_people(policy: PolicyService, tenant: str) -> People:
    admin = await setup_tenant(policy, tenant)
    put = policy.client.put
    for unit_id, name in (("bkd", "Badan Kepegawaian Daerah"), ("dinkes", "Dinas Kesehatan")):
        assert (await put(f"/v1/units/{unit_id}", headers=admin, json={"name": name})).status_code == 200
    head_nip, staff_nip, other_nip = nip_for(1), nip_for(2), nip_for(3)
    bodies: dict[str, dict[str, Any]] = {
        head_nip: {"name": "Kepala BKD", "unit_id": "bkd", "is_unit_head": True, "email": "kepala@bkd.go.id"},
        staff_nip: {"name": "Siti Aminah", "unit_id": "bkd", "position": "Analis SDM", "email": "siti@bkd.go.id",
                    "phone": "081234567890",
                    "places": [{"name": "Rumah", "kind": "home", "latitude": HOME[0], "longitude": HOME[1],
                                "radius_m": 150},
                               {"name": "Kantor", "kind": "office", "latitude": OFFICE[0], "longitude": OFFICE[1]}]},
        other_nip: {"name": "Budi Santoso", "unit_id": "dinkes", "email": "budi@dinkes.go.id",
                    "places": [{"name": "Rumah", "kind": "home", "latitude": OTHER_HOME[0],
                                "longitude": OTHER_HOME[1]}]},
    }
    for nip, body in bodies.items():
        r = await put(f"/v1/employees/{nip}", headers=admin, json=body)
        assert r.status_code == 200, r.text
    moved = {"kind": "home", "latitude": NEW_HOME[0], "longitude": NEW_HOME[1], "valid_from": "2026-03-01"}
    r = await put(f"/v1/employees/{staff_nip}/places/Rumah", headers=admin, json=moved)
    assert r.status_code == 200, r.text
    tokens = policy.tokens
    return People(
        tenant=tenant, admin=admin, head_nip=head_nip, staff_nip=staff_nip, other_nip=other_nip,
        head=tokens.headers(tenant=tenant, roles=["unit_head"], nip=head_nip, unit="bkd", subject="kepala@bkd"),
        staff=tokens.employee(tenant, staff_nip, "bkd"),
        other=tokens.employee(tenant, other_nip, "dinkes"),
    )


def coordinates_in(response: httpx.Response) -> list[str]:
    """Coordinate keys or numbers of the seeded places found in a response's body."""
    body = response.text
    return [k for k in ("latitude", "longitude") if k in body] + [c for c in COORDINATE_TEXTS if c in body]


async def log_rows(policy: PolicyService, tenant: str) -> list[LocationRead]:
    """The tenant's access-log rows, oldest first."""
    async with policy.rt.sessions() as session:
        rows = await session.scalars(select(LocationRead).where(LocationRead.tenant == tenant)
                                     .order_by(LocationRead.at, LocationRead.read_id))
        return list(rows)
