"""HTTP models of the notify API: what routes accept and return.

Datetimes of the delivery log are always answered in UTC; a webhook URL and its event
filters are checked on the way in (:func:`~services.notify.domain.addresses.check_url`,
:func:`~services.notify.domain.webhooks.valid_filter`; the route checks the URL's addresses),
so a subscription that is stored can be delivered to.
"""

from datetime import datetime, time
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from services.notify.domain import webhooks
from services.notify.domain.addresses import UnsafeTarget, check_url
from services.notify.store import utc
from services.runtime.pages import NEXT_AFTER

# --- the delivery log --------------------------------------------------------------

Status = Literal["pending", "sending", "sent", "failed", "dead", "cancelled", "skipped"]
Channel = Literal["email", "whatsapp", "webhook", "log"]


class _Out(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: object) -> object:
        return utc(value) if isinstance(value, datetime) else value


class NotificationOut(_Out):
    id: str
    source_event_id: str
    source_event_type: str
    kind: str
    occurrence: str
    recipient: str
    unit_id: str | None
    channel: str
    address: str | None = Field(description="a webhook URL: only scheme://host[:port]/*** for all but the tenant admin")
    language: str
    subject: str
    body: str | None = Field(description="withheld (null) on webhook rows for all but the tenant admin")
    status: str
    attempts: int
    next_attempt_at: datetime | None
    expires_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    provider_ref: str | None
    created_at: datetime
    updated_at: datetime


class NotificationPage(BaseModel):
    """A page of the delivery log (:mod:`services.runtime.pages`)."""

    items: list[NotificationOut]
    next_after: str | None = Field(default=None, description=NEXT_AFTER)


class AttemptOut(_Out):
    attempt: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    status_code: int | None
    error: str | None


class NotificationDetail(NotificationOut):
    attempt_log: list[AttemptOut]


# --- webhook subscriptions -----------------------------------------------------------


def _filters(value: list[str]) -> list[str]:
    bad = [v for v in value if not webhooks.valid_filter(v)]
    if bad:
        raise ValueError(f"unknown event type(s) {bad}; known: {sorted(webhooks.EVENT_TYPES)}, 'prefix.*' or '*'")
    return list(dict.fromkeys(value))


def _url(value: str) -> str:
    try:
        check_url(value)
    except UnsafeTarget as exc:
        raise ValueError(str(exc)) from exc
    return value


HOOK_URL = "https://siak.bantenprov.go.id/hadir/webhook"
URL_TEXT = "where to POST the events: https, a public address (no private, loopback or link-local targets)"
TYPES_TEXT = ("event types to send (`GET /v1/webhook-event-types`), a prefix with `.*` (`report.*`) or `*` "
              "for all; 1-20")


class SubscriptionIn(BaseModel):
    """A webhook: the events of the tenant to POST, signed, to an integrator's URL."""

    url: str = Field(max_length=2000, description=URL_TEXT, examples=[HOOK_URL])
    event_types: list[str] = Field(min_length=1, max_length=20, description=TYPES_TEXT,
                                   examples=[["report.overdue", "checkin.*"]])
    description: str = Field(default="", max_length=500, description="what it is for, for people",
                             examples=["SIAK Pemprov Banten: rekap kehadiran"])

    _check_filters = field_validator("event_types")(_filters)
    _check_url = field_validator("url")(_url)


class SubscriptionPatch(BaseModel):
    """What to change of a webhook; a field left out (or null) stays as it is."""

    url: str | None = Field(default=None, max_length=2000, description=URL_TEXT, examples=[HOOK_URL])
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=20, description=TYPES_TEXT,
                                          examples=[["report.*"]])
    description: str | None = Field(default=None, max_length=500, description="what it is for, for people",
                                    examples=["SIAK Pemprov Banten: keterlambatan"])
    active: bool | None = Field(default=None, examples=[True],
                                description="false pauses deliveries; true resumes (and clears a disabled state)")

    @field_validator("event_types")
    @classmethod
    def _check_filters(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _filters(value)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return None if value is None else _url(value)


class SubscriptionOut(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    secrets_valid: int = 0


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="whsec_ + base64; shown only now")


class RotateIn(BaseModel):
    grace_seconds: float | None = Field(default=None, ge=0, le=7 * 24 * 3600, examples=[86400],
                                        description="how long the previous secret stays valid, in seconds (at "
                                                    "most 7 days; null: the service default)")


class Rotated(BaseModel):
    secret: str
    previous_valid_until: datetime


class EventTypeOut(BaseModel):
    type: str
    description: str


# --- preferences and tenant settings -------------------------------------------------

Language = Literal["id", "en"]
PersonChannel = Literal["email", "whatsapp"]


class PreferenceIn(BaseModel):
    """How a person wants their notices: language and channels."""

    language: Language = Field(default="id", description="`id` (Bahasa Indonesia) or `en` (English)",
                               examples=["id"])
    channels: list[PersonChannel] = Field(default_factory=list, max_length=2, examples=[["whatsapp"]],
                                          description="`email` and/or `whatsapp`; empty: the service default")


class PreferenceOut(PreferenceIn):
    nip: str
    explicit: bool = Field(description="false when these are the service defaults")


class QuietHoursIn(BaseModel):
    """When no notice is sent to people (they wait until it ends), local to the tenant."""

    start: time = Field(description="local time (HH:MM) in the tenant's zone it starts", examples=["21:00"])
    end: time = Field(description="local time (HH:MM) it ends (before `start`: the next day)", examples=["06:00"])

    @model_validator(mode="after")
    def _differ(self) -> "QuietHoursIn":
        if self.start == self.end:
            raise ValueError("start and end must differ (send null to turn quiet hours off)")
        return self


class TenantSettingsIn(BaseModel):
    quiet_hours: QuietHoursIn | None = Field(description="local times in the tenant's zone; null: none",
                                             examples=[{"start": "21:00", "end": "06:00"}])
    escalate_daily: int = Field(ge=0, le=50, description="missed windows in a day before the head hears; 0 off",
                                examples=[2])
    escalate_weekly: int = Field(ge=0, le=250, description="missed windows in an ISO week; 0 off", examples=[5])
    escalate_bkd_days: int | None = Field(
        default=None, ge=0, le=31, examples=[3],
        description="days with a missed window (not excused) in a calendar month before the BKD hears, once that "
                    "month; 0 off; null: the service default (HADIR_NOTIFY_ESCALATE_BKD_DAYS)")
    bkd_recipients: list[Annotated[str, StringConstraints(pattern=r"^\d{18}$")]] = Field(
        default_factory=list, max_length=20, examples=[["198001012005011001"]],
        description="NIPs of the BKD staff told of absences awaiting the BKD and of escalations to it; empty: "
                    "those notices are kept on record (log channel, recipient 'bkd') for the tenant admin")


class TenantSettingsOut(TenantSettingsIn):
    timezone: str
    explicit: bool
