"""Tables of the notify service: read models of the directory (profiles and, apart, contact
details), of the letters, absences and rosters; people's preferences, per-tenant settings,
webhook subscriptions and the delivery log."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import overload

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.runtime.db import UTCDateTime
from services.runtime.inbox import define_inbox
from services.runtime.outbox import define_outbox
from services.runtime.rosters import define_roster_tables


class Base(DeclarativeBase):
    metadata = MetaData()


# --- read models of the directory (directory.updated.v2, directory.contacts.v1) -------


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    retention: Mapped[dict | None] = mapped_column(JSON)  # RetentionPeriods; NULL: the defaults
    calendar: Mapped[dict | None] = mapped_column(JSON)  # TenantCalendar; NULL: the national calendar


class Unit(Base):
    __tablename__ = "units"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[str | None] = mapped_column(String(100))
    sector: Mapped[str | None] = mapped_column(String(20))  # the unit's own statement, if any
    effective_sector: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Recipient(Base):
    """An employee as ``directory.updated.v2`` describes them (no contact details: :class:`Contact`)."""

    __tablename__ = "recipients"
    __table_args__ = (Index("ix_recipients_unit_head", "tenant", "unit_id", "is_unit_head"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(100))
    is_unit_head: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Contact(Base):
    """How to reach one employee (``directory.contacts.v1``; its tombstone deletes the row). Apart from
    :class:`Recipient` because the two topics arrive in any order: details of someone not yet known wait
    here, and are used only once a recipient with the same NIP exists (:mod:`services.notify.audience`)."""

    __tablename__ = "contacts"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))


# --- owned by notify ------------------------------------------------------------------


class Preference(Base):
    """A person's language and channels, set by themselves or an administrator."""

    __tablename__ = "preferences"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    language: Mapped[str] = mapped_column(String(5))
    channels: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TenantSettings(Base):
    """Quiet hours and escalation thresholds of one tenant (absent: service defaults)."""

    __tablename__ = "tenant_settings"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    escalate_daily: Mapped[int] = mapped_column(Integer)
    escalate_weekly: Mapped[int] = mapped_column(Integer)
    escalate_bkd_days: Mapped[int | None] = mapped_column(Integer)  # NULL: the service default
    bkd_recipients: Mapped[list[str] | None] = mapped_column(JSON)  # NIPs told what goes to the BKD
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OverdueMark(Base):
    """One missed window of one employee: the basis of escalation counts."""

    __tablename__ = "overdue_marks"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    window_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))


class LetterVersion(Base):
    """A circular-letter version as ``policy.updated`` carries it: which days the tenant works
    (:func:`services.contracts.rules.calendar.is_working_day`) and the names of its windows."""

    __tablename__ = "letter_versions"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[dict] = mapped_column(JSON)


class DecisionRevision(Base):
    """The highest revision seen of one absence, correction or review (``subject``): an event
    at or below it is a redelivery or arrived out of order, and tells nobody anything."""

    __tablename__ = "decision_revisions"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    subject: Mapped[str] = mapped_column(String(20), primary_key=True)  # absence, correction, review
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)


class Absence(Base):
    """The latest state of an employee's absence (``absence.updated``): the days it excuses get
    no office-day reminder and count for no escalation to the BKD."""

    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_employee", "tenant", "nip", "start"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    cancelled_from: Mapped[date | None] = mapped_column(Date)


class BkdEscalation(Base):
    """The month an employee's missed days were escalated to the BKD: once a month."""

    __tablename__ = "bkd_escalations"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    event_id: Mapped[str] = mapped_column(String(64))


# The units' rosters (from roster.published): which (employee, day) entries each event
# took over or dropped, so reminders follow the roster (services.runtime.rosters).
roster_tables = define_roster_tables(Base.metadata)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookSecret(Base):
    """Signing secrets of a subscription; during a rotation the old one lives until ``expires_at``."""

    __tablename__ = "webhook_secrets"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True)
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Notification(Base):
    """The delivery log: one row per (source event, kind, occurrence, recipient, channel).

    Written by the consumer in the event's transaction; delivered afterwards by the
    delivery loop, which moves ``status`` from ``pending`` through ``sending`` to
    ``sent``, ``failed`` (permanent), ``dead`` (retries exhausted or expired) or
    ``cancelled``; a row no channel can carry is written ``skipped`` (the reason in ``last_error``)
    and never picked up. ``next_attempt_at`` is when the loop may pick the row up next.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("source_event_id", "kind", "occurrence", "recipient", "channel",
                         name="uq_notification_once"),
        Index("ix_notifications_due", "next_attempt_at",
              postgresql_where=text("status IN ('pending', 'sending')"),
              sqlite_where=text("status IN ('pending', 'sending')")),
        Index("ix_notifications_tenant_created", "tenant", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), index=True)
    source_event_id: Mapped[str] = mapped_column(String(64))
    source_event_type: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    occurrence: Mapped[str] = mapped_column(String(40), default="")
    recipient: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(5), default="id")
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    traceparent: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeliveryAttempt(Base):
    """One try at delivering a notification, whatever came of it."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    notification_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(20))  # ok, retry, failed, cancelled
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)


@overload
def utc(value: datetime) -> datetime: ...


@overload
def utc(value: None) -> None: ...


def utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
