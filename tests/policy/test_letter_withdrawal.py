"""Amending the version in force while a later version is scheduled, and withdrawing a scheduled version,
through the API on real PostgreSQL: the amendment applies until the scheduled version's first day, which
still takes effect on it; a withdrawn version stays in the history with who, when and why, is never
published, and the versions it closed take their ranges back (one already published is published again),
so what consumers receive (``policy.updated``) chooses the version through the one rule
(``contracts.rules.versions.for_day``) as if the withdrawn version had never been issued. Each test has
its own tenant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.contracts.rules.versions import for_day
from services.policy.letters import publish_due
from tests.policy.conftest import PolicyService, setup_tenant
from tests.policy.test_letters_api import AMENDMENT, UPDATED, ZONE, extend, letter, new_letter, today
from tests.support.versions import V

pytestmark = pytest.mark.infra

REASON = {"reason": "Perpanjangan dibatalkan oleh Sekda"}


async def scheduled_extension(policy: PolicyService, tenant: str) -> tuple[dict[str, str], str]:
    """Version 1 in force (30 days ago to 10 days ahead), 2 scheduled from day 11, open-ended."""
    admin, v1 = await new_letter(policy, tenant)
    v2 = await extend(policy, admin, v1["policy_id"])
    assert (v2["version"], v2["status"], v2["valid_from"]) == (2, "scheduled", str(today() + timedelta(11)))
    return admin, v1["policy_id"]


async def in_force_on(policy: PolicyService, admin: dict[str, str], day: date) -> int:
    r = await policy.client.get("/v1/policies/in-force", headers=admin, params={"date": str(day)})
    assert r.status_code == 200, r.text
    return int(r.json()["version"])


async def history(policy: PolicyService, admin: dict[str, str], pid: str) -> dict[int, dict[str, Any]]:
    r = await policy.client.get(f"/v1/policies/{pid}/versions", headers=admin)
    assert r.status_code == 200, r.text
    return {v["version"]: v for v in r.json()}


def received(events: list[dict[str, Any]]) -> list[V]:
    """The versions a consumer keeps from ``policy.updated`` (the last event of each version wins)."""
    kept = {e["version"]: V(e["version"], date.fromisoformat(e["valid_from"]),
                            date.fromisoformat(e["valid_until"]) if e["valid_until"] else None,
                            datetime.fromisoformat(e["effective_at"])) for e in events}
    return list(kept.values())


async def test_the_version_in_force_is_amended_while_an_extension_is_scheduled(policy: PolicyService,
                                                                               tenant: str) -> None:
    admin, pid = await scheduled_extension(policy, tenant)
    r = await policy.client.post(f"/v1/policies/{pid}/versions", headers=admin, json=letter(
        AMENDMENT, today() - timedelta(2), None, sector_quotas={"non_essential": 50}))
    assert r.status_code == 201, r.text
    v3 = r.json()
    assert (v3["version"], v3["status"], v3["valid_from"]) == (3, "in_force", str(today() - timedelta(2)))
    assert v3["valid_until"] == str(today() + timedelta(10)), "it applies until the scheduled version starts"
    assert v3["declared_valid_until"] is None and v3["superseded_by"] == 2
    versions = await history(policy, admin, pid)
    assert (versions[1]["valid_until"], versions[1]["superseded_by"]) == (str(today() - timedelta(3)), 3)
    assert (versions[2]["status"], versions[2]["valid_from"], versions[2]["valid_until"]) == (
        "scheduled", str(today() + timedelta(11)), None), "the scheduled version keeps its date"
    assert await in_force_on(policy, admin, today() - timedelta(5)) == 1
    assert await in_force_on(policy, admin, today()) == 3
    assert await in_force_on(policy, admin, today() + timedelta(12)) == 2
    published = await policy.outbox(tenant, UPDATED)
    assert [(e["version"], e["valid_until"]) for e in published] == [(1, str(today() + timedelta(10))),
                                                                      (3, str(today() + timedelta(10)))]
    assert published[-1]["content"]["sector_quotas"]["non_essential"] == 50
    assert (await policy.client.get(f"/v1/policies/{pid}", headers=admin)).json()["version"] == 2, \
        "the latest version is the one that comes last"


async def test_a_new_version_still_cannot_start_before_the_version_that_took_effect(policy: PolicyService,
                                                                                    tenant: str) -> None:
    admin, pid = await scheduled_extension(policy, tenant)
    r = await policy.client.post(f"/v1/policies/{pid}/versions", headers=admin,
                                 json=letter(AMENDMENT, today() - timedelta(31), None))
    assert r.status_code == 422, r.text
    assert "versi 1" in r.json()["detail"][0]["msg"]
    assert len(await history(policy, admin, pid)) == 2


async def test_a_scheduled_version_is_withdrawn_audited_and_never_published(policy: PolicyService,
                                                                            tenant: str) -> None:
    admin, pid = await scheduled_extension(policy, tenant)
    r = await policy.client.post(f"/v1/policies/{pid}/versions", headers=admin,
                                 json=letter(AMENDMENT, today() - timedelta(2), None))
    assert r.status_code == 201, r.text
    before = datetime.now(UTC)
    r = await policy.client.post(f"/v1/policies/{pid}/versions/2/withdraw", headers=admin, json=REASON)
    assert r.status_code == 200, r.text
    v2 = r.json()
    assert (v2["status"], v2["withdrawn_by"], v2["withdrawal_reason"]) == ("withdrawn", "admin@" + tenant,
                                                                           REASON["reason"])
    assert datetime.fromisoformat(v2["withdrawn_at"]) >= before.replace(microsecond=0)

    versions = await history(policy, admin, pid)
    assert versions[2]["status"] == "withdrawn", "the history keeps it"
    assert (versions[3]["valid_until"], versions[3]["superseded_by"]) == (None, None), "the amendment runs on"
    assert await in_force_on(policy, admin, today() + timedelta(12)) == 3
    assert await in_force_on(policy, admin, today() + timedelta(400)) == 3

    # its day comes: nothing is published for it (publish_due serves every tenant; look at ours only)
    await publish_due(policy.rt, datetime.now(UTC) + timedelta(days=30))
    published = await policy.outbox(tenant, UPDATED)
    assert 2 not in [e["version"] for e in published]
    assert [(e["version"], e["valid_until"]) for e in published if e["version"] == 3] == [
        (3, str(today() + timedelta(10))), (3, None)], "published again with its range back"
    assert for_day(received(published), today() + timedelta(12)).version == 3  # type: ignore[union-attr]
    assert for_day(received(published), today()).version == 3  # type: ignore[union-attr]


async def test_withdrawing_the_extension_of_the_version_in_force_gives_it_back_its_signed_end(
        policy: PolicyService, tenant: str) -> None:
    admin, pid = await scheduled_extension(policy, tenant)
    count = len(await policy.outbox(tenant, UPDATED))
    r = await policy.client.post(f"/v1/policies/{pid}/versions/2/withdraw", headers=admin, json=REASON)
    assert r.status_code == 200, r.text
    v1 = (await history(policy, admin, pid))[1]
    assert (v1["valid_until"], v1["superseded_by"], v1["status"]) == (str(today() + timedelta(10)), None, "in_force")
    assert len(await policy.outbox(tenant, UPDATED)) == count, "version 1 was published with that end already"
    r = await policy.client.get("/v1/policies/in-force", headers=admin, params={"date": str(today() + timedelta(12))})
    assert r.status_code == 404, "no version covers the days after the signed end"
    again = await extend(policy, admin, pid)
    assert (again["version"], again["valid_from"]) == (3, str(today() + timedelta(11))), \
        "a new extension follows the live versions and takes the next number"


async def test_only_a_scheduled_version_can_be_withdrawn(policy: PolicyService, tenant: str) -> None:
    admin, pid = await scheduled_extension(policy, tenant)
    path = f"/v1/policies/{pid}/versions/{{}}/withdraw"
    r = await policy.client.post(path.format(1), headers=admin, json=REASON)
    assert r.status_code == 409, r.text
    assert "in_force" in r.json()["detail"][0]["msg"]
    english = await policy.client.post(path.format(1), headers={**admin, "Accept-Language": "en"}, json=REASON)
    assert "cannot be withdrawn" in english.json()["detail"][0]["msg"]
    assert (await policy.client.post(path.format(2), headers=admin, json=REASON)).status_code == 200
    assert (await policy.client.post(path.format(2), headers=admin, json=REASON)).status_code == 409, "once"
    assert (await policy.client.post(path.format(9), headers=admin, json=REASON)).status_code == 404
    for body in ({}, {"reason": "   "}, {"reason": "x" * 501}, {**REASON, "by": "someone"}):
        assert (await policy.client.post(path.format(2), headers=admin, json=body)).status_code == 422, body


async def test_only_the_tenants_admin_withdraws(policy: PolicyService, tenant: str) -> None:
    admin, pid = await scheduled_extension(policy, tenant)
    path = f"/v1/policies/{pid}/versions/2/withdraw"
    head = policy.tokens.headers(tenant=tenant, roles=["unit_head"], unit="bkd")
    assert (await policy.client.post(path, headers=head, json=REASON)).status_code == 403
    other = await setup_tenant(policy, f"{tenant}-x", ZONE)
    assert (await policy.client.post(path, headers=other, json=REASON)).status_code == 404
    assert (await history(policy, admin, pid))[2]["status"] == "scheduled"
