"""Webhook delivery against hostile and slow receivers, in-process on real PostgreSQL with a real
HTTP receiver: the host is resolved once and the request goes to the address that was checked
(DNS rebinding), an answer that never ends is read only up to the cap, and one tenant's slow
endpoint does not hold another tenant's notices.

The resolver is the sender's seam: a fake one answers for names no DNS knows, so a request that
arrives proves it went to the address the check saw and was not resolved a second time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from services.notify.channels import webhook
from services.notify.channels.base import Message
from services.notify.delivery import DeliveryWorker
from services.notify.sealing import SecretBox
from services.notify.settings import NotifySettings
from services.notify.store import Notification
from services.runtime.service import ServiceRuntime
from tests.notify.inprocess import row, subscribe
from tests.notify.receivers import HttpReceiver
from tests.support.waiting import eventually

pytestmark = pytest.mark.infra

T = TypeVar("T")
BOX = SecretBox([Fernet.generate_key()])


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    server = HttpReceiver()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with webhook.client() as hooks:
        yield hooks


def polled(check: Callable[[], T]) -> Callable[[], Awaitable[T]]:
    """A probe for ``eventually`` from a plain check of the receiver's state."""

    async def probe() -> T:
        return check()

    return probe


def message(tenant: str, subscription: str) -> Message:
    return Message(id=str(uuid.uuid4()), tenant=tenant, kind="overdue", channel="webhook", recipient=subscription,
                   address=None, language="id", subject="report.overdue", body='{"type":"report.overdue"}', attempt=1)


async def test_delivery_resolves_once_and_connects_to_the_address_it_checked(
    rt: ServiceRuntime, receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    port = receiver.server.server_address[1]
    asked: list[str] = []

    async def rebinding_dns(host: str, port: int) -> list[str]:
        asked.append(host)  # first answer: the receiver; any later one: the metadata service
        return ["127.0.0.1"] if len(asked) == 1 else ["169.254.169.254"]

    subscription = await subscribe(rt, BOX, "t1", f"http://hooks.rebind.test:{port}/pinned?token=s3cret")
    sender = webhook.WebhookSender(NotifySettings(webhook_allow_private_targets=True), client, rt.sessions,
                                   BOX, resolve=rebinding_dns)
    outcome = await sender.send(message("t1", subscription))

    assert (outcome.result, outcome.status_code) == ("ok", 200), outcome
    assert asked == ["hooks.rebind.test"]  # one resolution; the name is in no DNS but the fake's
    [request] = receiver.at("/pinned?token=s3cret")
    assert request.headers["host"] == f"hooks.rebind.test:{port}"  # sent to the checked address, for the name

    strict = webhook.WebhookSender(NotifySettings(), client, rt.sessions, BOX, resolve=rebinding_dns)
    refused = await strict.send(message("t1", subscription))  # this time the answer is the metadata address
    assert refused.result == "failed" and "169.254.169.254" in (refused.error or "")
    assert len(receiver.at("/pinned?token=s3cret")) == 1


async def test_an_answer_that_never_ends_is_read_only_up_to_the_cap(
    rt: ServiceRuntime, receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    receiver.endless("/endless")
    subscription = await subscribe(rt, BOX, "t2", receiver.url + "/endless")
    sender = webhook.WebhookSender(NotifySettings(webhook_allow_private_targets=True, webhook_max_response_bytes=1000,
                                                  send_timeout_seconds=60), client, rt.sessions, BOX)

    outcome = await asyncio.wait_for(sender.send(message("t2", subscription)), timeout=30)

    assert (outcome.result, outcome.status_code) == ("ok", 200), outcome
    await eventually(polled(lambda: "/endless" in receiver.hung_up), timeout=10,
                     what="the receiver seeing the sender hang up")


async def test_a_slow_tenant_endpoint_does_not_hold_another_tenants_notice(
    rt: ServiceRuntime, receiver: HttpReceiver, client: httpx.AsyncClient
) -> None:
    release = receiver.hold("/slow")
    slow = await subscribe(rt, BOX, "slow", receiver.url + "/slow")
    fast = await subscribe(rt, BOX, "fast", receiver.url + "/fast")
    settings = NotifySettings(webhook_allow_private_targets=True, delivery_concurrency=2,
                              delivery_tenant_concurrency=1, delivery_poll_seconds=0.1, send_timeout_seconds=60)
    worker = DeliveryWorker(rt, settings, {"webhook": webhook.WebhookSender(settings, client, rt.sessions, BOX)})
    async with rt.sessions() as session, session.begin():
        session.add_all([row("slow", recipient=slow) for _ in range(3)])

    async def status(tenant: str) -> list[str]:
        async with rt.sessions() as session:
            return list(await session.scalars(select(Notification.status).where(Notification.tenant == tenant)))

    loop = asyncio.create_task(worker.run())
    try:
        await eventually(polled(lambda: receiver.at("/slow")), timeout=15, what="the slow endpoint called")
        async with rt.sessions() as session, session.begin():
            session.add(row("fast", recipient=fast, next_attempt_at=datetime.now(UTC) - timedelta(seconds=1)))
        worker.wake()

        async def fast_sent() -> bool:
            return await status("fast") == ["sent"]

        await eventually(fast_sent, timeout=15, what="the other tenant's notice sent")
        assert len(receiver.at("/slow")) == 1 and "sent" not in await status("slow")  # still held
        release.set()

        async def slow_sent() -> bool:
            return await status("slow") == ["sent"] * 3

        await eventually(slow_sent, timeout=30, what="the slow tenant's notices sent once released")
    finally:
        release.set()
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
