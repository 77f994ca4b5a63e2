"""HTTP API of the reporting service (``/v1/reports``), one module per resource.

Tenant readers (``tenant_admin``: the whole tenant; ``unit_head``: their own unit):

- :mod:`.daily` — ``GET /daily`` (per window, unit, sector and tenant: expected, on
  time, late, missing, pending, outside the geofence, suspicious; in-office share
  against the sector's quota; which units have verified), ``GET /daily/export`` (CSV
  or XLSX) and ``GET /overdue`` (who got a ``report.overdue``);
- :mod:`.monthly` — ``GET /monthly``, ``GET /monthly/export`` (discipline scores, final
  once the month-end evaluation ran) and ``GET``/``PUT /score-weights``;
- :mod:`.verification` — ``POST /verifications`` (``unit_head`` signs off the unit's
  day, audited), ``GET /verifications`` and ``GET /audit`` (``tenant_admin``).

National (``national_viewer``, ``platform_admin``): :mod:`.national` — ``GET /national``,
aggregates per tenant and per sector, no personal data.

The employee (``employee``, ``unit_head``): :mod:`.me_export` — ``GET /v1/me/export``, what
reporting holds about them (the data-subject download).

Routes reach the runtime through :data:`services.runtime.deps.Runtime`; app.py includes
:data:`ROUTERS` in order.
"""

from fastapi import APIRouter

from services.reporting.api import daily, me_export, monthly, national, verification

ROUTERS: list[APIRouter] = [daily.router, monthly.router, verification.router, national.router, me_export.router]

__all__ = ["ROUTERS"]
