"""What of a webhook delivery a reader who is not the tenant's administrator may see.

A webhook row's address is the subscription URL, and integrators put credentials in
URLs: userinfo, query values (``?token=…``), path segments (``/hook/<token>``). The rule,
for everyone but the tenant administrator: the URL keeps only ``scheme://host[:port]/``,
followed by ``***`` when anything came after the host (userinfo dropped; path, query and
fragment masked whole, since which segment is a secret cannot be told reliably), and the
request body (the event as delivered) is withheld. Rows of other channels are unchanged.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MASK = "***"


def mask_url(url: str) -> str:
    """``https://user:pw@host:8443/hook/abc?t=1`` → ``https://host:8443/***``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.scheme or not parts.netloc:
        return MASK
    host = parts.netloc.rpartition("@")[2]
    hidden = parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc
    return f"{parts.scheme}://{host}/" + (MASK if hidden else "")


def visible(channel: str, address: str | None, body: str | None, *, full: bool) -> tuple[str | None, str | None]:
    """(address, body) of a delivery-log row as the reader may see them; ``full`` for the tenant admin."""
    if full or channel != "webhook":
        return address, body
    return (mask_url(address) if address else address), None
