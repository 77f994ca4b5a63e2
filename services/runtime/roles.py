"""The roles a principal can hold, and which of them read across tenants.

A cross-tenant role (:data:`CROSS_TENANT_ROLES`) is never confined to one tenant by row-level
security (:mod:`services.runtime.rls`); only a bearer token can carry one. An API key always
belongs to one tenant, so it holds only :data:`KEY_ROLES` (:mod:`services.runtime.apikeys`
refuses the others when a key is created and when one is presented).
"""

from __future__ import annotations

ROLES = frozenset(
    {"employee", "unit_head", "tenant_admin", "national_viewer", "integrator", "platform_admin"}
)
CROSS_TENANT_ROLES = frozenset({"national_viewer", "platform_admin"})
KEY_ROLES = ROLES - CROSS_TENANT_ROLES
