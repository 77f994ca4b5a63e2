"""Authentication and roles.

Two kinds of credentials, one principal:

- ``Authorization: Bearer <JWT>`` (OIDC-style): ES256 or RS256 only, the algorithm pinned to
  the signing key's own (so ``none``, HS256 signed with a public key, or an RSA header on an
  EC key never verify), the key found by ``kid`` in the JWKS file (``HADIR_JWT_JWKS_FILE``,
  re-read when it changes, so keys rotate without a restart); ``iss``, ``aud``, ``exp`` and
  ``sub`` required and checked (30 s leeway for clock skew); claims ``tenant``, ``roles``,
  ``nip``, ``unit``.
- ``X-API-Key: hadir_<id>_<secret>`` for integrators (:mod:`services.runtime.apikeys`); a scoped
  key reaches only the routes of its scopes (:mod:`services.runtime.scopes`, applied by the one
  principal dependency below, for every route).

The tenant always comes from the credentials, never from a request: the principal
dependency also binds it for PostgreSQL row-level security (:mod:`services.runtime.rls`),
except for the cross-tenant roles (``national_viewer``, ``platform_admin``), whose
endpoints aggregate over every tenant.

Every route needs credentials except :data:`PUBLIC_PATHS`: liveness, readiness and metrics
(probes and Prometheus), and the interface descriptions (OpenAPI, its documentation pages,
AsyncAPI), which hold no tenant data and which integrators read before they have a key.
"""

# No ``from __future__ import annotations``: FastAPI must see the closures' ``Depends`` objects.

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import jwt
import structlog
from fastapi import Depends, HTTPException, Request, status

from services.runtime import apikeys, errors, rls, scopes
from services.runtime.roles import CROSS_TENANT_ROLES, ROLES
from services.runtime.token_cache import TokenCache

log = structlog.get_logger(__name__)

ALGORITHMS = ("ES256", "RS256")
PUBLIC_PATHS = frozenset({
    "/healthz", "/readyz", "/metrics",
    "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/asyncapi.json",
})
API_KEY_HEADER = "x-api-key"
PRINCIPAL_STATE = "hadir_principal"  # where a request's caller, once authenticated, is kept (scope["state"])
LEEWAY_SECONDS = 30
TOKEN_CACHE_SIZE = 20_000  # verified tokens remembered (a few hundred bytes each)


@dataclass(frozen=True)
class Principal:
    subject: str
    tenant: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    employee_id: str | None = None
    unit_id: str | None = None
    scopes: frozenset[str] | None = None  # a scoped API key's (services.runtime.scopes); None: unscoped

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def require_tenant(self) -> str:
        if not self.tenant:
            raise errors.forbidden("token_without_tenant")
        return self.tenant

    def row_scope(self) -> str | None:
        """The tenant its database work is confined to (``rls``); None: every tenant."""
        if self.has(*CROSS_TENANT_ROLES):
            return None
        return self.tenant or rls.NO_TENANT


def unauthorized(kind: str, **ctx: Any) -> HTTPException:
    return errors.error(status.HTTP_401_UNAUTHORIZED, kind, headers={"WWW-Authenticate": "Bearer"}, **ctx)


class Authenticator:
    def __init__(self, jwks_file: Path | None, issuer: str, audience: str,
                 api_keys: apikeys.ApiKeyStore | None = None) -> None:
        self._jwks_file = jwks_file
        self._issuer = issuer
        self._audience = audience
        self._keys: dict[str, jwt.PyJWK] = {}
        self._stamp: tuple[int, int, int] | None = None
        self._verified: TokenCache[Principal] = TokenCache(TOKEN_CACHE_SIZE, LEEWAY_SECONDS)
        self.api_keys = api_keys or apikeys.ApiKeyStore()

    def _load(self) -> dict[str, jwt.PyJWK]:
        """The JWKS's ES256/RS256 keys by ``kid``, re-read when the file changes."""
        try:
            if self._jwks_file is None:
                raise FileNotFoundError("HADIR_JWT_JWKS_FILE is not set")
            stat = self._jwks_file.stat()
        except OSError:
            raise errors.error(status.HTTP_503_SERVICE_UNAVAILABLE, "jwks_missing") from None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(self._jwks_file.read_text())
                keys = jwt.PyJWKSet.from_dict(data).keys
            except (OSError, ValueError, jwt.PyJWKSetError) as exc:
                log.error("JWKS unreadable", file=str(self._jwks_file), reason=repr(exc))
                raise errors.error(status.HTTP_503_SERVICE_UNAVAILABLE, "jwks_unreadable") from None
            self._keys = {k.key_id: k for k in keys if k.key_id and k.algorithm_name in ALGORITHMS}
            self._stamp = stamp
        return self._keys

    def verify(self, token: str) -> Principal:
        keys = self._load()
        known = self._verified.get(token, self._stamp)
        if known is not None:
            return known
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise jwt.InvalidTokenError(f"unknown key id {kid!r}")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                issuer=self._issuer,
                audience=self._audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            principal = _principal(claims)
        except jwt.InvalidTokenError as exc:
            # Why stays in the log: the client is told only that the token does not verify.
            log.info("token refused", reason=str(exc)[:200])
            raise unauthorized("invalid_token") from None
        self._verified.put(token, self._stamp, float(claims["exp"]), principal)
        return principal

    def verify_api_key(self, secret: str) -> Principal:
        try:
            key = self.api_keys.verify(secret)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            log.error("API keys unreadable", reason=repr(exc))
            raise errors.error(status.HTTP_503_SERVICE_UNAVAILABLE, "api_keys_unreadable") from None
        if key is None:
            raise unauthorized("invalid_api_key")
        roles = frozenset(key.roles) & apikeys.KEY_ROLES
        return Principal(subject=f"apikey:{key.id}", tenant=key.tenant, roles=roles,
                         scopes=None if key.scopes is None else frozenset(key.scopes))


def _principal(claims: dict[str, Any]) -> Principal:
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise jwt.InvalidTokenError("claim 'roles' must be a list of strings")
    for name in ("tenant", "nip", "unit"):
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise jwt.InvalidTokenError(f"claim {name!r} must be a string")
    return Principal(
        subject=str(claims["sub"]),
        tenant=claims.get("tenant") or None,
        roles=frozenset(roles) & ROLES,
        employee_id=claims.get("nip"),
        unit_id=claims.get("unit"),
    )


def authenticate(auth: Authenticator, authorization: str, api_key: str) -> Principal:
    """The caller of an ``Authorization`` and an ``X-API-Key`` header (either may be empty);
    401 when they do not name one valid credential."""
    scheme, _, token = authorization.partition(" ")
    if authorization and api_key:
        raise unauthorized("one_credential_only")
    if api_key:
        return auth.verify_api_key(api_key.strip())
    if scheme.lower() == "bearer" and token.strip():
        return auth.verify(token.strip())
    raise unauthorized("credentials_required")


async def request_scope() -> rls.Scope:
    """Runs in the request's task (async), before the principal: the request's row scope."""
    return rls.open_scope()


def principal_dependency(auth: Authenticator) -> Callable[..., Principal]:
    """The caller, from a bearer token or an API key. Plain (not async): the dependency of
    :mod:`services.runtime.deps` awaits nothing around it and runs it in the request's task; it
    fills the scope ``request_scope`` opened (a caller in a worker thread would too)."""

    def current_principal(request: Request,
                          scope: Annotated[rls.Scope | None, Depends(request_scope)] = None) -> Principal:
        known = request.scope.get("state", {}).get(PRINCIPAL_STATE)  # the gate's (services.runtime.gate)
        principal = known if isinstance(known, Principal) else authenticate(
            auth, request.headers.get("authorization", ""), request.headers.get(API_KEY_HEADER, ""))
        # A scoped API key: 403 outside its scopes, else acting as its scope says (one place for every route).
        principal = scopes.admit(principal, request.method, getattr(request.scope.get("route"), "path", None))
        if isinstance(scope, rls.Scope):
            scope.tenant = principal.row_scope()
        else:
            rls.bind(principal.row_scope())
        return principal

    return current_principal


def require_roles(current: Callable[..., Any], *roles: str) -> Callable[..., Any]:
    """Dependency (a coroutine function returning the Principal): the caller must hold one of
    ``roles``. Async, so that it runs in the request's own task and the row scope it binds
    holds for the route's queries."""

    async def check(principal: Annotated[Principal, Depends(current)]) -> Principal:
        if not principal.has(*roles):
            raise errors.forbidden("role_required", roles=", ".join(sorted(roles)))
        rls.bind(principal.row_scope())
        return principal

    return check
