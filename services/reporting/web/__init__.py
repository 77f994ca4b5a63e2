"""The dashboard of unit heads and the personnel agency, served by the reporting service
(see :mod:`.routes`)."""

from services.reporting.web.routes import build_web_router

__all__ = ["build_web_router"]
