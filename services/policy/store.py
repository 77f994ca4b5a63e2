"""Tables of the policy service."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, Index, Integer, MetaData, String, Text, Uuid, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.runtime.db import UTCDateTime
from services.runtime.inbox import define_inbox
from services.runtime.outbox import define_outbox


class Base(DeclarativeBase):
    metadata = MetaData()


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64))
    retention: Mapped[dict | None] = mapped_column(JSON)  # RetentionPeriods; NULL: the defaults
    calendar: Mapped[dict | None] = mapped_column(JSON)  # TenantCalendar; NULL: DEFAULT_CALENDAR (national)


class Unit(Base):
    __tablename__ = "units"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(String(100))
    sector: Mapped[str | None] = mapped_column(String(20))
    effective_sector: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Employee(Base):
    __tablename__ = "employees"
    __table_args__ = (Index("ix_employees_unit", "tenant", "unit_id"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    unit_id: Mapped[str] = mapped_column(String(100))
    is_teacher: Mapped[bool] = mapped_column(Boolean, default=False)
    is_front_line: Mapped[bool] = mapped_column(Boolean, default=False)
    is_unit_head: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    places: Mapped[list] = mapped_column(JSON, default=list)
    inactive_since: Mapped[date | None] = mapped_column(Date)  # set when active turns false, cleared again


class PolicyVersion(Base):
    """One version of a circular letter; amendments add versions, nothing is overwritten.

    A following version closes this one: ``valid_until`` becomes the day before the
    follower starts, ``declared_valid_until`` keeps the end it was signed with and
    ``superseded_at`` says when the closing took effect (see ``domain.letters`` and ``contracts.rules.versions``).
    ``published_at`` is set in the transaction that stages its ``policy.updated``.
    """

    __tablename__ = "policy_versions"
    __table_args__ = (
        Index("ix_policy_versions_tenant", "tenant", "effective_at"),
        Index("ix_policy_versions_due", "effective_at",
              postgresql_where=text("published_at IS NULL"), sqlite_where=text("published_at IS NULL")),
    )
    # A withdrawn version (``withdrawn_at`` set) was never published and never will be; it stays in the
    # history, and every read that chooses a version leaves it out (:mod:`.letters`).

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    signatory: Mapped[str] = mapped_column(String(200), default="")
    legal_basis: Mapped[list] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    declared_valid_until: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by: Mapped[int | None] = mapped_column(Integer)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200), default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # withdrawn before it took effect
    withdrawn_by: Mapped[str | None] = mapped_column(String(200))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))


class LastFix(Base):
    """The previous location of each employee, for the impossible-travel check."""

    __tablename__ = "last_fixes"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)


class ReceivedMark(Base):
    """The latest watermark mark consumed from each partition of ``checkin.received``: the
    verdicts of every check-in before it are committed (forwarded by the relay,
    :mod:`services.policy.marks`). Pipeline-wide, so no tenant column."""

    __tablename__ = "received_marks"

    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    partitions: Mapped[int] = mapped_column(Integer)
    accepted_until: Mapped[datetime] = mapped_column(UTCDateTime())


class RosterDay(Base):
    """One employee's work mode on one working day, from a generated roster or an override."""

    __tablename__ = "roster_days"
    __table_args__ = (Index("ix_roster_days_unit", "tenant", "unit_id", "day"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100))
    mode: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(10), default="plan")  # plan | override
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class RosterOverride(Base):
    """Audit of a unit head's change to one day of a roster: who, when, old and new mode, why."""

    __tablename__ = "roster_overrides"
    __table_args__ = (Index("ix_roster_overrides_unit", "tenant", "unit_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[str] = mapped_column(String(100))
    nip: Mapped[str] = mapped_column(String(18))
    day: Mapped[date] = mapped_column(Date)
    old_mode: Mapped[str] = mapped_column(String(3))
    new_mode: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    actor_roles: Mapped[list] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class RosterRun(Base):
    """Audit of one roster generation for a unit and a date range."""

    __tablename__ = "roster_runs"
    __table_args__ = (Index("ix_roster_runs_unit", "tenant", "unit_id", "start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(100))
    unit_id: Mapped[str] = mapped_column(String(100))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    members: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RosterRevision(Base):
    """The tenant's latest roster revision: every change of a roster takes the next one, in
    the transaction that makes it, so revisions follow the order of the changes (the row lock
    holds a second change until the first commits); consumers order ``roster.published`` by it."""

    __tablename__ = "roster_revisions"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)



class RosterJob(Base):
    """One bulk roster generation: a date range over several units of a tenant (:mod:`.roster_jobs`).

    ``units_done`` counts units finished (generated or failed), ``units_failed`` those that failed;
    both rise in the transaction that finishes the unit, and the one that finishes the last unit
    sets ``status`` and ``finished_at``."""

    __tablename__ = "roster_jobs"
    __table_args__ = (Index("ix_roster_jobs_tenant", "tenant", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    requested_by: Mapped[str] = mapped_column(String(200))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    replace_overrides: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_ids: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))  # queued | running | done | failed
    units_total: Mapped[int] = mapped_column(Integer)
    units_done: Mapped[int] = mapped_column(Integer, default=0)
    units_failed: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RosterJobUnit(Base):
    """One unit of a bulk roster job: pending until a worker generates it (or records why it could not)
    in one transaction, so a unit finished is never redone and a crash leaves it pending."""

    __tablename__ = "roster_job_units"
    __table_args__ = (Index("ix_roster_job_units_pending", "job_id",
                            postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),)

    job_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))  # pending | done | failed
    changed: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[dict | None] = mapped_column(JSON)  # {"type", "id", "en"}: why it failed, in both languages
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LocationRead(Base):
    """One read of an employee's personal location data: the access log (:mod:`.access_log`).

    Append-only: on PostgreSQL a trigger (migration "privacy reads") refuses every UPDATE, and every
    DELETE unless the transaction said ``SET LOCAL hadir.retention = 'on'`` (the retention job)."""

    __tablename__ = "location_reads"
    __table_args__ = (Index("ix_location_reads_employee", "tenant", "employee_id", "at"),
                      Index("ix_location_reads_at", "tenant", "at"))

    read_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    employee_id: Mapped[str] = mapped_column(String(18))
    actor: Mapped[str] = mapped_column(String(200))
    actor_nip: Mapped[str | None] = mapped_column(String(200))
    actor_roles: Mapped[list] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(String(500))
    endpoint: Mapped[str] = mapped_column(String(300))
    data: Mapped[str] = mapped_column(String(20))
    records: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProfileCorrection(Base):
    """An employee's request to correct one field of their profile, and the tenant admin's decision
    (:mod:`.corrections`). At most one pending request per employee and field (a partial unique index)."""

    __tablename__ = "profile_corrections"
    __table_args__ = (
        Index("ix_profile_corrections_status", "tenant", "status", "requested_at"),
        Index("ix_profile_corrections_employee", "tenant", "employee_id", "requested_at"),
        Index("ux_profile_corrections_pending", "tenant", "employee_id", "field", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    employee_id: Mapped[str] = mapped_column(String(18))
    field: Mapped[str] = mapped_column(String(20))  # name | position | email | phone
    old_value: Mapped[str | None] = mapped_column(String(320))
    new_value: Mapped[str | None] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10))  # pending | approved | rejected
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(500), default="")


class DirectoryBackfill(Base):
    """How far the directory has been published on the topics an upgrade introduced (:mod:`.backfill`):
    the phase (tenants, units, employees, done) and the last key published in it."""

    __tablename__ = "directory_backfill"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    phase: Mapped[str] = mapped_column(String(20))
    after_tenant: Mapped[str | None] = mapped_column(String(100))
    after_key: Mapped[str | None] = mapped_column(String(100))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Absence(Base):
    """An employee's absence (cuti, sakit, izin, dinas luar, tugas belajar) and its decisions
    (:mod:`.absences`): the head's step, the BKD's when the letter asks for it, a cancellation.
    Days are tenant-local; ``revision`` grows with every change (the ``absence.updated`` events')."""

    __tablename__ = "absences"
    __table_args__ = (
        Index("ix_absences_employee", "tenant", "employee_id", "start"),
        Index("ix_absences_unit", "tenant", "unit_id", "created_at"),
        Index("ix_absences_created", "tenant", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    employee_id: Mapped[str] = mapped_column(String(18))
    unit_id: Mapped[str] = mapped_column(String(100))  # the employee's unit when asked
    kind: Mapped[str] = mapped_column(String(20))  # AbsenceKind
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(1000))
    attachment_ref: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))  # AbsenceStatus
    needs_bkd: Mapped[bool] = mapped_column(Boolean, default=False)
    place_name: Mapped[str | None] = mapped_column(String(200))  # dinas luar: the day's alternative place
    place_latitude: Mapped[float | None] = mapped_column(Float)
    place_longitude: Mapped[float | None] = mapped_column(Float)
    place_radius_m: Mapped[float | None] = mapped_column(Float)
    head_by: Mapped[str | None] = mapped_column(String(200))
    head_nip: Mapped[str | None] = mapped_column(String(200))
    head_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    head_note: Mapped[str | None] = mapped_column(String(500))
    bkd_by: Mapped[str | None] = mapped_column(String(200))
    bkd_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bkd_note: Mapped[str | None] = mapped_column(String(500))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_from: Mapped[date | None] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class VerdictCorrection(Base):
    """An employee contesting one window's verdict on one day, and the head's decision
    (:mod:`.verdict_corrections`). At most one open request per employee, day and window (a partial
    unique index)."""

    __tablename__ = "verdict_corrections"
    __table_args__ = (
        Index("ix_verdict_corrections_employee", "tenant", "employee_id", "created_at"),
        Index("ix_verdict_corrections_unit", "tenant", "unit_id", "created_at"),
        Index("ux_verdict_corrections_open", "tenant", "employee_id", "local_date", "window_id", unique=True,
              postgresql_where=text("status = 'requested'"), sqlite_where=text("status = 'requested'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    employee_id: Mapped[str] = mapped_column(String(18))
    unit_id: Mapped[str] = mapped_column(String(100))
    local_date: Mapped[date] = mapped_column(Date)
    window_id: Mapped[str] = mapped_column(String(40))
    checkin_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    contested: Mapped[str] = mapped_column(String(20))  # Contested
    explanation: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(10))  # CorrectionStatus
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_nip: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(500))
    revision: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)
