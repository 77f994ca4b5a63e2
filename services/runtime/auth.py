"""Authentication and roles.

Two kinds of credentials, one principal:

- ``Authorization: Bearer <JWT>``: verified by the key set of its issuer — the JWKS file
  (``HADIR_JWT_JWKS_FILE`` with ``HADIR_JWT_ISSUER``; the development keys of ``make run`` and
  the tests), and/or an OpenID Connect provider (``HADIR_OIDC_ISSUER``: discovery, a remote JWKS
  cached and refetched on rotation, see :mod:`services.runtime.oidc`). ES256 or RS256 only, the
  algorithm pinned to the signing key's own (so ``none``, HS256 signed with a public key, or an
  RSA header on an EC key never verify), the key found by ``kid`` (a rotated file is re-read, a
  provider's new key fetched, without a restart); ``iss``, ``aud``, ``exp`` and ``sub`` required
  and checked (30 s leeway for clock skew); roles, tenant, NIP and unit from the issuer's claims
  (``roles``, ``tenant``, ``nip``, ``unit`` in the file's tokens; configurable for the provider).
  A refusal says what to fix when the client can: ``token_expired``, ``token_wrong_audience``,
  ``token_unknown_key``; else ``invalid_token``.
- ``X-API-Key: hadir_<id>_<secret>`` for integrators (:mod:`services.runtime.apikeys`); a scoped
  key reaches only the routes of its scopes (:mod:`services.runtime.scopes`, applied by the one
  principal dependency below, for every route).

The tenant always comes from the credentials, never from a request: the principal
dependency also binds it for PostgreSQL row-level security (:mod:`services.runtime.rls`),
except for the cross-tenant roles (``national_viewer``, ``platform_admin``), whose
endpoints aggregate over every tenant.

Every route needs credentials except :data:`PUBLIC_PATHS`: liveness, readiness and metrics
(probes and Prometheus), the pages' sign-in configuration (read before anyone signs in), and the
interface descriptions (OpenAPI, its documentation pages, AsyncAPI), which hold no tenant data
and which integrators read before they have a key.
"""

# No ``from __future__ import annotations``: FastAPI must see the closures' ``Depends`` objects.

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

import jwt
import structlog
from fastapi import Depends, HTTPException, Request, status

from services.runtime import apikeys, errors, oidc, rls, scopes
from services.runtime.roles import CROSS_TENANT_ROLES, ROLES
from services.runtime.settings import Settings
from services.runtime.token_cache import TokenCache

log = structlog.get_logger(__name__)

ALGORITHMS = oidc.ALGORITHMS
PUBLIC_PATHS = frozenset({
    "/healthz", "/readyz", "/metrics",
    "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/asyncapi.json",
    "/auth/config",  # services.runtime.signin: where the pages sign in (nothing secret)
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


class FileKeys:
    """The ES256/RS256 keys of a JWKS file by ``kid``, re-read when the file changes."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._keys: dict[str, jwt.PyJWK] = {}
        self._stamp: tuple[int, int, int] | None = None

    def stamp(self) -> object:
        try:
            if self._path is None:
                raise FileNotFoundError("HADIR_JWT_JWKS_FILE is not set")
            stat = self._path.stat()
        except OSError:
            raise errors.error(status.HTTP_503_SERVICE_UNAVAILABLE, "jwks_missing") from None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(self._path.read_text())
                keys = jwt.PyJWKSet.from_dict(data).keys
            except (OSError, ValueError, jwt.PyJWKSetError) as exc:
                log.error("JWKS unreadable", file=str(self._path), reason=repr(exc))
                raise errors.error(status.HTTP_503_SERVICE_UNAVAILABLE, "jwks_unreadable") from None
            self._keys = {k.key_id: k for k in keys if k.key_id and k.algorithm_name in ALGORITHMS}
            self._stamp = stamp
        return self._stamp

    def key(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is None:
            raise oidc.UnknownKey(f"unknown key id {kid!r}")
        return key


class KeySource(Protocol):
    def stamp(self) -> object:
        """The current key set's identity (loading it when needed)."""

    def key(self, kid: str) -> jwt.PyJWK:
        """The key ``kid`` of the current set; :class:`oidc.UnknownKey` when unknown."""


@dataclass
class Trusted:
    """One issuer whose tokens are accepted: its key set, audience and claim names."""

    issuer: str
    audience: str
    keys: KeySource
    claims: oidc.ClaimMap = field(default_factory=oidc.ClaimMap)
    verified: TokenCache[Principal] = field(
        default_factory=lambda: TokenCache(TOKEN_CACHE_SIZE, LEEWAY_SECONDS))


def oidc_trusted(settings: Settings) -> Trusted | None:
    """The OIDC provider of ``HADIR_OIDC_*``, if one is configured."""
    if not settings.oidc_issuer:
        return None
    keys = oidc.RemoteKeys(settings.oidc_issuer, cache_seconds=settings.oidc_jwks_cache_seconds,
                           cooldown_seconds=settings.oidc_refetch_cooldown_seconds,
                           timeout_seconds=settings.oidc_timeout_seconds)
    claims = oidc.ClaimMap(roles=settings.oidc_roles_claim, tenant=settings.oidc_tenant_claim,
                           nip=settings.oidc_nip_claim, unit=settings.oidc_unit_claim, role_map=settings.oidc_role_map)
    return Trusted(settings.oidc_issuer, settings.oidc_audience, keys, claims)


# A refusal's reason the client may know (what to fix), by the library's exception; others: invalid_token.
REFUSALS: tuple[tuple[type[Exception], str], ...] = (
    (jwt.ExpiredSignatureError, "token_expired"),
    (jwt.InvalidAudienceError, "token_wrong_audience"),
    (oidc.UnknownKey, "token_unknown_key"),
)


class Authenticator:
    """Verifies bearer tokens by the key set of their issuer — the JWKS file's (``issuer``,
    e.g. the development keys) and, when given, an OIDC provider's (``oidc``) — and API keys."""

    def __init__(self, jwks_file: Path | None, issuer: str, audience: str,
                 api_keys: apikeys.ApiKeyStore | None = None, *, oidc_issuer: Trusted | None = None) -> None:
        self._trusted: dict[str, Trusted] = {}
        if jwks_file is not None or oidc_issuer is None:
            self._trusted[issuer] = Trusted(issuer, audience, FileKeys(jwks_file))
        if oidc_issuer is not None:
            self._trusted[oidc_issuer.issuer] = oidc_issuer
        self.api_keys = api_keys or apikeys.ApiKeyStore()

    def verify(self, token: str) -> Principal:
        try:
            issuer = _unverified_issuer(token)
            trusted = self._trusted.get(issuer) if isinstance(issuer, str) else None
            if trusted is None:
                raise jwt.InvalidIssuerError("issuer not trusted")
        except jwt.InvalidTokenError as exc:
            log.info("token refused", reason=str(exc)[:200])
            raise unauthorized("invalid_token") from None
        stamp = trusted.keys.stamp()
        known = trusted.verified.get(token, stamp)
        if known is not None:
            return known
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if not isinstance(kid, str):
                raise oidc.UnknownKey(f"unknown key id {kid!r}")
            key = trusted.keys.key(kid)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                issuer=trusted.issuer,
                audience=trusted.audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            identity = trusted.claims.read(claims, ROLES)
        except jwt.InvalidTokenError as exc:
            # The library's wording stays in the log; the client learns what to fix (expired, wrong
            # audience, a key the issuer does not publish) or only that the token does not verify.
            log.info("token refused", reason=str(exc)[:200])
            kind = next((k for cls, k in REFUSALS if isinstance(exc, cls)), "invalid_token")
            raise unauthorized(kind) from None
        principal = Principal(subject=str(claims["sub"]), tenant=identity.tenant, roles=identity.roles,
                              employee_id=identity.employee_id, unit_id=identity.unit_id)
        trusted.verified.put(token, trusted.keys.stamp(), float(claims["exp"]), principal)
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


def _unverified_issuer(token: str) -> object:
    """The ``iss`` of a token not yet verified (it only picks the key set to verify with)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("iss")
    except (IndexError, ValueError, AttributeError, TypeError, UnicodeDecodeError):
        raise jwt.DecodeError("not a JWT") from None


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
