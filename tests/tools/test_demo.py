"""The demo tenant's data is valid for the policy API, and loading it twice changes nothing."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from services.contracts.policy import PolicyContent, Window
from services.policy.domain.nip import parse_nip
from services.policy.letter_schemas import PolicyIn
from services.policy.schemas import EmployeeIn, TenantIn, UnitIn
from tools import demo
from tools.seed import Seeder, SeedError

SERANG = (-6.12, 106.15)
JAKARTA = ZoneInfo("Asia/Jakarta")


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    dlat, dlon = math.radians(a[0] - b[0]), math.radians(a[1] - b[1]) * math.cos(math.radians(a[0]))
    return 6371 * math.hypot(dlat, dlon)


def test_employees_have_valid_unique_nips_and_validate_as_api_bodies() -> None:
    assert 24 <= len(demo.EMPLOYEES) <= 60
    assert len({e.nip for e in demo.EMPLOYEES}) == len(demo.EMPLOYEES)
    units = {u.id: u for u in demo.UNITS}
    for person in demo.EMPLOYEES:
        nip = parse_nip(person.nip)  # birth date, appointment after the 18th birthday, gender, sequence
        assert nip.gender == ("male" if person.gender == 1 else "female")
        EmployeeIn.model_validate(person.body(units[person.unit_id].office))
        assert km(person.home, SERANG) < 6, person


def test_units_follow_the_circular_letters_sectors() -> None:
    TenantIn.model_validate(demo.TENANT)
    seen: set[str] = set()
    for unit in demo.UNITS:
        UnitIn.model_validate(unit.body())
        assert unit.parent_id is None or unit.parent_id in seen, "parents are loaded first"
        seen.add(unit.id)
    by_sector = {s: {u.id for u in demo.UNITS if u.sector == s} for s in ("critical", "essential")}
    assert by_sector["critical"] == {"dinkes", "rsud-banten", "satpolpp", "dishub", "bpbd"}
    assert by_sector["essential"] == {"bpkad", "diskominfo", "bapenda", "dindikbud", "dpmptsp"}
    assert "bkd" in {u.id for u in demo.UNITS if u.sector == "non_essential"}
    assert {u.kind for u in demo.UNITS if u.parent_id} >= {"upt", "balai"}


def test_the_staff_mix_has_teachers_front_line_and_heads() -> None:
    flags = "".join(e.flags for e in demo.EMPLOYEES)
    assert flags.count("T") >= 2 and flags.count("F") >= 5
    assert {e.unit_id for e in demo.EMPLOYEES if "H" in e.flags} == {u.id for u in demo.UNITS if u.parent_id is None}
    sample = demo.sample_employee()
    assert not sample.flags and sample.unit_id == "bkd"
    assert "H" in demo.sample_head().flags


def test_the_letter_carries_the_default_content_and_an_open_end() -> None:
    body = demo.policy_body(datetime(2026, 11, 23).date())
    letter = PolicyIn.model_validate(body)
    assert letter.number == "800/258-BKD/2022" and letter.valid_until is None
    assert letter.content.model_dump() == PolicyContent().model_dump()  # the API's bounded LetterContent


def test_practice_window_is_open_now_and_stays_within_the_day() -> None:
    noon = datetime(2026, 11, 22, 12, 0, tzinfo=JAKARTA)
    window = Window.model_validate(demo.practice_window(noon, 30))
    assert (window.start, window.end) == (time(11, 55), time(12, 30))
    late = Window.model_validate(demo.practice_window(datetime(2026, 11, 22, 23, 50, tzinfo=JAKARTA), 30))
    assert late.end == time(23, 59, 59)
    early = Window.model_validate(demo.practice_window(datetime(2026, 11, 22, 0, 2, tzinfo=JAKARTA), 30))
    assert early.start == time(0, 0)


# ---------------------------------------------------------------- a fake policy API


class FakePolicyApi:
    """Just enough of the policy service's directory and letter routes, keeping count of writes."""

    def __init__(self) -> None:
        self.tenant: dict[str, Any] | None = None
        self.units: dict[str, dict[str, Any]] = {}
        self.employees: dict[str, dict[str, Any]] = {}
        self.versions: list[dict[str, Any]] = []
        self.writes: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        body: dict[str, Any] = json.loads(request.content) if request.content else {}
        if method != "GET":
            self.writes.append(f"{method} {path}")
        if path == "/v1/tenant":
            if method == "PUT":
                self.tenant = {"id": "banten", **body}
            return httpx.Response(200, json=self.tenant) if self.tenant else httpx.Response(404)
        if path == "/v1/units":
            items = sorted(self.units.values(), key=lambda u: u["id"])
            return httpx.Response(200, json={"items": items, "next_after": None})
        if path.startswith("/v1/units/"):
            unit_id = path.rsplit("/", 1)[1]
            self.units[unit_id] = {"id": unit_id, **body, "effective_sector": body["sector"] or "non_essential"}
            return httpx.Response(200, json=self.units[unit_id])
        if path.startswith("/v1/employees/"):
            nip = path.rsplit("/", 1)[1]
            if method == "PUT":
                self.employees[nip] = {"nip": nip, **body}
            return httpx.Response(200, json=self.employees[nip]) if nip in self.employees else httpx.Response(404)
        if path == "/v1/policies" and method == "POST":
            self.versions.append({**body, "version": 1})
            return httpx.Response(201, json=self.versions[-1])
        if path == f"/v1/policies/{demo.POLICY_ID}/versions":
            if method == "POST":
                self.versions.append({**body, "version": len(self.versions) + 1})
                return httpx.Response(201, json=self.versions[-1])
            return httpx.Response(200, json=self.versions) if self.versions else httpx.Response(404)
        return httpx.Response(404)


@asynccontextmanager
async def admin_of(api: FakePolicyApi) -> AsyncIterator[Seeder]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as http:
        yield Seeder(http, "http://policy", {"Authorization": "Bearer x"})


async def test_loading_twice_writes_once() -> None:
    api = FakePolicyApi()
    async with admin_of(api) as admin:
        first = await demo.load(admin)
        writes = len(api.writes)
        second = await demo.load(admin)
    assert writes == 1 + len(demo.UNITS) + len(demo.EMPLOYEES) + 1
    assert len(api.writes) == writes, f"second load wrote {api.writes[writes:]}"
    assert first.policy_created and not second.policy_created and second.policy_version == 1
    assert second.changes["employee:unchanged"] == len(demo.EMPLOYEES)
    assert "0 new, 0 updated" in second.summary()


async def test_a_changed_employee_is_updated_and_nothing_else_is_written() -> None:
    api = FakePolicyApi()
    async with admin_of(api) as admin:
        await demo.load(admin)
        nip = demo.sample_employee().nip
        api.employees[nip]["position"] = "Something else"
        writes = len(api.writes)
        report = await demo.load(admin)
    assert api.writes[writes:] == [f"PUT /v1/employees/{nip}"]
    assert report.changes["employee:updated"] == 1


async def test_practice_window_amends_the_letter_from_today() -> None:
    api = FakePolicyApi()
    now = datetime(2026, 11, 22, 19, 40, tzinfo=JAKARTA)  # a Sunday evening
    async with admin_of(api) as admin:
        await demo.load(admin, today=datetime(2026, 11, 20).date())
        version = await demo.add_practice_window(admin, 30, now=now)
    assert version["version"] == 2 and version["valid_from"] == "2026-11-22" and version["valid_until"] is None
    content = PolicyContent.model_validate(version["content"])
    assert content.is_letter_working_day(now.date())
    practice = content.window(demo.PRACTICE_WINDOW_ID)
    assert practice is not None and practice.start <= now.time() <= practice.end
    assert len(content.windows) == len(PolicyContent().windows) + 1


async def test_a_refused_write_names_the_request_and_the_answer() -> None:
    def refuse_units(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT" and request.url.path.startswith("/v1/units/"):
            return httpx.Response(422, json={"detail": "sektor tidak dikenal"})
        return api(request)

    api = FakePolicyApi()
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse_units)) as http:
        admin = Seeder(http, "http://policy", {})
        with pytest.raises(SeedError, match=r"PUT http://policy/v1/units/dinkes → 422: .*sektor tidak dikenal"):
            await demo.load(admin)
