"""Tables of the reporting service: read models built from events, and what it decided.

Read models (from other services' events): ``tenants``, ``units``, ``employees``,
``contacts`` (phone numbers for the dashboard's contact links), ``policy_versions``,
``roster_days`` (with ``roster_chunks``), ``evaluations``.

Decisions (this service's own facts):

- ``window_closures``: a (tenant, day, window, phase) whose due-soon or overdue check
  ran; its primary key makes each decision once, also with several instances;
- ``expectations``: the ledger of expected check-ins, one row per (tenant, day,
  window, employee), written when the window closes: on time, late or missing,
  outside the geofence, suspicious, and whether a ``report.overdue`` went out;
- ``unit_days``: each unit's in-office share on a day (from rosters), frozen with
  the day's first closure, for the national view and the metrics;
- ``verifications`` and ``audit_log``: a unit head's sign-off of a unit's day;
- ``monthly_closures`` and ``monthly_scores``: the month-end evaluation with the
  discipline score of every employee, frozen with the weights used;
- ``score_weights``: a tenant's own weights for the discipline score;
- ``absences``, ``corrections``, ``reviews``: the latest state of the decisions of heads and
  the BKD (read models of ``absence.updated``, ``correction.updated``, ``checkin.reviewed``),
  which the ledger applies (:mod:`services.reporting.domain.decisions`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, Index, Integer, MetaData, String, false, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.runtime.db import UTCDateTime
from services.runtime.inbox import define_inbox
from services.runtime.outbox import define_outbox
from services.runtime.rosters import define_roster_tables


class Base(DeclarativeBase):
    metadata = MetaData()


# --- read models -------------------------------------------------------------------


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), default="province", server_default="province")
    retention: Mapped[dict | None] = mapped_column(JSON)  # RetentionPeriods; NULL: the defaults
    calendar: Mapped[dict | None] = mapped_column(JSON)  # TenantCalendar; NULL: the national calendar


class Unit(Base):
    __tablename__ = "units"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    effective_sector: Mapped[str] = mapped_column(String(20))
    sector: Mapped[str | None] = mapped_column(String(20))  # the unit's own statement, if any
    kind: Mapped[str] = mapped_column(String(20), default="department", server_default="department")
    parent_id: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Employee(Base):
    __tablename__ = "employees"
    __table_args__ = (Index("ix_rep_employees_unit", "tenant", "unit_id"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean)
    is_teacher: Mapped[bool] = mapped_column(Boolean, default=False)
    is_front_line: Mapped[bool] = mapped_column(Boolean, default=False)
    is_unit_head: Mapped[bool] = mapped_column(Boolean, default=False)


class Contact(Base):
    """An employee's phone number (``directory.contacts.v1``; its tombstone or a record without a
    phone deletes the row): only for the dashboard's WhatsApp and telephone links, shown to the
    employee's unit head and the tenant admin (docs/privacy.md). No e-mail: the dashboard has no
    mailto link."""

    __tablename__ = "contacts"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))


class PolicyVersion(Base):
    __tablename__ = "policy_versions"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[dict] = mapped_column(JSON)


roster_tables = define_roster_tables(Base.metadata)  # roster_days and roster_chunks (services.runtime.rosters)


class RosterDay(Base):
    __table__ = roster_tables.days

    tenant: Mapped[str]
    nip: Mapped[str]
    day: Mapped[date]
    mode: Mapped[str]
    unit_id: Mapped[str | None]
    revision: Mapped[int]


class Evaluation(Base):
    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_day", "tenant", "local_date", "window_id"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    checkin_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18))
    unit_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    local_date: Mapped[date] = mapped_column(Date)
    window_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))
    late_minutes: Mapped[int] = mapped_column(Integer, default=0)
    geofence: Mapped[str] = mapped_column(String(20))
    suspicious: Mapped[bool] = mapped_column(Boolean, default=False)
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The nearest allowed place (its kind decides "in the office"; never coordinates). None before policy sent it.
    place_kind: Mapped[str | None] = mapped_column(String(10))
    nearest_place: Mapped[str | None] = mapped_column(String(200))
    distance_m: Mapped[float | None] = mapped_column(Float)


# --- decisions -----------------------------------------------------------------------


class WindowClosure(Base):
    """A (tenant, day, window) whose due-soon or overdue check ran; the primary key makes
    the decision once, also with several reporting instances."""

    __tablename__ = "window_closures"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    window_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    phase: Mapped[str] = mapped_column(String(10), primary_key=True)  # "due_soon" | "overdue"
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    flagged: Mapped[int] = mapped_column(Integer)
    expected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    policy_number: Mapped[str | None] = mapped_column(String(100))
    # Closed after the maximum hold, before the pipeline's watermark had passed the deadline.
    forced: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class EvaluatedMark(Base):
    """The latest watermark mark per (partition of ``checkin.evaluated``, partition of
    ``checkin.received`` it forwards): :mod:`services.reporting.domain.watermark`. Pipeline-wide."""

    __tablename__ = "evaluated_marks"

    partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source_partition: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    partitions: Mapped[int] = mapped_column(Integer)
    source_partitions: Mapped[int] = mapped_column(Integer)
    accepted_until: Mapped[datetime] = mapped_column(UTCDateTime())


class Expectation(Base):
    """One expected check-in of a closed window: the ledger the reports count."""

    __tablename__ = "expectations"
    __table_args__ = (
        Index("ix_expectations_unit", "tenant", "day", "unit_id"),
        Index("ix_expectations_nip", "tenant", "nip", "day"),
    )

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    window_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100))
    sector: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))  # on_time | late | missing | excused
    late_minutes: Mapped[int] = mapped_column(Integer, default=0)
    outside_geofence: Mapped[bool] = mapped_column(Boolean, default=False)
    suspicious: Mapped[bool] = mapped_column(Boolean, default=False)
    checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    # Decisions (services.reporting.domain.decisions): excused by an absence of this kind; the
    # verdict before an approved correction changed it; when a row last changed after the closure.
    absence_kind: Mapped[str | None] = mapped_column(String(20))
    original_status: Mapped[str | None] = mapped_column(String(10))
    original_late_minutes: Mapped[int | None] = mapped_column(Integer)
    original_outside_geofence: Mapped[bool | None] = mapped_column(Boolean)
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UnitDay(Base):
    """A unit's work modes on a day (from rosters and exemptions) and its sector quota."""

    __tablename__ = "unit_days"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    sector: Mapped[str] = mapped_column(String(20))
    quota_pct: Mapped[int] = mapped_column(Integer)
    headcount: Mapped[int] = mapped_column(Integer)
    wfo: Mapped[int] = mapped_column(Integer)
    wfh: Mapped[int] = mapped_column(Integer)
    unknown: Mapped[int] = mapped_column(Integer)


class Verification(Base):
    """A unit head's sign-off: the unit's report for the day is checked."""

    __tablename__ = "verifications"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    verified_by: Mapped[str] = mapped_column(String(200))
    verified_nip: Mapped[str | None] = mapped_column(String(18))
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(1000))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_tenant_at", "tenant", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    tenant: Mapped[str] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list] = mapped_column(JSON)
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class MonthlyClosure(Base):
    """A tenant's month-end evaluation, made once, with the weights it used."""

    __tablename__ = "monthly_closures"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    weights: Mapped[dict] = mapped_column(JSON)
    employees: Mapped[int] = mapped_column(Integer, default=0)


class MonthlyScore(Base):
    __tablename__ = "monthly_scores"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100))
    expected: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    late: Mapped[int] = mapped_column(Integer)
    missing: Mapped[int] = mapped_column(Integer)
    outside_geofence: Mapped[int] = mapped_column(Integer)
    suspicious: Mapped[int] = mapped_column(Integer)
    late_minutes: Mapped[int] = mapped_column(Integer)
    credit: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)
    predicate: Mapped[str | None] = mapped_column(String(30))
    excused: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # not in ``expected``
    revised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # re-scored after the freeze


class ScoreWeights(Base):
    __tablename__ = "score_weights"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    weights: Mapped[dict] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- BKD and heads' reviews: month-end closing of a unit, sampling, acceptance of sign-offs ---------


class UnitMonthClosing(Base):
    """A unit head's month-end evaluation of the unit ("setiap tanggal 31 ada evaluasi oleh
    kepala OPD"): once per (tenant, month, unit), with a comment."""

    __tablename__ = "unit_month_closings"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    closed_by: Mapped[str] = mapped_column(String(200))
    closed_nip: Mapped[str | None] = mapped_column(String(18))
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(String(1000))


class UnitMonthComment(Base):
    """The head's comment on one employee in a unit's month-end closing."""

    __tablename__ = "unit_month_comments"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    comment: Mapped[str] = mapped_column(String(1000))


class SamplingSettings(Base):
    """A tenant's size of the BKD's daily sample of location check-ins, per unit."""

    __tablename__ = "sampling_settings"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    sample_size: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SampleMark(Base):
    """The BKD's check of one sampled location check-in: verified or rejected, by whom, when."""

    __tablename__ = "sample_marks"
    __table_args__ = (Index("ix_sample_marks_day", "tenant", "day"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    checkin_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    nip: Mapped[str] = mapped_column(String(18))
    result: Mapped[str] = mapped_column(String(10))  # verified | rejected
    note: Mapped[str | None] = mapped_column(String(1000))
    marked_by: Mapped[str] = mapped_column(String(200))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SignOffReview(Base):
    """The BKD's decision on a unit head's sign-off of a day: accepted, or returned with a note
    (the head may then sign the day off again, which removes this row)."""

    __tablename__ = "sign_off_reviews"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    decision: Mapped[str] = mapped_column(String(10))  # accepted | returned
    note: Mapped[str | None] = mapped_column(String(1000))
    reviewed_by: Mapped[str] = mapped_column(String(200))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- decisions of heads and the BKD (absences, verdict corrections, reviews) ------------------
# Latest state per id from absence.updated, correction.updated and checkin.reviewed (the highest
# revision wins); what they do to the ledger: services.reporting.domain.decisions.


class Absence(Base):
    """An employee's absence as policy last told it; ``excused_start``..``excused_end``: the days
    it excuses (services.contracts.rules.absence.excused_span), NULL when none."""

    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_nip", "tenant", "nip", "excused_start"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    absence_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18))
    unit_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    cancelled_from: Mapped[date | None] = mapped_column(Date)
    excused_start: Mapped[date | None] = mapped_column(Date)
    excused_end: Mapped[date | None] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Correction(Base):
    """An employee's contest of one window's verdict, as policy last told it."""

    __tablename__ = "corrections"
    __table_args__ = (Index("ix_corrections_window", "tenant", "local_date", "window_id"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    correction_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18))
    unit_id: Mapped[str | None] = mapped_column(String(100))
    local_date: Mapped[date] = mapped_column(Date)
    window_id: Mapped[str] = mapped_column(String(40))
    contested: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    revision: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Review(Base):
    """A head's review of a check-in (activity report, video conference), as checkin last told it."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_window", "tenant", "local_date", "window_id"),)

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    checkin_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18))
    local_date: Mapped[date] = mapped_column(Date)
    window_id: Mapped[str | None] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(10))  # approved | returned
    revision: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)
