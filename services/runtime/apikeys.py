"""API keys for integrators: ``X-API-Key: hadir_<id>_<secret>``.

A key is a random secret shown once, when created. The keys file (``HADIR_API_KEYS_FILE``,
default ``<HADIR_VAR_DIR or var>/api-keys.json``, a sibling of the JWKS file) keeps only its
SHA-256, with the tenant and roles it stands for (``integrator`` unless told otherwise). A key
always belongs to one tenant, so it never holds a role that reads across tenants
(``national_viewer``, ``platform_admin``: :data:`services.runtime.roles.CROSS_TENANT_ROLES`):
:func:`create` refuses one, and :meth:`ApiKeyStore.verify` refuses a stored key that holds one
(written by hand or by an older version), whatever the file says. Revoking a key marks it revoked; the
services re-read the file when it changes, so a revocation takes effect at the next request.

A key may carry ``scopes`` (:data:`services.runtime.scopes.SCOPES`): then it holds the role
``integrator`` only and reaches only the routes its scopes open. Tenant admins create, list and
revoke such keys over policy's API (``/v1/api-keys``); the CLI makes unscoped keys with roles.

Why a file, written by policy, and not a topic every service keeps: every service verifies a key
on every request, synchronously and without a database or broker round trip, and a revocation
must hold at the very next request on every service (a consumer's lag would let a revoked key in
for a while). The file is local to one host: a deployment on several hosts shares it (a mounted
volume) or replaces this seam; the key records themselves (hash, tenant, scopes) are all a
replacement would need.

File format::

    {"keys": [{"id": "3f9c2a1b7d40", "sha256": "<hex>", "tenant": "banten", "roles": ["integrator"],
               "description": "SIKAP", "created_at": "2026-…Z", "revoked_at": null,
               "scopes": ["reports:read"]}]}   # scopes: absent or null for an unscoped key
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import structlog

from services.runtime.roles import CROSS_TENANT_ROLES, KEY_ROLES
from services.runtime.scopes import SCOPES
from services.runtime.settings import Settings

log = structlog.get_logger(__name__)

PREFIX = "hadir_"


class ApiKeyError(ValueError):
    """A key that cannot be created or revoked as asked."""


class UnknownKey(ApiKeyError):
    """No such key (in the tenant asked about)."""


@dataclass(frozen=True)
class ApiKey:
    id: str
    sha256: str
    tenant: str
    roles: tuple[str, ...]
    description: str = ""
    created_at: str = ""
    revoked_at: str | None = None
    scopes: tuple[str, ...] | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def default_path(var_dir: Path | None = None) -> Path:
    """``HADIR_API_KEYS_FILE``, else ``api-keys.json`` in ``var_dir`` (default: ``HADIR_VAR_DIR``
    or the repository's ``var``), where the services look for it too."""
    settings = Settings()
    if settings.api_keys_file is not None:
        return settings.api_keys_file
    return Path(var_dir or settings.var_dir) / "api-keys.json"


def path_for(settings: Settings) -> Path:
    """The keys file of a service's own settings (``api_keys_file``, else ``var_dir/api-keys.json``)."""
    return settings.api_keys_file or Path(settings.var_dir) / "api-keys.json"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _parse(secret: str) -> str | None:
    """The key id inside a presented secret, or None when it is not shaped like one."""
    if not secret.startswith(PREFIX):
        return None
    key_id, sep, rest = secret[len(PREFIX):].partition("_")
    return key_id if sep and key_id and rest else None


def load(path: Path) -> list[ApiKey]:
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    return [ApiKey(**{**item, "roles": tuple(item["roles"]),
                      "scopes": None if item.get("scopes") is None else tuple(item["scopes"])})
            for item in data.get("keys", [])]


def _save(path: Path, keys: list[ApiKey]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"keys": [{**asdict(k), "roles": list(k.roles),
                                 "scopes": None if k.scopes is None else list(k.scopes)} for k in keys]}, indent=2)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".api-keys-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(body + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)  # atomic: a service never reads half a file
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time (two ``hadir apikey`` commands must not lose each other's key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def create(path: Path, *, tenant: str, roles: tuple[str, ...] = ("integrator",),
           description: str = "", scopes: tuple[str, ...] | None = None) -> tuple[ApiKey, str]:
    """Store a new key; return it and its secret (the only time the secret exists in clear).
    With ``scopes`` the key holds ``integrator`` only."""
    if scopes is not None:
        if not scopes or set(scopes) - set(SCOPES):
            raise ApiKeyError(f"scopes must be among {sorted(SCOPES)}; got {sorted(scopes)}")
        if tuple(roles) != ("integrator",):
            raise ApiKeyError("a scoped key holds the role integrator only")
        scopes = tuple(sorted(set(scopes)))
    unknown = sorted(set(roles) - KEY_ROLES)
    if not tenant:
        raise ApiKeyError("an API key needs a tenant")
    if national := sorted(set(roles) & CROSS_TENANT_ROLES):
        raise ApiKeyError(f"an API key belongs to one tenant and cannot hold a role that reads across tenants: "
                          f"{', '.join(national)} (only a bearer token of a national principal can)")
    if not roles or unknown:
        raise ApiKeyError(f"roles must be among {sorted(KEY_ROLES)}; got {sorted(roles)}")
    key_id = secrets.token_hex(6)
    secret = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    key = ApiKey(id=key_id, sha256=digest(secret), tenant=tenant, roles=tuple(dict.fromkeys(roles)),
                 description=description, created_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                 scopes=scopes)
    with _locked(path):
        _save(path, [*load(path), key])
    return key, secret


def revoke(path: Path, key_id: str, tenant: str | None = None) -> ApiKey:
    """Mark a key revoked (again: unchanged); with ``tenant``, only a key of that tenant."""
    with _locked(path):
        keys = load(path)
        match = next((k for k in keys if k.id == key_id and tenant in (None, k.tenant)), None)
        if match is None:
            raise UnknownKey(f"no API key {key_id!r} in {path}")
        revoked = match if not match.active else replace(
            match, revoked_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"))
        _save(path, [revoked if k.id == key_id else k for k in keys])
    return revoked


class ApiKeyStore:
    """The keys file as the services see it: re-read whenever it changes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: dict[str, ApiKey] = {}

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._keys = None, {}
            return
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # inode: every write is an atomic replace
        if stamp != self._stamp:
            self._keys = {k.id: k for k in load(self.path)}
            self._stamp = stamp

    def verify(self, secret: str) -> ApiKey | None:
        """The active key this secret belongs to, else None (also when it holds a cross-tenant role)."""
        key_id = _parse(secret)
        if key_id is None:
            return None
        self._refresh()
        key = self._keys.get(key_id)
        if key is None or not key.active or not hmac.compare_digest(key.sha256, digest(secret)):
            return None
        if national := sorted(set(key.roles) & CROSS_TENANT_ROLES):
            log.warning("API key refused: it holds a role that reads across tenants; revoke it and create "
                        "one with tenant roles", key_id=key.id, tenant=key.tenant, roles=national)
            return None
        return key
