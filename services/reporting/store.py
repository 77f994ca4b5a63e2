"""Tables of the reporting service: read models built from events, and what it decided."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.runtime.inbox import define_inbox
from services.runtime.outbox import define_outbox


class Base(DeclarativeBase):
    metadata = MetaData()


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))


class Unit(Base):
    __tablename__ = "units"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    effective_sector: Mapped[str] = mapped_column(String(20))


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


class PolicyVersion(Base):
    __tablename__ = "policy_versions"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(100))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    effective_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    content: Mapped[dict] = mapped_column(JSON)


class RosterDay(Base):
    __tablename__ = "roster_days"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    mode: Mapped[str] = mapped_column(String(3))


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
    captured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WindowClosure(Base):
    """A (tenant, day, window) whose overdue check ran; the primary key makes the
    decision once, also with several reporting instances."""

    __tablename__ = "window_closures"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    window_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    phase: Mapped[str] = mapped_column(String(10), primary_key=True)  # "due_soon" | "overdue"
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    flagged: Mapped[int] = mapped_column(Integer)


class Overdue(Base):
    """An expected check-in that did not arrive in time; ``late`` once it arrives after all."""

    __tablename__ = "overdue"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    window_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)
