"""The employees' check-in page, served by the check-in service (see :mod:`.routes`)."""

from services.checkin.web.routes import router

CROSS_ORIGIN = ("/app/api/unit-checkins",)  # read by the reporting dashboard from the browser (page_cors)

__all__ = ["CROSS_ORIGIN", "router"]
