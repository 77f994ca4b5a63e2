"""Heads' reviews of activity reports and video-conference attendance:
``GET /v1/reviews`` (a day's, newest first, a page at a time), ``GET /v1/reviews/{checkin_id}``
(one, with every decision taken on it) and ``POST /v1/checkins/{checkin_id}/review`` (approve,
or return with a note).

Guarantee: a unit head reads and decides on their own unit's check-ins only, the tenant's admin
on those of any unit of the tenant, nobody on their own; another tenant's check-in is not found.
A decision is stored (its current state and a history row that is never changed) with its
``checkin.reviewed`` event (no report text, meeting reference or attachment) in one transaction;
decisions on one check-in take turns on its row lock, so a revision is never given twice. No
coordinates are read here.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin.api.common import day_bounds
from services.checkin.domain import reviews
from services.checkin.domain.days import tenant_zone
from services.checkin.schemas import ReviewDetail, ReviewIn, ReviewPage, ReviewState
from services.checkin.store import (
    Checkin,
    DirectoryEmployee,
    PolicyVersion,
    Review,
    ReviewDecision,
    directory_zone,
    letters,
    reviews_of,
)
from services.contracts.policy import local_date
from services.runtime import errors, outbox, pages
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.pages import After, Limit

router = APIRouter(prefix="/v1", tags=["reviews"])

Reviewer = Annotated[Principal, Depends(role("unit_head", "tenant_admin"))]
CheckinId = Annotated[uuid.UUID, Path()]
CHECKIN = errors.Text("Check-in", "check-in")
NOT_REVIEWED = errors.Text("Hanya laporan kegiatan dan kehadiran rapat daring yang dinilai",
                           "only activity reports and video-conference attendance are reviewed")
OWN_CHECKIN = errors.Text("Anda tidak dapat menilai check-in Anda sendiri", "you cannot review your own check-in")
REFUSALS = {"own_checkin": OWN_CHECKIN, "not_your_unit": errors.text("not_your_unit")}
KINDS = sorted(k.value for k in reviews.REVIEWED_KINDS)
REFUSED: dict[int | str, dict[str, Any]] = {
    403: {"description": "not the head of the check-in's unit, nor the tenant's admin; or one's own"},
    404: {"description": "no such check-in in the caller's tenant"},
}


@router.get("/reviews", response_model=ReviewPage,
            summary="Laporan untuk dinilai / activity reports and video conferences to review (a day, newest first)",
            description="A unit head sees their own unit; the tenant's admin any unit (all without `unit_id`). "
                        "`date` is a day on the tenant's clock (default: today).",
            responses={403: {"description": "a unit head asking for another unit"}})
async def list_reviews(
    principal: Reviewer, rt: Runtime,
    day: Annotated[date | None, Query(alias="date", description="a day (YYYY-MM-DD) in the tenant's zone; "
                                                                "default: today there")] = None,
    unit_id: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
    kind: Annotated[Literal["activity_report", "video_conference"] | None, Query()] = None,
    status: Annotated[ReviewState | None, Query()] = None,
    limit: Limit = pages.DEFAULT_LIMIT,
    after: After = None,
) -> ReviewPage:
    tenant = principal.require_tenant()
    unit = _unit(principal, unit_id)
    async with rt.sessions() as session:
        versions, tz = await _clock(session, tenant)
        start, end = day_bounds(day or local_date(datetime.now(UTC), tz), tz)
        query = (select(Checkin)
                 .outerjoin(Review, (Review.tenant == Checkin.tenant) & (Review.checkin_id == Checkin.id))
                 .where(Checkin.tenant == tenant, Checkin.kind.in_([kind] if kind else KINDS),
                        Checkin.captured_at >= start, Checkin.captured_at < end))
        if unit is not None:
            query = query.where(Checkin.unit_id == unit)
        if status == "pending":
            query = query.where(Review.checkin_id.is_(None))
        elif status is not None:
            query = query.where(Review.decision == status)
        rows, next_after = await pages.newest_first(session, query, Checkin.captured_at, Checkin.id, after, limit)
        names, decided = await _names(session, tenant, rows), await reviews_of(session, tenant, rows)
    return ReviewPage(items=[reviews.item(r, names.get(r.employee_id), decided.get(r.id), tz, versions)
                             for r in rows], next_after=next_after)


@router.get("/reviews/{checkin_id}", response_model=ReviewDetail, responses=REFUSED,
            summary="Satu laporan dan riwayat penilaiannya / one report and every decision on it")
async def get_review(checkin_id: CheckinId, principal: Reviewer, rt: Runtime) -> ReviewDetail:
    """One activity report or video-conference check-in of the reviewer's unit (any unit for the tenant admin) with
    every decision on it, oldest first: approved or returned, by whom, when, and the note."""
    tenant = principal.require_tenant()
    async with rt.sessions() as session:
        row = await _reviewed(session, principal, tenant, checkin_id, for_update=False)
        return await _detail(session, tenant, row, *await _clock(session, tenant))


@router.post("/checkins/{checkin_id}/review", response_model=ReviewDetail,
             summary="Setujui atau kembalikan / approve or return an activity report or a video conference",
             description="`return` needs a `note` (told to the employee); a returned report counts as missing "
                         "until the employee sends another check-in. A later decision replaces the current one "
                         "(`revision` + 1); every decision stays in `history`.",
             responses={**REFUSED, 422: {"description": "not an activity report or a video conference; or a "
                                                        "return without a note"}})
async def decide(checkin_id: CheckinId, body: ReviewIn, principal: Reviewer, rt: Runtime) -> ReviewDetail:
    tenant = principal.require_tenant()
    async with rt.sessions() as session, session.begin():
        row = await _reviewed(session, principal, tenant, checkin_id, for_update=True)
        current = await session.get(Review, (tenant, row.id))
        decision = reviews.decide(row, current, body, principal, datetime.now(UTC))
        if current is None:
            session.add(Review(**decision.state()))
        else:
            for column, value in decision.state().items():
                setattr(current, column, value)
        session.add(ReviewDecision(**decision.history()))
        await session.flush()
        versions, tz = await _clock(session, tenant)
        await outbox.stage(session, rt.outbox, reviews.event(row, decision, reviews.day_of(row, tz)),
                           tenant=tenant, source=rt.source)
        answer = await _detail(session, tenant, row, versions, tz)
    rt.wake_relay()
    return answer


def _unit(principal: Principal, unit_id: str | None) -> str | None:
    """The unit a list is confined to (None: every unit, for the tenant's admin)."""
    if principal.has("tenant_admin"):
        return unit_id
    if not principal.unit_id:
        raise errors.forbidden("token_without_unit")
    if unit_id is not None and unit_id != principal.unit_id:
        raise errors.forbidden("not_your_unit", loc=["query", "unit_id"])
    return principal.unit_id


async def _reviewed(session: AsyncSession, principal: Principal, tenant: str, checkin_id: uuid.UUID, *,
                    for_update: bool) -> Checkin:
    """The check-in the caller may review (404, 403, 422 otherwise); locked when deciding."""
    query = select(Checkin).where(Checkin.tenant == tenant, Checkin.id == str(checkin_id))
    row = await session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        raise errors.not_found(CHECKIN, loc=["path", "checkin_id"])
    refusal = reviews.refusal(principal, row)
    if refusal is not None:
        raise errors.forbidden(refusal, REFUSALS[refusal], loc=["path", "checkin_id"])
    if not reviews.reviewed(row.kind):
        raise errors.invalid(["path", "checkin_id"], NOT_REVIEWED, "not_reviewed")
    return row


async def _detail(session: AsyncSession, tenant: str, row: Checkin, versions: Sequence[PolicyVersion],
                  tz: str) -> ReviewDetail:
    employee = await session.get(DirectoryEmployee, (tenant, row.employee_id))
    history = (await session.scalars(select(ReviewDecision).where(
        ReviewDecision.tenant == tenant, ReviewDecision.checkin_id == row.id).order_by(ReviewDecision.revision))).all()
    return reviews.detail(row, employee.name if employee else None, await session.get(Review, (tenant, row.id)), tz,
                          versions, history)


async def _names(session: AsyncSession, tenant: str, rows: Sequence[Checkin]) -> dict[str, str]:
    nips = {r.employee_id for r in rows}
    if not nips:
        return {}
    found = await session.execute(select(DirectoryEmployee.nip, DirectoryEmployee.name).where(
        DirectoryEmployee.tenant == tenant, DirectoryEmployee.nip.in_(nips)))
    return {nip: name for nip, name in found.all()}


async def _clock(session: AsyncSession, tenant: str) -> tuple[Sequence[PolicyVersion], str]:
    """The tenant's letter versions (for window names) and zone."""
    versions = await letters(session, tenant)
    return versions, tenant_zone(await directory_zone(session, tenant), versions)
