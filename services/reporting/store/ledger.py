"""Reporting's own decisions: window closures, the ledger of expected check-ins, unit days, sign-offs,
the audit trail and the month's scores."""


from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, Float, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.store.base import Base
from services.runtime.db import UTCDateTime

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
