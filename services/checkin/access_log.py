"""Reads of raw coordinates are logged (UU PDP 27/2022, accountability): every route of this
service that hands out a check-in's coordinates stages one ``LocationRead`` event in the
transaction that read them; policy keeps the access log (docs/privacy.md).

Guarantee: the event names who read (the credentials' subject, NIP and roles), whose data,
the stated purpose, the route and how many records with coordinates it returned; it commits
with the read or not at all, so a refused or failed read leaves no entry and a served one
always does.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import LocationData, LocationRead
from services.runtime import outbox
from services.runtime.auth import Principal
from services.runtime.location_reads import read_by
from services.runtime.service import ServiceRuntime


async def log_read(session: AsyncSession, rt: ServiceRuntime, principal: Principal, *, employee_id: str,
                   purpose: str, endpoint: str, data: LocationData, records: int) -> LocationRead:
    """Stage the ``LocationRead`` of one read in the caller's transaction (the tenant is the
    principal's); the caller wakes the relay once it has committed."""
    event = read_by(principal, employee_id=employee_id, purpose=purpose, endpoint=endpoint, data=data,
                    records=records)
    await outbox.stage(session, rt.outbox, event, tenant=principal.require_tenant(), source=rt.source)
    return event
