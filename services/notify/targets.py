"""Resolving a webhook target once and checking every address it resolves to (SSRF).

:func:`vet` resolves the URL's host a single time, through a resolver that tests can
replace, and refuses the target when any of its addresses is internal
(:mod:`services.notify.domain.addresses`) unless private targets are allowed (tests,
on-premise integrators). It answers the checked addresses; the webhook channel then
connects to exactly the first of them (:func:`pinned`), so a DNS answer that changes
between the check and the connection (rebinding) cannot redirect the request. The
``Host`` header and TLS (SNI and certificate verification) still use the URL's host name.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from services.notify.domain.addresses import check_address, check_url, literal

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port)`` → the addresses to connect to, in order; raises ``OSError`` when unknown."""


RESOLVE_TIMEOUT_SECONDS = 5.0


class Unresolvable(ConnectionError):
    """The host has no address now (worth retrying; not a reason to refuse a registration)."""


async def system_resolve(host: str, port: int) -> list[str]:
    async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):  # TimeoutError is an OSError: "unknown for now"
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    url: str
    host: str
    address: str
    """The checked address the request goes to."""


async def vet(url: str, resolve: Resolver, allow_private: bool) -> Target:
    """Check ``url`` and resolve its host once; raise ``UnsafeTarget`` or :class:`Unresolvable`."""
    check_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip = literal(host)
    if ip is not None:
        addresses = [str(ip)]
    else:
        try:
            addresses = await resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
        except OSError as exc:
            raise Unresolvable(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise Unresolvable(f"cannot resolve {host}: no address")
    if not allow_private:
        for address in addresses:
            check_address(host, address)
    return Target(url, host, addresses[0])


def pinned(target: Target) -> tuple[httpx.URL, dict[str, str], dict[str, Any]]:
    """(URL with the checked address as its host, the ``Host`` header, request extensions for TLS SNI)."""
    url = httpx.URL(target.url)
    extensions: dict[str, Any] = {}
    if url.scheme == "https" and literal(target.host) is None:
        extensions["sni_hostname"] = url.raw_host.decode("ascii")  # SNI and certificate check by name
    return url.copy_with(host=target.address), {"host": url.netloc.decode("ascii")}, extensions
