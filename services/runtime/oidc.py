"""Tokens of an OpenID Connect provider: its signing keys found by discovery, and its claims
read into Hadir's identity by configurable names.

- :class:`RemoteKeys`: ``HADIR_OIDC_ISSUER`` → ``<issuer>/.well-known/openid-configuration``
  (whose ``issuer`` must be the configured one) → ``jwks_uri``, read with PyJWT's
  ``PyJWKClient``: the key set is cached (``HADIR_OIDC_JWKS_CACHE_SECONDS``) and refetched at
  once for a ``kid`` it does not hold — a key the provider has just rotated in — but at most once
  per ``HADIR_OIDC_REFETCH_COOLDOWN_SECONDS``, so unknown key ids sent in a flood cost one fetch.
  A provider that cannot be reached is a 503 (``oidc_unavailable``), and is not asked again for
  :data:`RETRY_SECONDS`, so requests do not queue behind a dead provider. Fetches are
  synchronous (bounded by ``HADIR_OIDC_TIMEOUT_SECONDS``) and rare: once per cache period and per
  rotation.
- :class:`ClaimMap`: roles, tenant, NIP and unit from the claims an installation names
  (``HADIR_OIDC_ROLES_CLAIM=realm_access.roles`` reads Keycloak's nested realm roles), provider
  role names translated by ``HADIR_OIDC_ROLE_MAP``; roles Hadir does not know are dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import structlog
from fastapi import status

from services.runtime import errors

log = structlog.get_logger(__name__)

ALGORITHMS = ("ES256", "RS256")
RETRY_SECONDS = 5.0  # after a failed fetch, the provider is not asked again for this long
DISCOVERY_PATH = "/.well-known/openid-configuration"


class UnknownKey(jwt.InvalidTokenError):
    """The token's ``kid`` is not (or no longer) in its issuer's key set."""


def unavailable() -> Exception:
    return errors.error(status.HTTP_503_SERVICE_UNAVAILABLE, "oidc_unavailable")


class RemoteKeys:
    """The signing keys of one OIDC issuer, found by discovery and cached (see the module)."""

    def __init__(self, issuer: str, *, cache_seconds: float = 300, cooldown_seconds: float = 10,
                 timeout_seconds: float = 5) -> None:
        self.issuer = issuer
        self._cache_seconds = cache_seconds
        self._cooldown = cooldown_seconds
        self._timeout = timeout_seconds
        self._client: jwt.PyJWKClient | None = None
        self._failed_at = -RETRY_SECONDS
        self._lock = threading.Lock()

    def _jwks_client(self) -> jwt.PyJWKClient:
        if self._client is not None:
            return self._client
        with self._lock:
            if self._client is None:
                self._guard()
                try:
                    answer = httpx.get(self.issuer.rstrip("/") + DISCOVERY_PATH, timeout=self._timeout)
                    answer.raise_for_status()
                    document = answer.json()
                    if not isinstance(document, dict) or document.get("issuer") != self.issuer:
                        raise ValueError(f"discovery names issuer {document.get('issuer')!r}")
                    jwks_uri = document["jwks_uri"]
                    if not isinstance(jwks_uri, str):
                        raise ValueError("jwks_uri is not a string")
                    self._client = jwt.PyJWKClient(jwks_uri, lifespan=self._cache_seconds, timeout=self._timeout,
                                                   cooldown_duration=self._cooldown)
                except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWKClientError) as exc:
                    self._failed(exc)
            assert self._client is not None
            return self._client

    def _guard(self) -> None:
        if time.monotonic() - self._failed_at < RETRY_SECONDS:
            raise unavailable()

    def _failed(self, exc: Exception) -> None:
        self._failed_at = time.monotonic()
        log.error("OIDC provider unreachable", issuer=self.issuer, reason=repr(exc)[:300])
        raise unavailable() from None

    def stamp(self) -> object:
        """The current key set's identity (fetched when the cache has expired): tokens verified
        against an earlier set are checked again."""
        client = self._jwks_client()
        self._guard()
        try:
            return tuple(sorted(str(k.key_id) for k in client.get_jwk_set().keys))
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, OSError) as exc:
            self._failed(exc)
            raise  # unreachable: _failed raises

    def key(self, kid: str) -> jwt.PyJWK:
        """The signing key ``kid`` (refetching the set once per cooldown when it is unknown);
        :class:`UnknownKey` when the provider does not publish it."""
        client = self._jwks_client()
        try:
            key = client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as exc:
            self._failed(exc)
            raise
        except (jwt.PyJWKClientError, jwt.PyJWKSetError):
            raise UnknownKey(f"unknown key id {kid!r}") from None
        if key.algorithm_name not in ALGORITHMS:
            raise UnknownKey(f"key {kid!r} is not ES256 or RS256")
        return key


@dataclass(frozen=True)
class Identity:
    tenant: str | None
    roles: frozenset[str]
    employee_id: str | None
    unit_id: str | None


@dataclass(frozen=True)
class ClaimMap:
    """Where an issuer's tokens carry Hadir's identity; dotted names reach into nested claims."""

    roles: str = "roles"
    tenant: str = "tenant"
    nip: str = "nip"
    unit: str = "unit"
    role_map: Mapping[str, str] = field(default_factory=dict)  # provider's role name → Hadir's

    def read(self, claims: Mapping[str, Any], known_roles: frozenset[str]) -> Identity:
        roles = claim(claims, self.roles)
        if roles is None:
            roles = []
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise jwt.InvalidTokenError(f"claim {self.roles!r} must be a list of strings")
        values = {}
        for name in (self.tenant, self.nip, self.unit):
            value = claim(claims, name)
            if value is not None and not isinstance(value, str):
                raise jwt.InvalidTokenError(f"claim {name!r} must be a string")
            values[name] = value or None
        return Identity(tenant=values[self.tenant],
                        roles=frozenset(self.role_map.get(r, r) for r in roles) & known_roles,
                        employee_id=values[self.nip], unit_id=values[self.unit])


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """The claim at a dotted ``path`` (``realm_access.roles``), or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
