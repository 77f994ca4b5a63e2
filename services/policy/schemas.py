"""Request bodies of the policy API."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.contracts.events import Place, TenantKind, UnitKind
from services.contracts.policy import PolicyContent, Sector

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TenantIn(_In):
    name: str = Field(min_length=1, max_length=200, examples=["Pemerintah Provinsi Banten"])
    kind: TenantKind
    timezone: str = Field(examples=["Asia/Jakarta"])

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"zona waktu tidak dikenal / unknown IANA time zone {value!r}") from exc
        return value


class UnitIn(_In):
    name: str = Field(min_length=1, max_length=200)
    kind: UnitKind = "department"
    parent_id: str | None = Field(default=None, pattern=ID_PATTERN)
    sector: Sector | None = None
    active: bool = True


class EmployeeIn(_In):
    name: str = Field(min_length=1, max_length=200)
    position: str = Field(default="", max_length=200)
    unit_id: str = Field(pattern=ID_PATTERN)
    is_teacher: bool = False
    is_front_line: bool = False
    is_unit_head: bool = False
    active: bool = True
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9]{6,20}$")
    places: list[Place] = Field(default_factory=list, max_length=20)


class PolicyIn(_In):
    """A new circular letter (version 1) or, under an existing id, a new version."""

    number: str = Field(min_length=1, max_length=100, examples=["800/258-BKD/2022"])
    title: str = Field(min_length=1, max_length=300)
    signatory: str = Field(default="", max_length=200)
    legal_basis: list[str] = Field(default_factory=list, max_length=50)
    valid_from: date
    valid_until: date | None = None
    content: PolicyContent = Field(default_factory=PolicyContent)

    @model_validator(mode="after")
    def _range(self) -> PolicyIn:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until sebelum valid_from / valid_until is before valid_from")
        return self
