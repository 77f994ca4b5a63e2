"""Webhooks for integrators, signed per Standard Webhooks.

Every attempt is signed afresh with the current UTC time and every secret of the
subscription still valid (two during a rotation); ``webhook-id`` is the
notification id and stays the same across retries, so receivers can deduplicate.
Any answer but 2xx is retried (redirects are not followed); ``410 Gone`` disables
the subscription. Each attempt resolves the host once, refuses internal addresses and
connects to the address it checked (:mod:`services.notify.targets`); at most
``webhook_max_response_bytes`` of the answer are read.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notify import targets
from services.notify.channels.base import Message, Outcome, http_outcome
from services.notify.domain import signing
from services.notify.domain.addresses import UnsafeTarget
from services.notify.sealing import InvalidToken, SecretBox
from services.notify.settings import NotifySettings
from services.notify.store import WebhookSecret, WebhookSubscription

USER_AGENT = "Hadir-Webhooks/1"


async def valid_secrets(session: AsyncSession, subscription_id: str, now: datetime, box: SecretBox) -> list[str]:
    """The subscription's secrets still valid, newest first, decrypted (raises ``InvalidToken``)."""
    rows = await session.scalars(
        select(WebhookSecret.secret)
        .where(WebhookSecret.subscription_id == subscription_id,
               or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > now))
        .order_by(WebhookSecret.id.desc()))
    return [box.open(stored) for stored in rows]


async def read_capped(response: httpx.Response, limit: int) -> str:
    """At most ``limit`` bytes of the answer, as sent (not decompressed); the rest is never read."""
    kept = bytearray()
    async for chunk in response.aiter_raw():
        kept += chunk[:limit - len(kept)]
        if len(kept) >= limit:
            break
    return kept.decode("utf-8", errors="replace")


def client() -> httpx.AsyncClient:
    """The webhooks' own client: no redirects, no proxy from the environment (it would resolve the
    host again), and no kept-alive connections (each is made to one checked address for one host name)."""
    return httpx.AsyncClient(follow_redirects=False, trust_env=False,
                             limits=httpx.Limits(max_keepalive_connections=0))


class WebhookSender:
    def __init__(self, settings: NotifySettings, client: httpx.AsyncClient,
                 sessions: async_sessionmaker[AsyncSession], box: SecretBox,
                 resolve: targets.Resolver = targets.system_resolve) -> None:
        self._s = settings
        self._client = client
        self._sessions = sessions
        self._resolve = resolve
        self._box = box

    async def send(self, message: Message) -> Outcome:
        now = datetime.now(UTC)
        async with self._sessions() as session:
            subscription = await session.get(WebhookSubscription, message.recipient)
            if subscription is None or not subscription.active or subscription.tenant != message.tenant:
                return Outcome.cancelled("subscription removed or disabled")
            try:
                secrets = await valid_secrets(session, subscription.id, now, self._box)
            except InvalidToken:
                return Outcome.retry("a signing secret cannot be decrypted with HADIR_NOTIFY_SECRET_KEYS")
        if not secrets:
            return Outcome.retry("subscription has no valid secret")
        try:
            target = await targets.vet(subscription.url, self._resolve, self._s.webhook_allow_private_targets)
        except UnsafeTarget as exc:
            return Outcome.failed(str(exc))
        except targets.Unresolvable as exc:
            return Outcome.retry(str(exc))
        body = message.body.encode()
        url, headers, extensions = targets.pinned(target)
        headers.update(signing.headers(secrets, message.id, int(time.time()), body))
        headers["user-agent"] = USER_AGENT
        try:
            async with self._client.stream("POST", url, content=body, headers=headers, extensions=extensions,
                                           timeout=self._s.send_timeout_seconds,
                                           follow_redirects=False) as response:
                text = await read_capped(response, self._s.webhook_max_response_bytes)
        except httpx.HTTPError as exc:
            return Outcome.retry(repr(exc))
        if response.status_code == 410:
            await self._disable(subscription.id, "receiver answered 410 Gone")
            return Outcome.cancelled("HTTP 410 Gone: subscription disabled")
        outcome = http_outcome(response.status_code, text, response.headers.get("retry-after"))
        if outcome.result == "failed":  # any other non-2xx is retried until the horizon (Standard Webhooks)
            return Outcome.retry(outcome.error or "", outcome.status_code)
        return outcome

    async def _disable(self, subscription_id: str, reason: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
                .values(active=False, disabled_reason=reason, updated_at=datetime.now(UTC)))
