"""HTTP API of the notify service: one module a resource, module-level routers.

- :mod:`.deliveries` — the delivery log (``/v1/notifications``) and retrying a dead row;
- :mod:`.webhooks` — integrators' webhook subscriptions and their signing secrets;
- :mod:`.preferences` — people's language and channels, the tenant's quiet hours and thresholds;
- :mod:`.me_export` — what notify holds about the caller (the data-subject download).

Every route is tenant-scoped (the tenant comes from the credentials) and role-checked;
the runtime, the delivery loop and the settings reach routes through dependencies
(:mod:`services.runtime.deps`, :mod:`.deps`).
"""

from fastapi import APIRouter

from services.notify.api import deliveries, me_export, preferences, webhooks

ROUTERS: list[APIRouter] = [deliveries.router, webhooks.router, preferences.router, me_export.router]
