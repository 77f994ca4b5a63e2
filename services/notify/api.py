"""HTTP API of the notify service: the delivery log.

Tenant-scoped (the tenant comes from the token) and role-checked: a tenant admin
reads everything of the tenant, a unit head their unit's rows and their own, an
employee their own, an integrator the webhook deliveries.
"""


from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, field_validator
from sqlalchemy import Select, or_, select

from services.notify.delivery import DeliveryWorker
from services.notify.store import DeliveryAttempt, Notification, utc
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime

Status = Literal["pending", "sending", "sent", "failed", "dead", "cancelled"]
Channel = Literal["email", "whatsapp", "webhook", "log"]


class _Out(BaseModel):
    @field_validator("*", mode="after")
    @classmethod
    def _utc(cls, value: object) -> object:
        return utc(value) if isinstance(value, datetime) else value


class NotificationOut(_Out):
    id: str
    source_event_id: str
    source_event_type: str
    kind: str
    occurrence: str
    recipient: str
    unit_id: str | None
    channel: str
    address: str | None
    language: str
    subject: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    expires_at: datetime | None
    sent_at: datetime | None
    last_error: str | None
    provider_ref: str | None
    created_at: datetime
    updated_at: datetime


class AttemptOut(_Out):
    attempt: int
    started_at: datetime
    finished_at: datetime
    outcome: str
    status_code: int | None
    error: str | None


class NotificationDetail(NotificationOut):
    attempt_log: list[AttemptOut]


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


def build_router(rt: ServiceRuntime, worker: DeliveryWorker) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["notifications"])
    Reader = Annotated[Principal, Depends(rt.role("tenant_admin", "unit_head", "employee", "integrator"))]
    Operator = Annotated[Principal, Depends(rt.role("tenant_admin", "integrator"))]
    IdPath = Annotated[str, Path(max_length=36, pattern=r"^[^\x00]*$")]

    @router.get("/notifications", response_model=list[NotificationOut],
                summary="The delivery log, newest first (status=dead lists the dead letters)")
    async def notifications(
        principal: Reader,
        recipient: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
        status_: Annotated[list[Status] | None, Query(alias="status")] = None,
        channel: Annotated[Channel | None, Query()] = None,
        kind: Annotated[str | None, Query(max_length=40, pattern=r"^[^\x00]*$")] = None,
        source_event_id: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00]*$")] = None,
        since: Annotated[datetime | None, Query(description="created at or after (UTC)")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[NotificationOut]:
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
        query = query.order_by(Notification.created_at.desc(), Notification.id).limit(limit).offset(offset)
        async with rt.sessions() as session:
            rows = await session.scalars(query)
            return [NotificationOut.model_validate(r, from_attributes=True) for r in rows]

    @router.get("/notifications/{notification_id}", response_model=NotificationDetail,
                summary="One notification with every delivery attempt")
    async def notification(notification_id: IdPath, principal: Reader) -> NotificationDetail:
        async with rt.sessions() as session:
            row = await session.scalar(scope(select(Notification), principal).where(Notification.id == notification_id))
            if row is None:
                raise errors.not_found(errors.text("notification"))
            attempts = await session.scalars(select(DeliveryAttempt).where(
                DeliveryAttempt.notification_id == row.id).order_by(DeliveryAttempt.id))
            return NotificationDetail(
                **NotificationOut.model_validate(row, from_attributes=True).model_dump(),
                attempt_log=[AttemptOut.model_validate(a, from_attributes=True) for a in attempts])

    @router.post("/notifications/{notification_id}/retry", response_model=NotificationOut,
                 summary="Send a dead or failed notification again (a fresh retry horizon)")
    async def retry(notification_id: IdPath, principal: Operator) -> NotificationOut:
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
            out = NotificationOut.model_validate(row, from_attributes=True)
        worker.wake()
        return out

    return router
