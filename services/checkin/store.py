"""Tables of the check-in service and the read-model queries its routes share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql.selectable import ScalarSelect

from services.runtime.db import UTCDateTime
from services.runtime.inbox import define_inbox
from services.runtime.outbox import define_outbox


class Base(DeclarativeBase):
    metadata = MetaData()


class Checkin(Base):
    """A check-in as submitted (append-only) plus the verdict that came back."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("tenant", "employee_id", "idempotency_key", name="uq_checkin_idempotency"),
        Index("ix_checkins_employee", "tenant", "employee_id", "captured_at"),
        Index("ix_checkins_unit", "tenant", "unit_id", "captured_at"),
        # What retention has still to reduce, oldest first (services.checkin.retention).
        Index("ix_checkins_unreduced", "tenant", "captured_at",
              postgresql_where=text("reduced_at IS NULL"), sqlite_where=text("reduced_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100))
    employee_id: Mapped[str] = mapped_column(String(18))
    unit_id: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    captured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str | None] = mapped_column(String(40))
    window_id: Mapped[str | None] = mapped_column(String(40))
    late_minutes: Mapped[int | None] = mapped_column(Integer)
    geofence: Mapped[str | None] = mapped_column(String(20))
    distance_m: Mapped[float | None] = mapped_column(Float)
    suspicious: Mapped[bool | None] = mapped_column(Boolean)
    reasons: Mapped[list | None] = mapped_column(JSON)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    place_name: Mapped[str | None] = mapped_column(String(60))  # the verdict's nearest place
    local_date: Mapped[date | None] = mapped_column(Date)  # the verdict's tenant-local day
    reduced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # raw coordinates removed (retention)


class DirectoryEmployee(Base):
    """Read model of the employees the policy service publishes (``directory.updated``)."""

    __tablename__ = "directory_employees"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    nip: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean)
    is_unit_head: Mapped[bool] = mapped_column(Boolean, default=False)
    inactive_since: Mapped[date | None] = mapped_column(Date)


class DirectoryTenant(Base):
    __tablename__ = "directory_tenants"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    retention: Mapped[dict | None] = mapped_column(JSON)  # RetentionPeriods; NULL: the defaults
    calendar: Mapped[dict | None] = mapped_column(JSON)  # TenantCalendar; NULL: the national calendar


class PolicyVersion(Base):
    """Read model of ``policy.updated``: what the check-in service needs of each
    circular-letter version (its validity and the late-submission limit)."""

    __tablename__ = "policy_versions"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    policy_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    late_submission_limit_hours: Mapped[int] = mapped_column(Integer)
    window_names: Mapped[dict | None] = mapped_column(JSON)  # window id → its name in the letter
    # The letter's schedule (windows, working days, holidays: PolicyContent's own JSON) for the
    # employee's page; NULL for a version received before it was kept.
    content: Mapped[dict | None] = mapped_column(JSON)


class Review(Base):
    """Where the review of an activity report or a video-conference attendance stands: the
    latest decision of its unit's head (or the tenant's admin). No row: pending."""

    __tablename__ = "reviews"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    checkin_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    decision: Mapped[str] = mapped_column(String(20))  # approved | returned
    note: Mapped[str | None] = mapped_column(String(500))
    by_subject: Mapped[str] = mapped_column(String(200))
    by_nip: Mapped[str | None] = mapped_column(String(18))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer)


class ReviewDecision(Base):
    """Every decision ever taken on a check-in's review, in order (the audit trail; never changed)."""

    __tablename__ = "review_decisions"

    tenant: Mapped[str] = mapped_column(String(100), primary_key=True)
    checkin_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))
    by_subject: Mapped[str] = mapped_column(String(200))
    by_nip: Mapped[str | None] = mapped_column(String(18))
    by_role: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReadModelGeneration(Base):
    """One row: raised by every transaction that changes the directory or letter read models, so
    that an in-memory copy of them (:mod:`services.checkin.directory`) knows it is stale. Writers
    queue on the row's lock, so a reader that sees generation *n* sees every change up to *n*."""

    __tablename__ = "read_model_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger)


outbox = define_outbox(Base.metadata)
inbox = define_inbox(Base.metadata)


async def directory_zone(session: AsyncSession, tenant: str) -> str | None:
    """The tenant's zone as the directory published it; ``None`` before it did."""
    row = await session.get(DirectoryTenant, tenant)
    return row.timezone if row else None


async def letters(session: AsyncSession, tenant: str) -> Sequence[PolicyVersion]:
    """Every circular-letter version of the tenant the read model holds."""
    return (await session.scalars(select(PolicyVersion).where(PolicyVersion.tenant == tenant))).all()


async def reviews_of(session: AsyncSession, tenant: str, rows: Sequence[Checkin]) -> dict[str, Review]:
    """The reviews decided on ``rows`` (of the tenant), by check-in id; a check-in without one is pending."""
    ids = [r.id for r in rows]
    if not ids:
        return {}
    found = await session.scalars(select(Review).where(Review.tenant == tenant, Review.checkin_id.in_(ids)))
    return {r.checkin_id: r for r in found.all()}


async def read_models_changed(session: AsyncSession) -> None:
    """Raise the read models' generation (in the transaction that changed them)."""
    await session.execute(update(ReadModelGeneration).where(ReadModelGeneration.id == 1)
                          .values(generation=ReadModelGeneration.generation + 1))


def read_models_generation() -> ScalarSelect[int]:
    """The read models' generation, as a scalar subquery (read with the group's clock: :func:`.submission`)."""
    return select(ReadModelGeneration.generation).where(ReadModelGeneration.id == 1).scalar_subquery()
