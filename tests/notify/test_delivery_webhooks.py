"""Webhooks of the notify service: Standard Webhooks signatures across a secret rotation,
the message an integrator receives, retries with exponential backoff, and the dead letter
an admin can retry.

The service runs as a process on real Kafka and PostgreSQL and posts to a real HTTP
receiver (:mod:`tests.notify.conftest`); events go to Kafka exactly as the producing
services send them. Each test has its own tenant and receiver path. Backoff is shortened
by settings (base 0.3 s, cap 1.5 s, horizon 8 s) so retries finish in seconds.
"""

from __future__ import annotations

import itertools
import time

import pytest
from cryptography.fernet import Fernet

from tests.notify.conftest import SECRET_KEY
from tests.notify.harness import Bus, NotifyService, nip, overdue, settle, tenant_id
from tests.notify.receivers import BadSignature, HttpReceiver, Request, verify_standard_webhook
from tests.support.tokens import Tokens

pytestmark = pytest.mark.infra


async def deliver_overdue(notify: NotifyService, bus: Bus, receiver: HttpReceiver, tenant: str, path: str,
                          window: str) -> tuple[str, Request]:
    """Publish an overdue event and wait for its webhook: (its CloudEvent id, the request received)."""
    ce_id = await bus.publish(tenant, overdue(nip(2), "bpkad", window, tz="Asia/Jayapura"))
    rows = await notify.wait_for(tenant, f"webhook for {window} sent",
                                 lambda rows: rows and rows[0]["status"] == "sent",
                                 source_event_id=ce_id, channel="webhook")
    return ce_id, next(q for q in receiver.at(path) if q.headers["webhook-id"] == rows[0]["id"])


async def test_integrator_verifies_every_signature_across_a_rotation(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver, tokens: Tokens
) -> None:
    tenant = tenant_id("sig")
    path = f"/hooks/{tenant}"
    integrator = tokens.headers(tenant=tenant, roles=["integrator"], subject="siak-integrator")
    await notify.configure(tenant)
    created = await notify.subscribe(tenant, receiver.url + path, ["report.*"], headers=integrator)
    subscription, first = created["id"], created["secret"]
    assert first.startswith("whsec_")

    async def rotate(grace_seconds: int) -> str:
        r = await notify.http.post(f"/v1/webhooks/{subscription}/rotate-secret", headers=integrator,
                                   json={"grace_seconds": grace_seconds})
        assert r.status_code == 200, r.text
        return r.json()["secret"]

    _, one = await deliver_overdue(notify, bus, receiver, tenant, path, "w1")
    second = await rotate(3600)
    _, two = await deliver_overdue(notify, bus, receiver, tenant, path, "w2")
    third = await rotate(0)
    _, three = await deliver_overdue(notify, bus, receiver, tenant, path, "w3")

    assert len(receiver.at(path)) == 3
    for request, valid in ((one, [first]), (two, [first, second]), (three, [third])):
        for secret in valid:  # verifies with every secret valid when it was sent
            verify_standard_webhook(secret, request.headers, request.body)
        assert abs(int(request.headers["webhook-timestamp"]) - request.received_at) < 5
    # During the rotation both signatures are present; after it the old secrets no longer sign.
    assert len(two.headers["webhook-signature"].split(" ")) == 2
    for secret in (first, second):
        with pytest.raises(BadSignature):
            verify_standard_webhook(secret, three.headers, three.body)
    # The verifier does reject: a tampered body and a stale timestamp fail.
    with pytest.raises(BadSignature):
        verify_standard_webhook(first, one.headers, one.body + b" ")
    with pytest.raises(BadSignature):
        verify_standard_webhook(first, one.headers, one.body, now=time.time() + 600)


async def test_a_webhook_carries_the_event_as_json_with_its_type_time_and_source_event(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver
) -> None:
    tenant = tenant_id("body")
    path = f"/hooks/{tenant}"
    await notify.configure(tenant)
    await notify.subscribe(tenant, receiver.url + path, ["report.*"])

    ce_id, request = await deliver_overdue(notify, bus, receiver, tenant, path, "w1")
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["type"] == "report.overdue"
    assert body["timestamp"].endswith("Z")
    assert body["data"]["source_event_id"] == ce_id and body["data"]["employee_id"] == nip(2)


async def test_receiver_failing_three_times_gets_one_success(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver
) -> None:
    tenant = tenant_id("flaky")
    path = f"/hooks/{tenant}"
    receiver.script(path, [500, 503, 500])
    await notify.configure(tenant)
    await notify.subscribe(tenant, receiver.url + path, ["report.overdue"])

    ce_id = await bus.publish(tenant, overdue(nip(3), "dinkes", "w1"))
    rows = await notify.wait_for(tenant, "webhook delivered after retries",
                                 lambda rows: rows and rows[0]["status"] == "sent",
                                 source_event_id=ce_id, channel="webhook")
    await settle()
    requests = receiver.at(path)
    assert [q.answered for q in requests] == [500, 503, 500, 200]
    assert {q.headers["webhook-id"] for q in requests} == {rows[0]["id"]}  # one message, retried
    assert len({q.body for q in requests}) == 1

    detail = await notify.detail(tenant, rows[0]["id"])
    assert detail["attempts"] == 4 and detail["status"] == "sent"
    assert [(x["attempt"], x["outcome"], x["status_code"]) for x in detail["attempt_log"]] == [
        (1, "retry", 500), (2, "retry", 503), (3, "retry", 500), (4, "ok", 200)]
    # Exponential backoff: each wait is at least half its ceiling (0.3 s, 0.6 s, 1.2 s; equal jitter).
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(requests)]
    for n, gap in enumerate(gaps, start=1):
        assert gap >= 0.3 * 2 ** (n - 1) / 2 - 0.05, gaps


async def test_dead_after_horizon_visible_and_retryable(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver, tokens: Tokens
) -> None:
    tenant = tenant_id("dead")
    path = f"/hooks/{tenant}"
    receiver.answer_always(path, 500)
    await notify.configure(tenant)
    await notify.subscribe(tenant, receiver.url + path, ["*"])
    ce_id = await bus.publish(tenant, overdue(nip(4), "dinkes", "w1"))

    dead = await notify.wait_for(tenant, "dead letter", lambda rows: bool(rows), status="dead", timeout=30)
    assert dead[0]["source_event_id"] == ce_id and dead[0]["attempts"] >= 3
    assert "HTTP 500" in dead[0]["last_error"]
    [audited] = await bus.wait_sent(tenant, dead[0]["id"], "notification.sent dead")
    assert (audited["channel"], audited["status"]) == ("webhook", "dead")

    receiver.answer_always(path, 204)
    r = await notify.http.post(f"/v1/notifications/{dead[0]['id']}/retry", headers=tokens.admin(tenant))
    assert r.status_code == 200, r.text
    await notify.wait_for(tenant, "sent after a manual retry", lambda rows: any(
        r["id"] == dead[0]["id"] and r["status"] == "sent" for r in rows), source_event_id=ce_id)


async def test_only_the_tenant_admin_reads_a_webhook_url_and_body_in_the_log(
    notify: NotifyService, bus: Bus, receiver: HttpReceiver, tokens: Tokens
) -> None:
    tenant = tenant_id("mask")
    path = f"/hooks/{tenant}/tok_s3cr3t"
    await notify.configure(tenant)
    await notify.subscribe(tenant, f"{receiver.url}{path}?token=abc123", ["report.*"])
    ce_id = await bus.publish(tenant, overdue(nip(5), "bpkad", "w1"))
    query = {"source_event_id": ce_id, "channel": "webhook"}
    [full] = await notify.wait_for(tenant, "the webhook row", bool, **query)
    assert full["address"] == f"{receiver.url}{path}?token=abc123" and '"report.overdue"' in full["body"]

    head = tokens.headers(tenant=tenant, roles=["unit_head"], unit="bpkad", subject="kadis-bpkad")
    integrator = tokens.headers(tenant=tenant, roles=["integrator"], subject="siak")
    for reader in (head, integrator):
        listed = await notify.http.get("/v1/notifications", headers=reader, params=query)
        detail = await notify.http.get(f"/v1/notifications/{full['id']}", headers=reader)
        for r in (listed, detail):
            assert r.status_code == 200, r.text
            assert "tok_s3cr3t" not in r.text and "abc123" not in r.text
        [row] = listed.json()["items"]
        assert (row["id"], row["address"], row["body"]) == (full["id"], f"{receiver.url}/***", None)
        assert (detail.json()["address"], detail.json()["body"]) == (f"{receiver.url}/***", None)


async def test_signing_secrets_are_stored_encrypted_with_the_configured_key(
    notify: NotifyService, tokens: Tokens
) -> None:
    tenant = tenant_id("seal")
    created = await notify.subscribe(tenant, "https://93.184.216.34/hook", ["*"])
    r = await notify.http.post(f"/v1/webhooks/{created['id']}/rotate-secret", headers=tokens.admin(tenant))
    assert r.status_code == 200, r.text
    issued = {created["secret"], r.json()["secret"]}

    rows = await notify.query("SELECT secret FROM webhook_secrets WHERE subscription_id = $1", created["id"])
    stored = [row["secret"] for row in rows]
    assert len(stored) == 2
    for value in stored:  # the raw column: no secret in it, in any form
        assert not value.startswith("whsec_") and all(s not in value and s[6:] not in value for s in issued)
    assert {Fernet(SECRET_KEY).decrypt(value.encode()).decode() for value in stored} == issued
