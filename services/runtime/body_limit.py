"""The largest request body a service reads: a default, and larger ones for the few routes
that need them (a CSV import, a batch of check-ins collected offline).

Guarantee: a body above its route's limit is answered 413 and never held in memory — refused
before anything is read when its ``Content-Length`` says so, and as soon as the bytes read so
far pass the limit when it is sent without one (chunked). The body is not copied: the
application reads it from the server as before, the middleware only counts.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime import errors


class BodyLimits:
    """A default limit, and larger ones by path prefix (what a service allows its own routes)."""

    def __init__(self, default: int) -> None:
        self.default = default
        self._routes: list[tuple[str, int]] = []

    def allow(self, prefix: str, max_bytes: int) -> None:
        """Bodies of up to ``max_bytes`` on paths starting with ``prefix``."""
        self._routes.append((prefix, max_bytes))

    def of(self, path: str) -> int:
        return max((n for prefix, n in self._routes if path.startswith(prefix)), default=self.default)


def too_large(limit: int) -> HTTPException:
    shown = f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit / 1024:g} KB"
    return errors.error(status.HTTP_413_CONTENT_TOO_LARGE, "body_too_large", loc=["body"], limit=shown)


class BodyLimit:
    """ASGI middleware enforcing :class:`BodyLimits`; ``refused`` counts the 413s
    (``hadir_http_refused_total{reason="body_too_large"}``)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits, refused: Counter) -> None:
        self.app = app
        self.limits = limits
        self.refused = refused.labels("body_too_large")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit():
            size = int(declared)
            # The server delivers exactly Content-Length bytes: only the declared size needs checking.
            if size > self.limits.default and size > self.limits.of(scope["path"]):
                self.refused.inc()
                await errors.answer(too_large(self.limits.of(scope["path"])), scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        await self.app(scope, self._counting(receive, self.limits.of(scope["path"])), send)

    def _counting(self, receive: Receive, limit: int) -> Receive:
        """``receive`` that raises 413 (handled by the application's error handlers, in the
        project's error shape) once the body read passes ``limit``."""
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    self.refused.inc()
                    raise too_large(limit)
            return message

        return counted

