"""The national view: ``GET /national`` (``national_viewer``, ``platform_admin``) — aggregates
per tenant and per sector, no personal data (:mod:`services.reporting.domain.national`)."""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from services.contracts.policy import local_date
from services.reporting import queries
from services.reporting.api.deps import National
from services.reporting.domain import national as view
from services.reporting.domain.national import NationalReport
from services.runtime.deps import Runtime

router = APIRouter(prefix="/v1/reports", tags=["reports"])
NATIONAL_ZONE = "Asia/Jakarta"  # the default day of a view across tenants in three zones: the capital's (WIB)
NationalDay = Annotated[date | None, Query(alias="date", description="a day (YYYY-MM-DD); default: today in WIB")]


@router.get("/national", response_model=NationalReport, summary="Pandangan nasional / national view (aggregates only)")
async def national(rt: Runtime, _: National, day: NationalDay = None) -> NationalReport:
    """Aggregates per tenant and per sector for `date` (YYYY-MM-DD; default: today in WIB, the capital's zone, as
    national viewers belong to no tenant): expected, received, on time, late, missing; no personal data. National
    viewer or platform admin."""
    day = day or local_date(datetime.now(UTC), NATIONAL_ZONE)
    async with rt.sessions() as session:
        facts = await queries.national_facts(session, day)
    return view.build(day, facts)
