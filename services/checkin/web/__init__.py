"""The employees' check-in page, served by the check-in service (see :mod:`.routes`)."""

from services.checkin.web.routes import build_web_router

__all__ = ["build_web_router"]
