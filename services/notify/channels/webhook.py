"""Webhooks for integrators, signed per Standard Webhooks.

Every attempt is signed afresh with the current UTC time and every secret of the
subscription still valid (two during a rotation); ``webhook-id`` is the
notification id and stays the same across retries, so receivers can deduplicate.
Any answer but 2xx is retried (redirects are not followed); ``410 Gone`` disables
the subscription.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notify.channels.base import Message, Outcome, http_outcome
from services.notify.domain import signing
from services.notify.settings import NotifySettings
from services.notify.store import WebhookSecret, WebhookSubscription

USER_AGENT = "Hadir-Webhooks/1"


class UnsafeTarget(ValueError):
    """A URL the service must not call (scheme, or an internal address)."""


def check_url(url: str) -> None:
    """Syntax only: http(s), a host, no credentials."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("URL harus http(s) dengan host / URL must be http(s) with a host")
    if parts.username or parts.password:
        raise UnsafeTarget("URL tanpa kredensial / no credentials in the URL")


def _internal(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


async def check_target(url: str, allow_private: bool) -> None:
    """Refuse targets that resolve to loopback, private, link-local or reserved addresses (SSRF)."""
    check_url(url)
    if allow_private:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConnectionError(f"cannot resolve {host}: {exc}") from exc
    if any(_internal(str(info[4][0])) for info in infos):
        raise UnsafeTarget(f"{host} resolves to an internal address")


async def valid_secrets(session: AsyncSession, subscription_id: str, now: datetime) -> list[str]:
    rows = await session.scalars(
        select(WebhookSecret.secret)
        .where(WebhookSecret.subscription_id == subscription_id,
               or_(WebhookSecret.expires_at.is_(None), WebhookSecret.expires_at > now))
        .order_by(WebhookSecret.id.desc()))
    return list(rows)


class WebhookSender:
    def __init__(self, settings: NotifySettings, client: httpx.AsyncClient,
                 sessions: async_sessionmaker[AsyncSession]) -> None:
        self._s = settings
        self._client = client
        self._sessions = sessions

    async def send(self, message: Message) -> Outcome:
        now = datetime.now(UTC)
        async with self._sessions() as session:
            subscription = await session.get(WebhookSubscription, message.recipient)
            if subscription is None or not subscription.active or subscription.tenant != message.tenant:
                return Outcome.cancelled("subscription removed or disabled")
            secrets = await valid_secrets(session, subscription.id, now)
        if not secrets:
            return Outcome.retry("subscription has no valid secret")
        url = subscription.url
        try:
            await check_target(url, self._s.webhook_allow_private_targets)
        except UnsafeTarget as exc:
            return Outcome.failed(str(exc))
        except ConnectionError as exc:
            return Outcome.retry(str(exc))
        body = message.body.encode()
        headers = signing.headers(secrets, message.id, int(time.time()), body)
        headers["user-agent"] = USER_AGENT
        try:
            response = await self._client.post(url, content=body, headers=headers,
                                               timeout=self._s.send_timeout_seconds, follow_redirects=False)
        except httpx.HTTPError as exc:
            return Outcome.retry(repr(exc))
        if response.status_code == 410:
            await self._disable(subscription.id, "receiver answered 410 Gone")
            return Outcome.cancelled("HTTP 410 Gone: subscription disabled")
        outcome = http_outcome(response.status_code, response.text, response.headers.get("retry-after"))
        if outcome.result == "failed":  # any other non-2xx is retried until the horizon (Standard Webhooks)
            return Outcome.retry(outcome.error or "", outcome.status_code)
        return outcome

    async def _disable(self, subscription_id: str, reason: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
                .values(active=False, disabled_reason=reason, updated_at=datetime.now(UTC)))
