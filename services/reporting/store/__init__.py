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

from services.reporting.store.base import Base, inbox, outbox, roster_tables
from services.reporting.store.ledger import (
    AuditEntry,
    EvaluatedMark,
    Expectation,
    MonthlyClosure,
    MonthlyScore,
    ScoreWeights,
    UnitDay,
    Verification,
    WindowClosure,
)
from services.reporting.store.read_models import (
    Contact,
    Employee,
    Evaluation,
    PolicyVersion,
    RosterDay,
    Tenant,
    Unit,
)
from services.reporting.store.reviews import (
    Absence,
    Correction,
    Review,
    SampleMark,
    SamplingSettings,
    SignOffReview,
    UnitMonthClosing,
    UnitMonthComment,
)

__all__ = [
    "Absence",
    "AuditEntry",
    "Base",
    "Contact",
    "Correction",
    "Employee",
    "EvaluatedMark",
    "Evaluation",
    "Expectation",
    "MonthlyClosure",
    "MonthlyScore",
    "PolicyVersion",
    "Review",
    "RosterDay",
    "SampleMark",
    "SamplingSettings",
    "ScoreWeights",
    "SignOffReview",
    "Tenant",
    "Unit",
    "UnitDay",
    "UnitMonthClosing",
    "UnitMonthComment",
    "Verification",
    "WindowClosure",
    "inbox",
    "outbox",
    "roster_tables",
]
