"""Cross-origin reads by Hadir's own pages: the one place a service answers CORS.

A page served by one service reads a few endpoints of another from the browser (the check-in
page reads policy's ``/v1/me/places`` and ``/v1/me/absences``; the dashboard reads only its own
service). :func:`install` names those paths; for them, and only them,
the service answers the preflight (``OPTIONS``) itself and adds the CORS headers to every answer
— refusals (401, 403, 422) too, so the page can tell "not allowed" from "unreachable".

Guarantee: bearer tokens only — no cookies, never ``Access-Control-Allow-Credentials`` — so an
allowed origin can do nothing a holder of the token could not do with curl. Which origins:
``HADIR_WEB_ALLOWED_ORIGINS`` (:class:`~services.runtime.settings.Settings`), comma-separated;
``*`` any; empty (the default) the pages on the service's own host, on any port (``make run`` and
the test suites: every service on one host). Other paths are untouched.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime.settings import Settings

METHODS = "GET, OPTIONS"
MAX_AGE_SECONDS = 600


def origins(setting: str) -> frozenset[str]:
    """The configured origins (without a trailing slash); empty: the service's own host."""
    return frozenset(o.strip().rstrip("/") for o in setting.split(",") if o.strip())


def allowed_origin(origin: str, host: str, allowed: frozenset[str]) -> str | None:
    """What ``Access-Control-Allow-Origin`` says to ``origin`` (a request to ``host``), or None."""
    if not origin:
        return None
    if "*" in allowed:
        return "*"
    if allowed:
        return origin if origin.rstrip("/") in allowed else None
    parts = urlsplit(origin)
    same_host = parts.scheme in ("http", "https") and parts.hostname and parts.hostname == urlsplit(
        f"//{host}").hostname
    return origin if same_host else None


def headers_for(origin: str) -> list[tuple[bytes, bytes]]:
    return [(b"access-control-allow-origin", origin.encode("latin-1")),
            (b"access-control-allow-methods", METHODS.encode()),
            (b"access-control-allow-headers", b"Authorization, Accept-Language"),
            (b"access-control-max-age", str(MAX_AGE_SECONDS).encode()),
            (b"vary", b"Origin")]


class PageCors:
    """ASGI middleware answering CORS for ``paths`` (exact request paths)."""

    def __init__(self, app: ASGIApp, *, paths: Collection[str], allowed: frozenset[str]) -> None:
        self.app, self.paths, self.allowed = app, frozenset(paths), allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        request_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        answer = allowed_origin(request_headers.get("origin", ""), request_headers.get("host", ""), self.allowed)
        extra = headers_for(answer) if answer else []
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": extra})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and extra:
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_cors)


def install(app: FastAPI, settings: Settings, *paths: str) -> None:
    """Answer CORS for Hadir's pages on ``paths`` of ``app`` (call before the app starts)."""
    app.add_middleware(PageCors, paths=paths, allowed=origins(settings.web_allowed_origins))
