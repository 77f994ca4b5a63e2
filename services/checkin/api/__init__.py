"""HTTP API of the check-in service, one module per resource:

- :mod:`.checkins` — submitting check-ins, one at a time or a batch collected offline;
- :mod:`.reading` — reading them back: the caller's own, and a unit's for its head (verdicts,
  distances and the place's name, never coordinates);
- :mod:`.coordinates` — one check-in's raw coordinates, for the tenant's admin with a stated
  purpose, logged;
- :mod:`.me_export` — the caller's part of the data-subject download (JSON, CSV);
- :mod:`.reviews` — heads' reviews of activity reports and video conferences: the day's list,
  one with its history, approve or return.

:data:`ROUTERS` is what ``app.py`` includes, in this order (the order of the OpenAPI
document)."""

from fastapi import APIRouter

from services.checkin.api import checkins, coordinates, me_export, reading, reviews

ROUTERS: list[APIRouter] = [checkins.router, reading.router, reviews.router, coordinates.router, me_export.router]
