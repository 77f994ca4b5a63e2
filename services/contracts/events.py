"""Event payloads. Each class names its CloudEvents type and its topic."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from services.contracts import topics
from services.contracts.base import Event
from services.contracts.policy import CheckinKind, PolicyContent, Sector
from services.contracts.rules.calendar import TenantCalendar
from services.contracts.rules.retention import RetentionPeriods

TenantKind = Literal["province", "regency", "city"]
UnitKind = Literal["department", "branch", "balai", "upt", "other"]
WorkMode = Literal["wfo", "wfh"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- directory -------------------------------------------------------------------


class TenantRecord(_Part):
    id: str
    name: str
    kind: TenantKind
    timezone: str = Field(description="IANA zone: Asia/Jakarta, Asia/Makassar or Asia/Jayapura")
    retention: RetentionPeriods | None = Field(
        default=None, description="the tenant's retention periods in days; absent: the defaults (docs/privacy.md)")
    calendar: TenantCalendar | None = Field(
        default=None, description="the tenant's own holidays and its use of the national calendar; absent: the "
                                  "national calendar with cuti bersama (services.contracts.rules.calendar)")


class UnitRecord(_Part):
    id: str
    name: str
    kind: UnitKind = "department"
    parent_id: str | None = None
    sector: Sector | None = Field(default=None, description="own override, if any")
    effective_sector: Sector = Field(description="own sector or the department's")
    active: bool = True


class Place(_Part):
    name: str
    kind: Literal["home", "office", "other"]
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    radius_m: float | None = Field(default=None, gt=0)
    valid_from: date | None = None
    valid_until: date | None = None


class EmployeeRecord(_Part):
    nip: str = Field(pattern=r"^\d{18}$")
    name: str
    position: str = ""
    unit_id: str
    is_teacher: bool = False
    is_front_line: bool = False
    is_unit_head: bool = False
    active: bool = True
    email: str | None = None
    phone: str | None = None
    places: list[Place] = Field(default_factory=list)


def directory_subject(employee: EmployeeRecord | EmployeeProfile | None, unit: UnitRecord | None) -> str:
    """The subject of a directory event (both versions): the employee's NIP, ``unit:<id>``, or ``tenant``."""
    if employee is not None:
        return employee.nip
    if unit is not None:
        return f"unit:{unit.id}"
    return "tenant"


class DirectoryUpdated(Event):
    """A tenant, unit or employee was created or changed (full record, not a diff).

    Deprecated: it carries every employee's home coordinates and contact details to every consumer.
    Use ``directory.updated.v2`` (no places, no contacts) and, for notification channels and the
    dashboard's contact links only, ``directory.contacts.v1``; policy publishes v1 only while
    ``HADIR_PUBLISH_DIRECTORY_V1`` is on (docs/integration.md, *Migrating to directory.updated.v2*)."""

    TYPE = "hadir.directory.updated.v1"
    TOPIC = topics.DIRECTORY_UPDATED

    entity: Literal["tenant", "unit", "employee"]
    tenant: TenantRecord | None = None
    unit: UnitRecord | None = None
    employee: EmployeeRecord | None = None

    def subject(self) -> str:
        return directory_subject(self.employee, self.unit)


class EmployeeProfile(_Part):
    """An employee as every service may know them: no places, no contact details."""

    nip: str = Field(pattern=r"^\d{18}$")
    name: str
    position: str = ""
    unit_id: str
    is_teacher: bool = False
    is_front_line: bool = False
    is_unit_head: bool = False
    active: bool = True
    inactive_since: date | None = Field(
        default=None, description="the day (tenant-local) the employee became inactive; retention counts from it")


class DirectoryUpdatedV2(Event):
    """A tenant, unit or employee was created or changed (full record, not a diff), minimised:
    an employee's places (home coordinates) stay in policy, contact details go to
    ``directory.contacts.v1``."""

    TYPE = "hadir.directory.updated.v2"
    TOPIC = topics.DIRECTORY_UPDATED_V2

    entity: Literal["tenant", "unit", "employee"]
    tenant: TenantRecord | None = None
    unit: UnitRecord | None = None
    employee: EmployeeProfile | None = None

    def subject(self) -> str:
        return directory_subject(self.employee, self.unit)


class DirectoryContact(Event):
    """How to reach one employee: for notification channels, and for the dashboard's contact links
    (reporting keeps the phone alone, shown only to the employee's unit head and the tenant admin).
    Compacted, keyed by employee; a tombstone (no value) under the key means the details were removed
    (retention: docs/privacy.md)."""

    TYPE = "hadir.directory.contact.v1"
    TOPIC = topics.DIRECTORY_CONTACTS

    nip: str = Field(pattern=r"^\d{18}$")
    email: str | None = None
    phone: str | None = None

    def subject(self) -> str:
        return self.nip


LocationData = Literal["places", "checkin_location", "self_export"]


class LocationRead(Event):
    """Someone read an employee's personal location data (places, a check-in's raw coordinates, an
    export containing them): one row of the access log that policy keeps (docs/privacy.md)."""

    TYPE = "hadir.privacy.location_read.v1"
    TOPIC = topics.LOCATION_READ

    read_id: UUID = Field(description="unique per read: the access log deduplicates on it")
    employee_id: str = Field(pattern=r"^\d{18}$", description="whose data was read")
    actor: str = Field(max_length=200, description="who read it: the credentials' subject")
    actor_nip: str | None = Field(default=None, description="the reader's NIP, when the credentials carry one")
    actor_roles: list[str] = Field(default_factory=list, max_length=10)
    purpose: str = Field(min_length=1, max_length=500, description="the purpose the reader stated")
    endpoint: str = Field(max_length=300,
                          description="service and route, e.g. `checkin GET /v1/checkins/{id}/location`")
    data: LocationData
    records: int = Field(default=1, ge=0, description="how many records with coordinates the read returned")
    at: AwareDatetime = Field(description="when (UTC)")

    def subject(self) -> str:
        return self.employee_id


# --- policy ----------------------------------------------------------------------


class PolicyUpdated(Event):
    """A circular-letter version took effect; carries its full effective content."""

    TYPE = "hadir.policy.updated.v1"
    TOPIC = topics.POLICY_UPDATED

    policy_id: str
    number: str = Field(description="e.g. 800/258-BKD/2022")
    version: int = Field(ge=1)
    title: str
    signatory: str = ""
    legal_basis: list[str] = Field(default_factory=list)
    valid_from: date
    valid_until: date | None = None
    timezone: str
    content: PolicyContent
    effective_at: AwareDatetime | None = Field(
        default=None,
        description="when this version took effect (UTC): local midnight of valid_from, or when it was "
                    "issued if that day had already come; absent from producers before this field existed",
    )

    def subject(self) -> str:
        return f"policy:{self.policy_id}"


class RosterAssignment(_Part):
    employee_id: str
    date: date
    mode: WorkMode
    reason: str | None = None


RosterScope = Literal["range", "assignments"]


class RosterPublished(Event):
    """Who works in the office (WFO) or from home (WFH) on which days, for one unit.

    A generated roster replaces the unit's whole range, a unit head's override single entries
    (`replaces`); changes apply in the order of `revision` (docs/integration.md, *Rosters*)."""

    # Every consumer applies it by services.contracts.rules.rosters (services.runtime.rosters).

    TYPE = "hadir.roster.published.v1"
    TOPIC = topics.ROSTER_PUBLISHED

    unit_id: str
    start: date
    end: date
    assignments: list[RosterAssignment]
    replaces: RosterScope = Field(
        default="assignments",
        description="`range`: a generated roster — the unit's roster from `start` to `end` is the union of the "
                    "assignments of the `chunks` events of this `revision`; an (employee, date) of the unit in "
                    "the range that none of them lists has no entry any more. `assignments`: a unit head's "
                    "override — only the listed (employee, date) entries change, every other entry stays. "
                    "Events from producers before this field read as `assignments` (revision 0).",
    )
    revision: int = Field(
        default=0, ge=0,
        description="order of the tenant's roster changes: a later change has a higher revision (all events of "
                    "one change share it). Keep, per (employee, date), the revision that wrote it: an "
                    "assignment never replaces an entry of a higher revision, nor a day inside the range of a "
                    "`range` change of the same unit with a higher revision; 0 is older than any other.",
    )
    chunk: int = Field(default=0, ge=0, description="this event's index among the `chunks` events of the revision")
    chunks: int = Field(
        default=1, ge=1,
        description="how many events carry this revision (a large roster is split to fit Kafka's message size); "
                    "a `range` drops the unit's older entries in the range only once all of them are in",
    )

    @model_validator(mode="after")
    def _consistent(self) -> RosterPublished:
        if self.revision == 0:
            return self  # as producers before these fields sent it
        if self.end < self.start:
            raise ValueError("end before start")
        if self.chunk >= self.chunks:
            raise ValueError("chunk must be below chunks")
        if any(not self.start <= a.date <= self.end for a in self.assignments):
            raise ValueError("an assignment outside start..end")
        return self

    def subject(self) -> str:
        return f"unit:{self.unit_id}"


# --- check-ins -------------------------------------------------------------------


class Location(_Part):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    accuracy_m: float = Field(ge=0)
    mock_location: bool = False


class CheckinReceived(Event):
    """A check-in as the employee submitted it, stored before this event was sent."""

    TYPE = "hadir.checkin.received.v1"
    TOPIC = topics.CHECKIN_RECEIVED

    checkin_id: UUID
    employee_id: str
    unit_id: str | None = None
    kind: CheckinKind
    captured_at: AwareDatetime = Field(description="device time, with its offset")
    received_at: AwareDatetime = Field(description="server time (UTC)")
    device_id: str | None = None
    location: Location | None = None
    activity_text: str | None = None
    attachment_ref: str | None = None
    meeting_ref: str | None = None

    def subject(self) -> str:
        return self.employee_id


class CheckinEvaluated(Event):
    """The policy's verdict on one check-in."""

    TYPE = "hadir.checkin.evaluated.v1"
    TOPIC = topics.CHECKIN_EVALUATED

    checkin_id: UUID
    employee_id: str
    unit_id: str | None = None
    kind: CheckinKind
    captured_at: AwareDatetime
    received_at: AwareDatetime
    local_date: date = Field(description="the day in the tenant's zone")
    window_id: str | None = None
    status: Literal["on_time", "late", "outside_window", "not_required"]
    late_minutes: int = 0
    geofence: Literal["inside", "outside", "not_checked"] = "not_checked"
    distance_m: float | None = None
    nearest_place: str | None = None
    place_kind: Literal["home", "office", "other"] | None = Field(
        default=None, description="the kind of the nearest allowed place (absent from producers before this field)")
    suspicious: bool = False
    reasons: list[str] = Field(default_factory=list)
    policy_number: str | None = None
    policy_version: int | None = None

    def subject(self) -> str:
        return self.employee_id


# --- reporting -------------------------------------------------------------------


class _WindowNotice(Event):
    employee_id: str
    unit_id: str | None = None
    local_date: date
    window_id: str
    window_name: str
    deadline: AwareDatetime = Field(description="window end plus grace, UTC")
    timezone: str

    def subject(self) -> str:
        return self.employee_id


class ReportDueSoon(_WindowNotice):
    """An expected check-in is not in yet and its window closes soon."""

    TYPE = "hadir.report.due_soon.v1"
    TOPIC = topics.REPORT_DUE_SOON


class ReportOverdue(_WindowNotice):
    """An expected check-in did not arrive by the window's end plus grace."""

    TYPE = "hadir.report.overdue.v1"
    TOPIC = topics.REPORT_OVERDUE


# --- notify ----------------------------------------------------------------------


class NotificationSent(Event):
    """Audit record of one notification delivered (or given up on)."""

    TYPE = "hadir.notification.sent.v1"
    TOPIC = topics.NOTIFICATION_SENT

    notification_id: UUID
    source_event_id: str
    source_event_type: str
    recipient: str
    channel: Literal["email", "webhook", "whatsapp", "log"]
    status: Literal["sent", "failed", "dead"]

    def subject(self) -> str:
        return self.recipient
