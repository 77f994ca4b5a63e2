"""Which webhook targets the service must not call, by their address alone (SSRF; no I/O).

An address is *internal* unless it is globally routable unicast: loopback, private
(RFC 1918, fc00::/7), link-local (169.254/16 with the cloud metadata address, fe80::/10),
unspecified (0.0.0.0, ::), shared (100.64/10), multicast, reserved and documentation
ranges are internal, and so is an IPv6 address that carries one of those inside it
(IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible, 6to4, Teredo, NAT64 ``64:ff9b::/96``).

A host written as a number in any form a C resolver accepts (``2130706433``,
``0x7f.1``, ``0177.0.0.1``, ``127.1``) is read as the address it denotes, so such a
spelling cannot slip past a check that only knows dotted quads.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

_NUMERIC_V4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    """A URL the service must not call; the message is "Indonesian / English"."""


def check_url(url: str) -> None:
    """Syntax only: http(s), a host, no credentials in the URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("URL harus http(s) dengan host / URL must be http(s) with a host")
    if parts.username or parts.password:
        raise UnsafeTarget("URL tanpa kredensial / no credentials in the URL")
    try:
        parts.port  # noqa: B018 — raises on a port out of range or not a number
    except ValueError as exc:
        raise UnsafeTarget("port URL tidak valid / invalid port in the URL") from exc


def literal(host: str) -> IP | None:
    """The address a host names when it is written as one (any numeric form), else None."""
    name = host.strip("[]").lower().removesuffix(".")
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    if _NUMERIC_V4.match(name):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(name))  # pure parsing: 127.1, 0x7f.1, 2130706433
        except OSError:
            return None
    return None


def _embedded(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or int(ip) >> 32 == 0:  # NAT64, or IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def internal(ip: IP) -> bool:
    """True when ``ip`` is not a globally routable unicast address (or wraps one that is not)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded(ip)
        if inner is not None and internal(inner):
            return True
    return (not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
            or ip.is_unspecified or ip.is_private)


def refuse(host: str, address: str) -> UnsafeTarget:
    """The error for a target whose host is or resolves to an internal address."""
    shown = host if host == address else f"{host} → {address}"
    return UnsafeTarget(f"alamat internal tidak diizinkan ({shown}) / internal address not allowed ({shown})")


def check_address(host: str, address: str) -> None:
    """Raise :class:`UnsafeTarget` when ``address`` (one that ``host`` resolved to) is internal."""
    ip = literal(address)
    if ip is None or internal(ip):
        raise refuse(host, address)
