"""The notify service's part of the data-subject download (UU PDP 27/2022, the right of
access): ``GET /v1/me/export?format=json|csv``, for the employee the token names (a unit head
is an employee too).

Sections, one per table this service keys by employee: ``profile`` (the name and unit notices
go to), ``contacts`` (the e-mail and phone they go to), ``preferences`` (language and channels),
``notifications`` (every notice sent to them: kind, channel, status, times, the subject and body
as sent and the address used — their own), ``delivery_attempts`` (each try at delivering those), ``overdue_marks``
(the missed windows escalation counts) and ``rosters`` (work mode per day).

Guarantee: only rows of the token's tenant and NIP (webhook deliveries are an integrator's,
never a person's), in the form of :mod:`services.runtime.self_export`; every section
present, empty or not.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import select

from services.notify.api.deps import Settings
from services.notify.store import (
    Contact,
    DeliveryAttempt,
    Notification,
    OverdueMark,
    Preference,
    Recipient,
    Tenant,
    roster_tables,
)
from services.runtime import self_export
from services.runtime.data_subject import DataSubject
from services.runtime.deps import Runtime
from services.runtime.self_export import SelfExport, row_record

router = APIRouter(prefix="/v1", tags=["self-service"])

OMIT = ("tenant", "traceparent")  # the tenant is the export's; a trace id says nothing about the person


@router.get("/me/export", summary="Unduh data saya / download my data (notifications)",
            responses=self_export.RESPONSES)
async def export(me: DataSubject, rt: Runtime, settings: Settings,
                 format: self_export.FormatQuery = "json") -> Response:
    """The caller's own data held by the notify service (UU PDP 27/2022, the right of access): profile, contacts,
    preferences, every notice sent to them and its delivery attempts, overdue marks and roster days; `format=json`
    (one document) or `csv` (one row per field: section, record, field, value). Any token with a NIP."""
    tenant, nip = me.tenant, me.nip
    n, a, r = Notification, DeliveryAttempt, roster_tables.days.c
    sent = select(n).where(n.tenant == tenant, n.recipient == nip, n.channel != "webhook")
    async with rt.sessions() as session:
        known = await session.get(Tenant, tenant)
        tz = known.timezone if known else settings.default_timezone
        profile = await session.get(Recipient, (tenant, nip))
        contact = await session.get(Contact, (tenant, nip))
        preference = await session.get(Preference, (tenant, nip))
        notices = (await session.scalars(sent.order_by(n.created_at, n.id))).all()
        attempts = (await session.scalars(select(a).where(a.notification_id.in_(sent.with_only_columns(n.id)))
                                          .order_by(a.notification_id, a.attempt))).all()
        marks = (await session.scalars(select(OverdueMark).where(OverdueMark.tenant == tenant, OverdueMark.nip == nip)
                                       .order_by(OverdueMark.local_date, OverdueMark.window_id))).all()
        rosters = (await session.execute(select(r.day, r.mode, r.unit_id).where(r.tenant == tenant, r.nip == nip)
                                         .order_by(r.day))).all()

    def records(rows: Any) -> list[dict[str, Any]]:
        return [row_record(row, tz, omit=OMIT) for row in rows if row is not None]

    return self_export.response(SelfExport("notify", tenant, nip, datetime.now(UTC), {
        "profile": records([profile]), "contacts": records([contact]), "preferences": records([preference]),
        "notifications": records(notices),
        "delivery_attempts": records(attempts), "overdue_marks": records(marks),
        "rosters": [dict(row._mapping) for row in rosters],
    }), format)
