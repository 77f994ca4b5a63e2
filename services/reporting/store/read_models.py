"""Read models: what other services' events told reporting (tenants, units, employees, contacts, letters,
evaluations)."""


from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.store.base import Base, roster_tables
from services.runtime.db import UTCDateTime

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
