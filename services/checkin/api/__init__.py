"""HTTP API of the check-in service, one module per resource:

- :mod:`.checkins` — submitting check-ins, one at a time or a batch collected offline;
- :mod:`.reading` — reading them back: the caller's own, and a unit's for its head.

:data:`ROUTERS` is what ``app.py`` includes, in this order (the order of the OpenAPI
document)."""

from fastapi import APIRouter

from services.checkin.api import checkins, reading

ROUTERS: list[APIRouter] = [checkins.router, reading.router]
