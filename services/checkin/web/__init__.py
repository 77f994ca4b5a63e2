"""The employees' check-in page, served by the check-in service (see :mod:`.routes`)."""

from services.checkin.web.routes import router

__all__ = ["router"]
