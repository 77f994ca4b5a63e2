"""The national view: ``GET /national`` (``national_viewer``, ``platform_admin``) — aggregates
per tenant and per sector, no personal data (:mod:`services.reporting.domain.national`)."""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from services.reporting import queries
from services.reporting.api.deps import National
from services.reporting.domain import national as view
from services.reporting.domain.national import NationalReport
from services.runtime.deps import Runtime

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get("/national", response_model=NationalReport, summary="Pandangan nasional / national view (aggregates only)")
async def national(rt: Runtime, _: National, day: Annotated[date, Query(alias="date")]) -> NationalReport:
    """Aggregates per tenant and per sector for `date` (required): expected, received, on time, late, missing; no
    personal data. National viewer or platform admin."""
    async with rt.sessions() as session:
        facts = await queries.national_facts(session, day)
    return view.build(day, facts)
