"""HTTP API of the notify service: the delivery log."""


from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from services.notify.store import Notification
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime


class NotificationOut(BaseModel):
    id: str
    source_event_id: str
    source_event_type: str
    recipient: str
    channel: str
    subject: str
    body: str
    status: str
    attempts: int
    created_at: datetime


def build_router(rt: ServiceRuntime) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["notifications"])
    Reader = Annotated[Principal, Depends(rt.role("tenant_admin", "unit_head", "employee"))]

    @router.get("/notifications", response_model=list[NotificationOut])
    async def notifications(principal: Reader,
                            recipient: Annotated[str | None, Query(max_length=18)] = None,
                            limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[NotificationOut]:
        tenant = principal.require_tenant()
        query = select(Notification).where(Notification.tenant == tenant)
        if not principal.has("tenant_admin", "unit_head"):
            recipient = principal.employee_id or "-"
        if recipient:
            query = query.where(Notification.recipient == recipient)
        async with rt.sessions() as session:
            rows = await session.scalars(query.order_by(Notification.created_at.desc()).limit(limit))
            return [NotificationOut.model_validate(r, from_attributes=True) for r in rows]

    return router
