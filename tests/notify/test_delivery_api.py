"""Who may see and change what through the notify service's API: notifications and webhooks
stay inside their tenant (and an employee sees only their own notifications), admin routes
refuse employees and anonymous callers, and webhook subscriptions are validated.

The service runs as a process on real Kafka and PostgreSQL (:mod:`tests.notify.conftest`).
Each test has its own tenant.
"""

from __future__ import annotations

import pytest

from tests.notify.harness import Bus, NotifyService, nip, overdue, tenant_id
from tests.support.tokens import Tokens

pytestmark = pytest.mark.infra

HOOK = "https://siak.example.go.id/hook"


async def test_notifications_are_seen_only_by_their_recipient_and_inside_their_tenant(
    notify: NotifyService, bus: Bus, tokens: Tokens
) -> None:
    tenant, other = tenant_id("api"), tenant_id("api")
    a, b = nip(50), nip(51)
    await notify.configure(tenant)
    ce_a = await bus.publish(tenant, overdue(a, "bkd", "w1"))
    await bus.publish(tenant, overdue(b, "bkd", "w1"))
    await notify.wait_for(tenant, "two notices", lambda rows: len(rows) == 2)

    employee_token = tokens.employee(tenant, a, "bkd")
    mine = (await notify.http.get("/v1/notifications", headers=employee_token)).json()["items"]
    assert [(r["recipient"], r["source_event_id"]) for r in mine] == [(a, ce_a)]
    others = await notify.http.get("/v1/notifications", headers=employee_token, params={"recipient": b})
    assert others.json() == {"items": [], "next_after": None}
    detail = await notify.http.get(f"/v1/notifications/{mine[0]['id']}", headers=tokens.employee(tenant, b, "bkd"))
    assert detail.status_code == 404
    assert (await notify.http.get("/v1/notifications", headers=tokens.admin(other))).json()["items"] == []


async def test_the_delivery_log_is_read_a_page_at_a_time_by_cursor(
    notify: NotifyService, bus: Bus, tokens: Tokens
) -> None:
    """`limit` rows a page, newest first; `next_after` sent back as `after` gives the next page, every row once,
    and null on the last; a cursor that is not one is a 422 naming `after`."""
    tenant = tenant_id("page")
    await notify.configure(tenant)
    for n in range(5):
        await bus.publish(tenant, overdue(nip(60 + n), "bkd", "w1"))
    everything = await notify.wait_for(tenant, "five notices", lambda rows: len(rows) == 5)
    admin = tokens.admin(tenant)

    seen, params, sizes = [], {"limit": 2}, []
    while True:
        page = (await notify.http.get("/v1/notifications", headers=admin, params=params)).json()
        seen += page["items"]
        sizes.append(len(page["items"]))
        if page["next_after"] is None:
            break
        params = {"limit": 2, "after": page["next_after"]}
    assert sizes == [2, 2, 1]
    assert [r["id"] for r in seen] == [r["id"] for r in everything]  # the same order as one page, none twice
    assert [r["created_at"] for r in seen] == sorted((r["created_at"] for r in seen), reverse=True)
    for bad in ("7", "2026-12-01T00:00:00+00:00~not-an-id", "2026-12-01T00:00:00~" + everything[0]["id"],  # naive
                "0001-01-01T00:00:00+14:00~" + everything[0]["id"]):  # before what UTC can hold
        refused = await notify.http.get("/v1/notifications", headers=admin, params={"after": bad})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "after"], refused.text
    assert (await notify.http.get("/v1/notifications", headers=admin, params={"offset": 2})).json()["items"] == (
        everything), "offset is no parameter any more: it pages nothing"


async def test_webhooks_are_seen_only_inside_their_tenant_and_listed_without_their_secret(
    notify: NotifyService, tokens: Tokens
) -> None:
    tenant, other = tenant_id("api"), tenant_id("api")
    hook = (await notify.subscribe(tenant, HOOK, ["*"]))["id"]

    assert (await notify.http.get(f"/v1/webhooks/{hook}", headers=tokens.admin(tenant))).status_code == 200
    assert (await notify.http.get(f"/v1/webhooks/{hook}", headers=tokens.admin(other))).status_code == 404
    assert (await notify.http.get("/v1/webhooks", headers=tokens.admin(other))).json() == []
    listed = (await notify.http.get("/v1/webhooks", headers=tokens.admin(tenant))).json()
    assert [h["id"] for h in listed] == [hook] and "secret" not in listed[0]


async def test_anonymous_callers_and_employees_acting_as_admins_are_refused(
    notify: NotifyService, tokens: Tokens
) -> None:
    tenant = tenant_id("api")
    a, b = nip(50), nip(51)
    await notify.configure(tenant)
    employee_token = tokens.employee(tenant, a, "bkd")

    assert (await notify.http.get("/v1/notifications")).status_code == 401
    r = await notify.http.post("/v1/webhooks", headers=employee_token, json={"url": HOOK, "event_types": ["*"]})
    assert r.status_code == 403
    assert (await notify.http.put("/v1/settings", headers=employee_token, json={
        "quiet_hours": None, "escalate_daily": 1, "escalate_weekly": 1})).status_code == 403
    # Another person's preferences: the admin may set them, an employee may not.
    r = await notify.http.put(f"/v1/preferences/{b}", headers=tokens.admin(tenant),
                              json={"language": "en", "channels": ["email"]})
    assert r.status_code == 200 and r.json()["language"] == "en"
    assert (await notify.http.put(f"/v1/preferences/{b}", headers=employee_token,
                                  json={"language": "en"})).status_code == 403


async def test_a_webhook_for_an_unknown_event_type_or_a_non_http_url_is_refused(
    notify: NotifyService, tokens: Tokens
) -> None:
    tenant = tenant_id("api")
    for url, event_types, wrong in ((HOOK, ["report.unknown"], "event_types"), ("file:///etc/passwd", ["*"], "url")):
        r = await notify.http.post("/v1/webhooks", headers=tokens.admin(tenant),
                                   json={"url": url, "event_types": event_types})
        assert r.status_code == 422, r.text
        assert [e["loc"][:2] for e in r.json()["detail"]] == [["body", wrong]], r.text
    assert (await notify.http.get("/v1/webhooks", headers=tokens.admin(tenant))).json() == []
