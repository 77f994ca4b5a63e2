"""The dashboard of unit heads and the personnel agency, served by the reporting service
(see :mod:`.routes`; the "belum check-in" list: :mod:`.missing_now`)."""

from fastapi import APIRouter

from services.reporting.web import missing_now, routes

router = APIRouter()
router.include_router(missing_now.router)  # before the pages' catch-all (/dashboard/{file})
router.include_router(routes.router)

__all__ = ["router"]
