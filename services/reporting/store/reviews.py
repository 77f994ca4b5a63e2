"""The BKD's and heads' reviews (month-end closing, sampling, sign-off reviews) and the latest state of
heads' and the BKD's decisions (absences, corrections, reviews of check-ins)."""


from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from services.reporting.store.base import Base
from services.runtime.db import UTCDateTime

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
