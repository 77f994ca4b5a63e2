"""The reporting service's part of the data-subject download (UU PDP 27/2022, the right of
access): ``GET /v1/me/export?format=json|csv``, for the employee the token names (a unit head
is an employee too).

Sections, one per table this service keys by employee: ``profile`` (the directory entry),
``contacts`` (the phone number the dashboard's WhatsApp and telephone links use),
``rosters`` (work mode per day), ``evaluations`` (the verdicts it counted), ``ledger`` (each
expected check-in of a closed window: on time, late, missing, overdue), ``monthly_scores`` and
``verifications`` (the days they signed off as unit head), ``absences``, ``corrections`` and
``reviews`` (the decisions on their days as reporting applies them: kinds, days, statuses —
never a reason, which stays with policy and checkin), ``month_comments`` (their unit head's
comments in month-end closings) and ``sample_marks`` (the BKD's checks of their sampled
location check-ins). Reporting holds no coordinates. The
due-soon and overdue notices it raised are the ledger's entries here, and notify's export holds
them as they were sent (reporting keeps no other copy than its outbox rows, pruned after a week).

Guarantee: only rows of the token's tenant and NIP, in the form of
:mod:`services.runtime.self_export`; every section present, empty or not.
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.store import (
    Absence,
    Contact,
    Correction,
    Employee,
    Evaluation,
    Expectation,
    MonthlyScore,
    Review,
    RosterDay,
    SampleMark,
    Tenant,
    UnitMonthComment,
    Verification,
)
from services.runtime import self_export
from services.runtime.data_subject import DataSubject
from services.runtime.deps import Runtime
from services.runtime.self_export import SelfExport, row_record

router = APIRouter(prefix="/v1", tags=["self-service"])

SECTIONS = ("profile", "contacts", "rosters", "evaluations", "ledger", "monthly_scores", "verifications", "absences",
            "corrections", "reviews", "month_comments", "sample_marks")


@router.get("/me/export", summary="Unduh data saya / download my data (reports)", responses=self_export.RESPONSES)
async def export(me: DataSubject, rt: Runtime, format: self_export.FormatQuery = "json") -> Response:
    """The caller's own data held by the reporting service (UU PDP 27/2022, the right of access): profile, phone
    number, rosters, evaluations, the ledger of expected check-ins, monthly scores, sign-offs, absences, corrections
    and reviews as applied (no reasons), month-end comments and sample marks; no coordinates. `format=json` (one
    document) or `csv` (one row per field: section, record, field, value). Any token with a NIP."""
    tenant, nip = me.tenant, me.nip
    async with rt.sessions() as session:
        known = await session.get(Tenant, tenant)
        tz = known.timezone if known else "UTC"  # a tenant reporting does not know: nothing to show anyway
        sections = {name: [row_record(r, tz) for r in await _rows(session, model, tenant, nip, *order)]
                    for name, (model, order) in _TABLES.items()}
    return self_export.response(SelfExport("reporting", tenant, nip, datetime.now(UTC),
                                           {name: sections[name] for name in SECTIONS}), format)


# name → (table, the columns to order by); each keyed by (tenant, NIP).
_TABLES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "profile": (Employee, ()),
    "contacts": (Contact, ()),
    "rosters": (RosterDay, (RosterDay.day,)),
    "evaluations": (Evaluation, (Evaluation.captured_at, Evaluation.checkin_id)),
    "ledger": (Expectation, (Expectation.day, Expectation.deadline, Expectation.window_id)),
    "monthly_scores": (MonthlyScore, (MonthlyScore.month,)),
    "verifications": (Verification, (Verification.day, Verification.unit_id)),
    "absences": (Absence, (Absence.start, Absence.absence_id)),
    "corrections": (Correction, (Correction.local_date, Correction.window_id, Correction.correction_id)),
    "reviews": (Review, (Review.local_date, Review.checkin_id)),
    "month_comments": (UnitMonthComment, (UnitMonthComment.month, UnitMonthComment.unit_id)),
    "sample_marks": (SampleMark, (SampleMark.day, SampleMark.checkin_id)),
}


async def _rows(session: AsyncSession, model: Any, tenant: str, nip: str, *order: Any) -> Sequence[Any]:
    person = model.verified_nip if model is Verification else model.nip
    return (await session.scalars(select(model).where(model.tenant == tenant, person == nip).order_by(*order))).all()
