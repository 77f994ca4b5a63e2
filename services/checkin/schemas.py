"""Request and response bodies of the check-in API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from services.contracts.policy import CheckinKind

_REQUIRED_BY_KIND = {
    CheckinKind.LOCATION: "location",
    CheckinKind.ACTIVITY_REPORT: "activity_text",
    CheckinKind.VIDEO_CONFERENCE: "meeting_ref",
}


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    latitude: float = Field(ge=-90, le=90, description="WGS84 degrees")
    longitude: float = Field(ge=-180, le=180, description="WGS84 degrees")
    accuracy_m: float = Field(ge=0, le=100_000, description="reported accuracy in metres")
    mock_location: bool = Field(default=False, description="the device's mock-location flag")


class CheckinIn(BaseModel):
    """One check-in. The employee and tenant come from the token."""

    model_config = ConfigDict(extra="forbid")

    kind: CheckinKind
    captured_at: AwareDatetime = Field(description="device time with its UTC offset")
    device_id: str | None = Field(default=None, max_length=200)
    location: LocationIn | None = None
    activity_text: str | None = Field(default=None, min_length=1, max_length=5000)
    attachment_ref: str | None = Field(default=None, max_length=500)
    meeting_ref: str | None = Field(default=None, min_length=1, max_length=500)

    @model_validator(mode="after")
    def _kind_fields(self) -> CheckinIn:
        needed = _REQUIRED_BY_KIND.get(self.kind)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"{needed} wajib untuk/required for kind {self.kind.value}")
        return self


class CheckinOut(BaseModel):
    id: UUID
    employee_id: str
    unit_id: str | None
    kind: CheckinKind
    captured_at: datetime
    received_at: datetime
    status: str = Field(description="pending until evaluated; then on_time, late, outside_window, not_required")
    window_id: str | None = None
    late_minutes: int | None = None
    geofence: str | None = None
    distance_m: float | None = None
    suspicious: bool | None = None
    reasons: list[str] | None = None
