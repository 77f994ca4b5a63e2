"""The dashboard of unit heads and the personnel agency, served by the reporting service
(see :mod:`.routes`)."""

from services.reporting.web.routes import router

__all__ = ["router"]
