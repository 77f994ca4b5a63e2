"""Settings from the environment (``HADIR_*``), one object per service process.

:class:`Settings` holds what every service reads; each service's ``settings.py`` extends it
with its own fields (named after their variables: ``HADIR_REPORTING_SCAN_SECONDS`` is
``reporting_scan_seconds``). Nothing outside a settings module reads the environment.

Development is explicit: ``HADIR_ENVIRONMENT=development`` (``hadir run`` and the tests set
it). Only then may a service without ``HADIR_JWT_JWKS_FILE`` (nor ``HADIR_OIDC_ISSUER``) fall back
to the development keys under ``var/dev-keys``; anywhere else :func:`load_settings` refuses to start the service
(:class:`ConfigurationError`), so no installation trusts keys whose private half sits in a
development directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class ConfigurationError(RuntimeError):
    """Settings a service refuses to start with."""


class Settings(BaseSettings):
    """Common settings. A service's database URL comes from ``HADIR_<SERVICE>_DATABASE_URL``,
    else ``HADIR_DATABASE_URL`` with ``{service}`` replaced, else a SQLite file under ``var/``."""

    model_config = SettingsConfigDict(env_prefix="HADIR_", extra="ignore")

    service: str = "hadir"
    environment: Literal["development", "production"] = Field(
        default="production", description="development: the dev keys stand in for a missing HADIR_JWT_JWKS_FILE")
    host: str = "127.0.0.1"
    port: int = 8000
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Appended to every consumer group id (hadir-<service>-<group>-<instance>), so that suites run side
    # by side on one broker never share a group; empty in a deployment.
    instance: str = Field(default="", pattern=r"^[A-Za-z0-9._-]{0,40}$")
    topic_partitions: int = Field(default=6, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    publish_timeout_seconds: float = Field(default=10.0, gt=0)
    database_url: str = ""
    var_dir: Path = REPO_ROOT / "var"
    log_level: str = "INFO"
    log_json: bool = True
    consumer_batch_size: int = Field(default=500, ge=1)
    outbox_batch_size: int = Field(default=2000, ge=1, le=20_000)
    outbox_round_chunks: int = Field(
        default=8, ge=1, le=100, description="a relay round publishes up to this many full batches, pipelined")
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_mark_seconds: float = Field(default=1.0, gt=0, description="at most one watermark mark round this often")
    group_commit_workers: int = Field(default=4, ge=1, le=32)  # group_commit.MAX_WORKERS
    group_commit_max_jobs: int = Field(default=200, ge=1, le=5000)  # group_commit.MAX_JOBS
    lag_interval_seconds: float = Field(default=15.0, gt=0)
    jwt_jwks_file: Path | None = None
    jwt_issuer: str = "hadir-dev"
    jwt_audience: str = "hadir"
    # Sign-in with an OpenID Connect provider (services.runtime.oidc); empty issuer: none. Both it and the
    # JWKS file may be configured: a token is verified by the key set of its own issuer.
    oidc_issuer: str = Field(default="", max_length=500, description="the provider's issuer URL (discovery at "
                             "<issuer>/.well-known/openid-configuration); empty: no OIDC sign-in")
    oidc_audience: str = Field(default="hadir", max_length=200, description="the audience of its access tokens")
    oidc_client_id: str = Field(default="hadir-web", max_length=200, description="the web pages' public client")
    oidc_scope: str = Field(default="openid profile offline_access", max_length=500,
                            description="the scopes the pages ask for")
    oidc_roles_claim: str = Field(default="roles", max_length=200,
                                  description="claim with the roles; dotted for nested ones (realm_access.roles)")
    oidc_tenant_claim: str = Field(default="tenant", max_length=200, description="claim with the tenant id")
    oidc_nip_claim: str = Field(default="nip", max_length=200, description="claim with the employee's NIP")
    oidc_unit_claim: str = Field(default="unit", max_length=200, description="claim with a unit head's unit id")
    oidc_role_map: dict[str, str] = Field(
        default_factory=dict, description='JSON: provider role name → Hadir role, e.g. {"hadir-bkd": "tenant_admin"}')
    oidc_jwks_cache_seconds: float = Field(default=300.0, gt=0, description="how long the provider's keys are cached")
    oidc_refetch_cooldown_seconds: float = Field(
        default=10.0, ge=0, description="an unknown key id refetches the provider's keys at most this often")
    oidc_timeout_seconds: float = Field(default=5.0, gt=0, le=60, description="timeout of discovery and JWKS fetches")
    web_allowed_origins: str = Field(
        default="", max_length=2000,
        description="origins of Hadir's own pages allowed to read the self endpoints cross-origin (page_cors), "
                    "comma-separated; empty: pages on this service's own host (any port); * : any origin")
    api_keys_file: Path | None = None  # see apikeys.default_path
    # Requests (services.runtime.body_limit, services.runtime.gate): a larger body for a few routes is
    # the service's own (ServiceRuntime.body_limits); a per-second rate of 0 turns that limit off.
    max_body_bytes: int = Field(default=2**20, ge=1024, description="largest request body unless its route allows more")
    rate_limit_principal_per_second: float = Field(
        default=50.0, ge=0, description="requests one caller (token subject or API key) may send a second, on average")
    rate_limit_principal_burst: int = Field(default=500, ge=1, description="... and at once")
    rate_limit_address_per_second: float = Field(
        default=1.0, ge=0, description="requests without valid credentials one client address may send a second")
    rate_limit_address_burst: int = Field(default=60, ge=1, description="... and at once")
    # Retention (services.runtime.retention): how often each service reduces what passed its period
    # (0: never), and how long sent outbox rows are kept (a parked row is kept until it is dealt with).
    retention_interval_seconds: float = Field(
        default=3600.0, ge=0, description="seconds between retention runs; 0 turns the job off")
    outbox_keep_days: int = Field(default=7, ge=1, le=3650, description="days a published outbox row is kept")
    metrics_tenant_key: SecretStr | None = Field(
        default=None, description="key of the opaque tenant references on /metrics (metrics.TenantRefs); "
                                  "the same on every replica, else each process draws its own")

    def tenant_refs_key(self) -> bytes | None:
        return self.metrics_tenant_key.get_secret_value().encode() if self.metrics_tenant_key else None

    @field_validator("api_keys_file", "var_dir", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object, info: ValidationInfo) -> object:
        if value == "":
            return REPO_ROOT / "var" if info.field_name == "var_dir" else None
        return value

    @classmethod
    def of(cls, settings: Settings) -> Self:
        """``settings`` as this (service's) model: the fields given, the service's own ones
        from the environment (a test may hand a service the common settings only)."""
        return settings if isinstance(settings, cls) else cls(**settings.model_dump())


def load_settings(service: str, port: int, **overrides: object) -> Settings:
    """Build the settings of one service, resolving its own database URL:
    ``HADIR_<SERVICE>_DATABASE_URL``, else ``HADIR_DATABASE_URL`` with ``{service}``
    replaced by the service name, else a SQLite file under ``var/``; and its JWKS file:
    ``HADIR_JWT_JWKS_FILE``, else (development only) ``var/dev-keys/jwks.json``, unless an
    OIDC provider (``HADIR_OIDC_ISSUER``) signs the tokens."""
    if "HADIR_PORT" not in os.environ:
        overrides.setdefault("port", port)
    url = overrides.pop("database_url", None) or _database_url(service, overrides.get("var_dir"))
    settings = Settings(service=service, database_url=url, **overrides)  # type: ignore[arg-type]
    if settings.jwt_jwks_file is None and not settings.oidc_issuer:
        if settings.environment != "development":
            raise ConfigurationError(
                "HADIR_JWT_JWKS_FILE belum diatur: di luar pengembangan layanan memerlukan berkas JWKS penyedia "
                "identitas / HADIR_JWT_JWKS_FILE is not set: outside development the services need the identity "
                "provider's JWKS file; the development keys are used only with HADIR_ENVIRONMENT=development")
        settings = settings.model_copy(
            update={"jwt_jwks_file": settings.var_dir / "dev-keys" / "jwks.json"}
        )
    return settings


def _database_url(service: str, var_dir: object | None) -> str:
    own = os.environ.get(f"HADIR_{service.upper()}_DATABASE_URL")
    shared = os.environ.get("HADIR_DATABASE_URL")
    if own:
        return own
    if shared:
        return shared.replace("{service}", service)
    folder = Path(str(var_dir)) if var_dir else Path(os.environ.get("HADIR_VAR_DIR", REPO_ROOT / "var"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{folder / f'{service}.db'}"
