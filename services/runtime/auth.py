"""Bearer-token authentication: JWTs signed with ES256/RS256 keys from a JWKS file,
issuer, audience and expiry checked, algorithms pinned. The tenant always comes
from the token, never from a request body."""


import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status

ALGORITHMS = ["ES256", "RS256"]
ROLES = frozenset(
    {"employee", "unit_head", "tenant_admin", "national_viewer", "integrator", "platform_admin"}
)


@dataclass(frozen=True)
class Principal:
    subject: str
    tenant: str | None
    roles: frozenset[str] = field(default_factory=frozenset)
    employee_id: str | None = None
    unit_id: str | None = None

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def require_tenant(self) -> str:
        if not self.tenant:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Token tanpa tenant / token has no tenant")
        return self.tenant


class Authenticator:
    def __init__(self, jwks_file: Path | None, issuer: str, audience: str) -> None:
        self._jwks_file = jwks_file
        self._issuer = issuer
        self._audience = audience
        self._keys: dict[str, jwt.PyJWK] | None = None

    def _load(self) -> dict[str, jwt.PyJWK]:
        if self._keys is None:
            if self._jwks_file is None or not self._jwks_file.exists():
                raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "JWKS not configured")
            data = json.loads(self._jwks_file.read_text())
            self._keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(data).keys if k.key_id}
        return self._keys

    def verify(self, token: str) -> Principal:
        keys = self._load()
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if kid not in keys:
                raise jwt.InvalidTokenError(f"unknown key id {kid!r}")
            claims = jwt.decode(
                token,
                keys[kid].key,
                algorithms=ALGORITHMS,
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                f"Token tidak valid / invalid token: {exc}",
                headers={"WWW-Authenticate": "Bearer"},
            ) from exc
        roles = frozenset(claims.get("roles", [])) & ROLES
        return Principal(
            subject=str(claims["sub"]),
            tenant=claims.get("tenant"),
            roles=roles,
            employee_id=claims.get("nip"),
            unit_id=claims.get("unit"),
        )


def principal_dependency(auth: Authenticator) -> Callable[..., Principal]:
    def current_principal(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "Perlu token Bearer / bearer token required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return auth.verify(token.strip())

    return current_principal


def require_roles(current: Callable[..., Principal], *roles: str) -> Callable[..., Principal]:
    """Dependency: the caller must hold one of ``roles`` (and a tenant, unless platform-wide)."""

    def check(principal: Annotated[Principal, Depends(current)]) -> Principal:
        if not principal.has(*roles):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"Peran tidak cukup / requires one of: {', '.join(sorted(roles))}",
            )
        return principal

    return check
