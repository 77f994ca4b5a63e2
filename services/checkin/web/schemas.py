"""Response bodies of the check-in page's JSON endpoints (``/app/api/...``)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class PolicyInForce(BaseModel):
    number: str
    version: int
    valid_from: date
    valid_until: date | None
    late_submission_limit_hours: int


class Me(BaseModel):
    subject: str
    tenant: str
    roles: list[str]
    nip: str | None
    known: bool
    active: bool | None = None
    name: str | None = None
    unit_id: str | None = None
    timezone: str
    zone: str
    today: date
    policy: PolicyInForce | None = None


class UnitCheckin(BaseModel):
    id: str
    employee_id: str
    name: str | None
    unit_id: str | None
    kind: str
    captured_at: datetime
    status: str
    window_id: str | None
    late_minutes: int | None
    geofence: str | None
    distance_m: float | None
    place_name: str | None = None
    accuracy_m: float | None
    suspicious: bool | None
