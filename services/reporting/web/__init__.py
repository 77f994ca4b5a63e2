"""The dashboard of unit heads and the personnel agency, served by the reporting service:
the page and its context and trend (:mod:`.routes`), the day with units worst first and the
lists behind the tiles (:mod:`.day`, built by :mod:`.board`), the day's check-ins without
coordinates (:mod:`.checkins`), who has not checked in for the window open now (:mod:`.missing_now`)."""

from fastapi import APIRouter

from services.reporting.web import checkins, day, missing_now, routes

router = APIRouter()
for part in (routes.router, day.router, checkins.router, missing_now.router):
    router.include_router(part)
router.include_router(routes.page)  # last: its catch-all route serves the page's files

__all__ = ["router"]
