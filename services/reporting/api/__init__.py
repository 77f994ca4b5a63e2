"""HTTP API of the reporting service (``/v1/reports``), one module per resource.

Tenant readers (``tenant_admin``: the whole tenant; ``unit_head``: their own unit):

- :mod:`.daily` — ``GET /daily`` (per window, unit, sector and tenant: expected, on
  time, late, missing, pending, outside the geofence, suspicious; in-office share
  against the sector's quota; which units have verified), ``GET /daily/export`` (CSV
  or XLSX) and ``GET /overdue`` (who got a ``report.overdue``);
- :mod:`.monthly` — ``GET /monthly``, ``GET /monthly/export`` (discipline scores, final
  once the month-end evaluation ran) and ``GET``/``PUT /score-weights``;
- :mod:`.month_closing` — ``GET /monthly/{YYYY-MM}/units/{unit_id}/summary`` and ``POST …/close``
  (the head closes the unit's month once, with comments; audited), ``GET /monthly/{YYYY-MM}/closings``
  (``tenant_admin``: which units closed);
- :mod:`.verification` — ``POST /verifications`` (``unit_head`` signs off the unit's
  day, audited), ``POST /daily/{date}/units/{unit_id}/review`` (``tenant_admin`` accepts or
  returns it), ``GET /verifications`` and ``GET /audit`` (``tenant_admin``);
- :mod:`.sampling` — ``tenant_admin``: ``GET``/``PUT /sampling`` (sample size),
  ``GET /daily/{date}/sample`` (a reproducible sample of location check-ins per unit) and
  ``POST /samples/{checkin_id}/mark`` (verified or rejected).

National (``national_viewer``, ``platform_admin``): :mod:`.national` — ``GET /national``,
aggregates per tenant and per sector, no personal data.

The employee (``employee``, ``unit_head``): :mod:`.me_export` — ``GET /v1/me/export``, what
reporting holds about them (the data-subject download).

Routes reach the runtime through :data:`services.runtime.deps.Runtime`; app.py includes
:data:`ROUTERS` in order.
"""

from fastapi import APIRouter

from services.reporting.api import daily, me_export, month_closing, monthly, national, sampling, verification

ROUTERS: list[APIRouter] = [daily.router, monthly.router, month_closing.router, verification.router, sampling.router,
                            national.router, me_export.router]

__all__ = ["ROUTERS"]
