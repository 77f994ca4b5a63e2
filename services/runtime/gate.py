"""Credentials checked, and callers held to their rate, before a route reads a request's body.

FastAPI reads and parses a body before it solves a route's dependencies (the principal among
them): without this gate an anonymous client could make a service read, parse and answer (422)
a body of any size. The gate sits in front of every route:

- a request that carries credentials (``Authorization`` or ``X-API-Key``) is authenticated
  here, with the application's own authenticator and its cache of verified tokens; the caller
  is handed to the route's principal dependency (``scope["state"]``), which does not verify it
  again;
- a request that may carry a body (any method but GET, HEAD and OPTIONS) without valid
  credentials is answered 401 unread. A GET goes on to its route, which answers it as before
  (401 with the headers the route adds, such as CORS; a static file of a web page; 404);
- the public paths (:data:`services.runtime.auth.PUBLIC_PATHS`) and CORS preflights pass.

Guarantee: a refused request's body is never read. Authenticated callers are limited per
principal (tenant and subject: a token's ``sub``, an API key's id); refusals of credentials
are limited per client address, so a flood of bad tokens is answered 429 with
``Retry-After``. The work for a request with a known token is one cache lookup and one
bucket update.
"""

from __future__ import annotations

from fastapi import HTTPException, status
from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from services.runtime import auth, errors
from services.runtime.rate_limit import RateLimiter

UNREAD_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})  # methods whose routes read no body


class Gatekeeper:
    """What the gate needs: the authenticator, one limiter per principal and one per address."""

    def __init__(self, authenticator: auth.Authenticator, principals: RateLimiter, addresses: RateLimiter) -> None:
        self.authenticator = authenticator
        self.principals = principals
        self.addresses = addresses


def rate_limited(seconds: int) -> HTTPException:
    return errors.error(status.HTTP_429_TOO_MANY_REQUESTS, "rate_limited", headers={"Retry-After": str(seconds)},
                        seconds=seconds)


class Gate:
    """ASGI middleware of :class:`Gatekeeper`; ``refused`` counts the refusals it decides
    (``hadir_http_refused_total`` by reason, never by tenant)."""

    def __init__(self, app: ASGIApp, keeper: Gatekeeper, refused: Counter) -> None:
        self.app = app
        self.keeper = keeper
        self.refused = {reason: refused.labels(reason)
                        for reason in ("unauthenticated", "rate_limited_principal", "rate_limited_address")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in auth.PUBLIC_PATHS or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        authorization = api_key = b""
        for name, value in scope["headers"]:
            if name == b"authorization" and not authorization:  # the first, as the route reads headers
                authorization = value
            elif name == b"x-api-key" and not api_key:
                api_key = value
        if not authorization and not api_key and scope["method"] in UNREAD_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            principal = auth.authenticate(self.keeper.authenticator, authorization.decode("latin-1"),
                                          api_key.decode("latin-1"))
        except HTTPException as exc:
            if not await self._refused(exc, scope, receive, send):
                await self.app(scope, receive, send)  # a GET: its route refuses it, with its own headers (CORS)
            return
        wait = self.keeper.principals.take(f"{principal.tenant}\x00{principal.subject}")
        if wait:
            self.refused["rate_limited_principal"].inc()
            await errors.answer(rate_limited(wait), scope, receive, send)
            return
        scope.setdefault("state", {})[auth.PRINCIPAL_STATE] = principal
        await self.app(scope, receive, send)

    async def _refused(self, exc: HTTPException, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answers 429 once the client's address has spent its allowance of refused credentials,
        else ``exc`` (401, or the authenticator's 503) — unless the request reads no body (GET):
        then False, and its route answers the same refusal."""
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            client = scope.get("client")
            wait = self.keeper.addresses.take(client[0] if client else "")
            if wait:
                self.refused["rate_limited_address"].inc()
                await errors.answer(rate_limited(wait), scope, receive, send)
                return True
            self.refused["unauthenticated"].inc()
        if scope["method"] in UNREAD_METHODS:
            return False
        await errors.answer(exc, scope, receive, send)
        return True
