"""What policy holds about one employee: the sections of their self-export (``GET /v1/me/export``,
form: :mod:`services.runtime.self_export`).

Sections: ``profile`` (the directory record with contacts, without places), ``places`` (every version,
with coordinates: the employee's own), ``profile_corrections`` (their requests and the decisions),
``absences`` and ``verdict_corrections`` (their requests with reasons, places and decisions) and
``location_reads`` (every access-log row about them, this export's own included). Guarantee: each
section is selected by the caller's tenant and NIP and nothing else; the export of places is itself
a read of coordinates and appends its access-log row in the transaction that gathers the sections.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.rules.purpose import SELF_ACCESS
from services.policy import absences, access_log, corrections, verdict_corrections
from services.policy.records import employee_record
from services.policy.store import Employee
from services.runtime.auth import Principal
from services.runtime.location_reads import read_by
from services.runtime.self_export import SelfExport

SERVICE = "policy"
ENDPOINT = "policy GET /v1/me/export"
SECTIONS = ("profile", "places", "profile_corrections", "absences", "verdict_corrections", "location_reads")


async def gather(session: AsyncSession, tenant: str, nip: str, zone: str, principal: Principal,
                 now: datetime) -> SelfExport:
    """Everything policy holds about ``nip`` of ``tenant`` (inside the caller's transaction)."""
    row = await session.get(Employee, (tenant, nip))
    profile: list[dict[str, object]] = []
    places: list[dict[str, object]] = []
    if row is not None:
        record = employee_record(row)
        profile = [{**record.model_dump(mode="json", exclude={"places"}),
                    "inactive_since": row.inactive_since.isoformat() if row.inactive_since else None}]
        places = [p.model_dump(mode="json") for p in record.places]
        await access_log.record(session, read_by(
            principal, employee_id=nip, purpose=SELF_ACCESS, endpoint=ENDPOINT, data="self_export",
            records=len(places), at=now), tenant)
    return SelfExport(service=SERVICE, tenant=tenant, employee_id=nip, generated_at=now, sections={
        "profile": profile,
        "places": places,
        "profile_corrections": await corrections.of_employee(session, tenant, nip),
        "absences": await absences.of_employee(session, tenant, nip, zone),
        "verdict_corrections": await verdict_corrections.of_employee(session, tenant, nip, zone),
        "location_reads": await access_log.about(session, tenant, nip, zone),
    })
