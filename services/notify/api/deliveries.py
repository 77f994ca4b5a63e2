"""The delivery log over HTTP: list, read one with its attempts, retry a dead or failed row.

Tenant-scoped (the tenant comes from the credentials) and role-checked: a tenant admin
reads everything of the tenant, a unit head their unit's rows and their own, an
employee their own, an integrator the webhook deliveries. Only the tenant admin sees a
webhook row's URL in full and its body; everyone else sees the URL masked and no body
(:mod:`services.notify.domain.masking`). A retry makes the row
``pending`` with a fresh retry horizon and wakes the delivery loop.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Select, or_, select

from services.notify.api.deps import IdPath, Worker
from services.notify.domain import masking
from services.notify.schemas import (
    AttemptOut,
    Channel,
    NotificationDetail,
    NotificationOut,
    NotificationPage,
    Status,
)
from services.notify.store import DeliveryAttempt, Notification
from services.runtime import errors, pages
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.pages import After, Limit

router = APIRouter(prefix="/v1", tags=["notifications"])
Reader = Annotated[Principal, Depends(role("tenant_admin", "unit_head", "employee", "integrator"))]
Operator = Annotated[Principal, Depends(role("tenant_admin", "integrator"))]


def shown(row: Notification, principal: Principal) -> NotificationOut:
    """A row as this reader may see it."""
    out = NotificationOut.model_validate(row, from_attributes=True)
    address, body = masking.visible(out.channel, out.address, out.body, full=principal.has("tenant_admin"))
    return out.model_copy(update={"address": address, "body": body})


def scope(query: Select, principal: Principal) -> Select:  # type: ignore[type-arg]
    """Rows the caller may read."""
    query = query.where(Notification.tenant == principal.require_tenant())
    if principal.has("tenant_admin"):
        return query
    allowed = []
    if principal.has("integrator"):
        allowed.append(Notification.channel == "webhook")
    if principal.has("unit_head") and principal.unit_id:
        allowed.append(Notification.unit_id == principal.unit_id)
    if principal.employee_id:
        allowed.append(Notification.recipient == principal.employee_id)
    return query.where(or_(*allowed)) if allowed else query.where(Notification.id.is_(None))


@router.get("/notifications", response_model=NotificationPage,
            summary="The delivery log, newest first (status=dead lists the dead letters)")
async def notifications(
    rt: Runtime,
    principal: Reader,
    recipient: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
    status_: Annotated[list[Status] | None, Query(alias="status")] = None,
    channel: Annotated[Channel | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=40, pattern=r"^[^\x00]*$")] = None,
    source_event_id: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$")] = None,
    since: Annotated[datetime | None, Query(description="created at or after (UTC)")] = None,
    limit: Limit = pages.DEFAULT_LIMIT,
    after: After = None,
) -> NotificationPage:
    """Every notice the service sent or is sending (reminders, overdue notices, escalations, decisions, webhook
    deliveries), newest first, a page at a time: `limit` rows, and `next_after` sent back as `after` for the next
    page. A tenant admin reads the tenant's whole log; a unit head the notices about their unit; an integrator the
    webhook deliveries; an employee their own. Filters: recipient NIP, `status` (repeatable; `dead` lists what was
    given up), channel, kind, the source event's id and `since` (UTC)."""
    query = scope(select(Notification), principal)
    if recipient:
        query = query.where(Notification.recipient == recipient)
    if status_:
        query = query.where(Notification.status.in_(status_))
    if channel:
        query = query.where(Notification.channel == channel)
    if kind:
        query = query.where(Notification.kind == kind)
    if source_event_id:
        query = query.where(Notification.source_event_id == source_event_id)
    if since:
        query = query.where(Notification.created_at >= since.astimezone(UTC))
    async with rt.sessions() as session:
        rows, next_after = await pages.newest_first(session, query, Notification.created_at, Notification.id,
                                                    after, limit)
        return NotificationPage(items=[shown(r, principal) for r in rows], next_after=next_after)


@router.get("/notifications/{notification_id}", response_model=NotificationDetail,
            summary="One notification with every delivery attempt")
async def notification(notification_id: IdPath, rt: Runtime, principal: Reader) -> NotificationDetail:
    """One notice as the caller may see it, with every delivery attempt (time, outcome, the channel's answer). 404
    when it does not exist or is not the caller's to see."""
    async with rt.sessions() as session:
        row = await session.scalar(scope(select(Notification), principal).where(Notification.id == notification_id))
        if row is None:
            raise errors.not_found(errors.text("notification"))
        attempts = await session.scalars(select(DeliveryAttempt).where(
            DeliveryAttempt.notification_id == row.id).order_by(DeliveryAttempt.id))
        return NotificationDetail(
            **shown(row, principal).model_dump(),
            attempt_log=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts])


@router.post("/notifications/{notification_id}/retry", response_model=NotificationOut,
             summary="Send a dead or failed notification again (a fresh retry horizon)")
async def retry(notification_id: IdPath, rt: Runtime, worker: Worker, principal: Operator) -> NotificationOut:
    """Puts a `dead` or `failed` notice back to `pending` with a fresh retry horizon and wakes the delivery loop;
    409 for a notice in any other state. Tenant admin or integrator
    (webhook deliveries only)."""
    now = datetime.now(UTC)
    async with rt.sessions() as session, session.begin():
        row = await session.scalar(scope(select(Notification), principal)
                                   .where(Notification.id == notification_id).with_for_update())
        if row is None:
            raise errors.not_found(errors.text("notification"))
        if row.status not in ("dead", "failed"):
            raise errors.conflict("only_failed_rows", status=row.status)
        row.status, row.next_attempt_at, row.first_attempt_at, row.expires_at, row.updated_at = (
            "pending", now, None, None, now)
        out = shown(row, principal)
    worker.wake()
    return out
