"""Request and response bodies of the privacy routes: the logged reads of coordinates, the location
access log and profile corrections (UU PDP 27/2022). The directory's own bodies are in :mod:`.schemas`."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from services.contracts.events import LocationData, Place
from services.policy.schemas import EmployeeIn, Text, statement
from services.runtime.errors import validation_message


class EmployeePlaces(BaseModel):
    """An employee's places with exact coordinates: a read recorded in the access log as ``read_id``."""

    nip: str
    places: list[Place]
    read_id: UUID = Field(description="the access-log row of this read")
    purpose: str
    at: AwareDatetime


class AccessLogEntry(BaseModel):
    """One read of an employee's personal location data."""

    read_id: UUID
    employee_id: str = Field(description="whose data was read")
    actor: str = Field(description="who read it (the credentials' subject)")
    actor_nip: str | None = None
    actor_roles: list[str]
    purpose: str
    endpoint: str = Field(description="service and route")
    data: LocationData
    records: int = Field(description="records with coordinates the read returned")
    at: AwareDatetime = Field(description="when (UTC)")
    at_local: str = Field(description="the same instant in the tenant's zone (ISO 8601 with its offset)")


class AccessLogPage(BaseModel):
    items: list[AccessLogEntry] = Field(description="newest first")
    next_after: str | None = Field(default=None, description="pass as `after` for the next page")


# --- profile corrections -------------------------------------------------------------

CorrectionField = Literal["name", "position", "email", "phone"]
CorrectionStatus = Literal["pending", "approved", "rejected"]


class CorrectionIn(BaseModel):
    """An employee's request to correct one field of their profile; the value is checked as
    ``PUT /v1/employees/{nip}`` checks that field (null removes an e-mail or a phone)."""

    model_config = ConfigDict(extra="forbid")

    field: CorrectionField = Field(description="what to correct: `name`, `position`, `email` or `phone`",
                                   examples=["name"])
    value: str | None = Field(max_length=320, examples=["Siti Aminah, S.Kom."],
                              description="the corrected value (null removes an e-mail or a phone)")
    reason: Annotated[str, Field(min_length=3, max_length=500), statement(3)] = Field(
        description="why (at least 3 characters), for the tenant admin", examples=["Gelar sarjana belum tercantum"])

    @field_validator("value")
    @classmethod
    def _as_the_directory_takes_it(cls, value: str | None, info: ValidationInfo) -> Any:
        field = info.data.get("field")
        if field is None:  # the field itself is invalid: reported on its own
            return value
        try:
            return _FIELD_CHECKS[field].validate_python(value)
        except ValidationError as exc:
            message = validation_message(exc.errors()[0])
            raise ValueError(f"{message.id} / {message.en}") from None


def _field_check(name: str) -> TypeAdapter[Any]:
    """The check ``EmployeeIn`` applies to its field ``name`` (type, bounds, pattern, validators)."""
    info = EmployeeIn.model_fields[name]
    return TypeAdapter(Annotated[info.annotation, *info.metadata])  # type: ignore[arg-type]


_FIELD_CHECKS = {name: _field_check(name) for name in ("name", "position", "email", "phone")}


class CorrectionOut(BaseModel):
    id: UUID
    employee_id: str
    field: CorrectionField
    old_value: str | None = Field(description="the value when asked (when decided, for an approved request)")
    new_value: str | None
    reason: str
    status: CorrectionStatus
    requested_by: str
    requested_at: AwareDatetime
    decided_by: str | None = None
    decided_at: AwareDatetime | None = None
    note: str = ""


class CorrectionPage(BaseModel):
    items: list[CorrectionOut] = Field(description="newest first")
    next_after: str | None = Field(default=None, description="pass as `after` for the next page")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["approve", "reject"] = Field(description="`approve` or `reject`", examples=["approve"])
    note: Text = Field(default="", max_length=500, description="told to the employee (why, when rejected)",
                       examples=["Sesuai dokumen pendukung"])
