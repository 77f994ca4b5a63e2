"""The policy service's HTTP routes, one module a resource, each a module-level router.

- :mod:`.directory` — the tenant, its units (OPD tree) and employees, their places;
- :mod:`.imports` — bulk CSV import of units and employees;
- :mod:`.letters` — circular letters (Surat Edaran) and their versions;
- :mod:`.rosters` — WFO/WFH rosters, overrides and their audit;
- :mod:`.roster_jobs` — rosters of many units in one call (a job) and its progress;
- :mod:`.privacy` — exact place coordinates for the tenant admin with a stated purpose, the access log;
- :mod:`.corrections` — profile corrections: the employee asks, the tenant admin decides;
- :mod:`.absences` — absences: the employee asks and cancels, the unit head and the BKD decide;
- :mod:`.verdict_corrections` — contested verdicts: the employee asks, the unit head or the BKD decides;
- :mod:`.me` — the employee's own places, access log and self-export;
- :mod:`.retention` — the tenant's retention periods;
- :mod:`.calendar` — the tenant's calendar and the holidays of a year;
- :mod:`.api_keys` — the tenant's scoped API keys for integrators (create, list, revoke);
- :mod:`.platform` — the platform operator creates tenants.

Routes reach the runtime and the caller through :mod:`services.runtime.deps` only, so
importing this package needs no running service. :data:`ROUTERS` is what the composition
root includes, in this order (it fixes the order of the OpenAPI document).
"""

from fastapi import APIRouter

from services.policy.api import (
    absences,
    api_keys,
    calendar,
    corrections,
    directory,
    imports,
    letters,
    me,
    platform,
    privacy,
    retention,
    roster_jobs,
    rosters,
    verdict_corrections,
)

ROUTERS: list[APIRouter] = [directory.router, imports.router, letters.router, rosters.router, roster_jobs.router,
                            privacy.router, corrections.router, absences.router, verdict_corrections.router,
                            me.router, retention.router, calendar.router, api_keys.router, platform.router]
