"""Response bodies of the check-in page's JSON endpoints (``/app/api/...``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class PolicyInForce(BaseModel):
    number: str
    version: int
    valid_from: date
    valid_until: date | None
    late_submission_limit_hours: int
    geofence_radius_m: float | None = Field(default=None, description="the allowed places' radius unless a place "
                                            "has its own (metres)")


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
    map: MapTiles | None = None
    policy_url: str = Field(description="where this browser reaches the policy service (HADIR_POLICY_PUBLIC_URL): "
                                        "the page reads the caller's places and absences there")


class MapTiles(BaseModel):
    """The deployment's tile server (``HADIR_MAP_TILE_URL``); absent: the page shows no tiles."""

    url: str = Field(description="tile URL template with {z}/{x}/{y}")
    attribution: str


class Verdict(BaseModel):
    """What the employee is told of one of their check-ins: no coordinates, the nearest place by name."""

    id: str
    kind: str
    captured_at: datetime
    status: str
    late_minutes: int | None = None
    geofence: str | None = None
    distance_m: float | None = None
    place_name: str | None = None
    suspicious: bool | None = None
    reasons: list[str] = []


class TodayWindow(BaseModel):
    id: str
    name: str
    kinds: list[str]
    start: str = Field(description="local wall-clock time, HH:MM, in the tenant's zone")
    end: str
    deadline: str = Field(description="end + grace: after it the window is overdue")
    start_at: datetime = Field(description="UTC")
    end_at: datetime
    deadline_at: datetime
    state: Literal["not_required", "done", "open", "missed", "upcoming"]
    late: bool = Field(description="open past its end, in its grace period")
    reason: str | None = Field(description="why not required: non_working_day, inactive, absent, wfo_day")
    checkin: Verdict | None = None


class Today(BaseModel):
    date: date
    timezone: str
    zone: str = Field(description="WIB, WITA or WIT")
    now: datetime
    policy: str | None = Field(description="the number of the circular letter in force")
    holiday: str | None = Field(description="the holiday's name, if today is one")
    windows: list[TodayWindow]
    due: str | None = Field(description="the open window that closes first: the page's main action")
    next: str | None = Field(description="the upcoming window that starts first")


class MonthDay(BaseModel):
    date: date
    holiday: str | None
    asked: int = Field(description="windows asked of the employee that day")
    filled: int
    late: int = Field(description="of the filled, judged late")
    outside: int = Field(description="of the filled, outside the geofence")
    missed: int
    open: int = Field(description="not settled yet (today: open or upcoming)")


class Month(BaseModel):
    month: str = Field(description="YYYY-MM")
    timezone: str
    zone: str
    days: list[MonthDay]
