"""Request and response bodies of the platform's tenant creation and the tenant's API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from services.contracts.events import TenantKind, TenantRecord
from services.policy.schemas import ID_PATTERN, Text, _In
from services.runtime.scopes import SCOPES

ScopeName = Literal["reports:read", "exports:read", "checkins:read", "notifications:read", "events:webhooks"]
assert set(ScopeName.__args__) == set(SCOPES)  # type: ignore[attr-defined]  # one list: runtime.scopes
Zone = Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
SCOPE_HELP = "; ".join(f"`{name}`: {scope.description}" for name, scope in SCOPES.items())


class ApiKeyIn(_In):
    description: Text = Field(min_length=1, max_length=200, description="who uses the key, for what",
                              examples=["SIKAP BKD — tarik laporan harian / daily report pull"])
    scopes: list[ScopeName] = Field(min_length=1, max_length=len(SCOPES), description=SCOPE_HELP,
                                    examples=[["reports:read", "exports:read"]])


class ApiKeyOut(BaseModel):
    id: str = Field(description="the key's id (the part after `hadir_`), for revoking it")
    description: str
    scopes: list[str] | None = Field(description="null: an unscoped key made with the CLI, by roles")
    roles: list[str]
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the secret, `X-API-Key: hadir_<id>_<secret>`; shown only in this answer, "
                                 "stored hashed (SHA-256)")


class ApiKeyPage(BaseModel):
    items: list[ApiKeyOut]
    next_after: str | None = Field(default=None, description="pass as `after` for the next page")


class FirstAdminKey(_In):
    description: Text = Field(min_length=1, max_length=200, examples=["BKD Provinsi Banten — admin awal"],
                              description="what the key is for, shown in the key list")


class PlatformTenantIn(_In):
    id: str = Field(pattern=ID_PATTERN, max_length=100, examples=["banten"],
                    description="lower-case letters, digits, `-` and `_`; never changes")
    name: Text = Field(min_length=3, max_length=200, examples=["Pemerintah Provinsi Banten"],
                       description="the government's name as people read it")
    kind: TenantKind = Field(description="province (provinsi), regency (kabupaten) or city (kota)",
                             examples=["province"])
    timezone: Zone = Field(description="WIB: Asia/Jakarta, WITA: Asia/Makassar, WIT: Asia/Jayapura",
                           examples=["Asia/Jakarta"])
    admin_key: FirstAdminKey | None = Field(
        default=None, description="also create the tenant's first `tenant_admin` API key (shown once)",
        examples=[{"description": "BKD Provinsi Banten — admin awal"}])


class PlatformTenantCreated(BaseModel):
    tenant: TenantRecord
    admin_key: ApiKeyCreated | None = None
