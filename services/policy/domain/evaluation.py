"""The policy's verdict on one check-in: pure, from the event and what the service knows.

The caller (the ``checkin.received`` handler) looks up the policy version in force
at the check-in's *capture* time, the tenant's zone, the employee, the unit's
sector, the roster's mode for the day and the previous location fix, and passes
them in. This module decides:

- ``local_date``: the captured instant's day in the tenant's zone;
- the window and ``on_time`` / ``late`` (minutes) / ``outside_window``
  (:mod:`.schedule`), replaced by ``not_required`` when the window is not asked of
  the employee that day (:mod:`services.contracts.rules.requirement`, the rule
  reporting's expectations follow too): non-working day (the tenant's calendar),
  inactive employee, an approved absence, or a window of WFH-only kinds on a WFO
  day (exempt employees are always WFO; the work mode is
  :mod:`services.contracts.rules.work_mode`'s). A check-in in no window is judged by
  its own kind. The window and lateness are still computed: ``window_id``
  is kept, ``late_minutes`` is 0;
- the geofence against the allowed places (:mod:`.geofence`), whatever the status, plus
  the places allowed that day besides (an official trip's alternative place); the verdict
  names the deciding place and its kind (``place_kind``);
- suspicion reasons (:mod:`.suspicion`), whatever the status.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.contracts.events import (
    CheckinEvaluated,
    CheckinReceived,
    EmployeeRecord,
    Place,
    WorkMode,
)
from services.contracts.policy import PolicyContent, Sector
from services.contracts.rules.calendar import TenantCalendar
from services.contracts.rules.requirement import requirement
from services.contracts.rules.sectors import resolve
from services.contracts.rules.work_mode import work_mode_of
from services.policy.domain.geofence import check_geofence
from services.policy.domain.schedule import classify, local_day
from services.policy.domain.suspicion import PreviousFix, suspicion_reasons

__all__ = ["PreviousFix", "evaluate"]


def evaluate(
    checkin: CheckinReceived,
    *,
    content: PolicyContent,
    timezone: str,
    employee: EmployeeRecord | None,
    unit_sector: Sector | None,
    work_mode: WorkMode | None,
    previous: PreviousFix | None,
    policy_number: str | None,
    policy_version: int | None,
    calendar: TenantCalendar | None = None,
    absent: bool = False,
    also_allowed: Sequence[Place] = (),
) -> CheckinEvaluated:
    """Evaluate ``checkin`` under ``content`` (the version in force at capture time), for a tenant
    with ``calendar`` (None: the national one), of an employee excused that day when ``absent``,
    who may also be at ``also_allowed`` that day."""
    day = local_day(checkin.captured_at, timezone)
    unit_id = employee.unit_id if employee is not None else checkin.unit_id
    match = classify(checkin.captured_at, checkin.kind, content.windows, timezone)
    if unit_sector is None:  # a unit the directory does not know: the letter's, else the default
        unit_sector = resolve(unit_id or "", {}, {}, content.unit_sectors)
    mode = work_mode_of(content, employee, unit_id, unit_sector, work_mode)
    kinds = match.window.kinds if match.window is not None else [checkin.kind]
    needed = requirement(kinds, day, content=content, calendar=calendar, active=employee is None or employee.active,
                         mode=mode, absent=absent)
    fence = check_geofence(
        checkin.kind, checkin.location, employee.places if employee is not None else [],
        needed.mode, day, content.geofence_radius_m, also_allowed,
    )
    reasons = suspicion_reasons(checkin, content, previous)
    return CheckinEvaluated(
        checkin_id=checkin.checkin_id,
        employee_id=checkin.employee_id,
        unit_id=unit_id,
        kind=checkin.kind,
        captured_at=checkin.captured_at,
        received_at=checkin.received_at,
        local_date=day,
        window_id=match.window.id if match.window is not None else None,
        status=match.status if needed.required else "not_required",
        late_minutes=match.late_minutes if needed.required else 0,
        geofence=fence.status,
        distance_m=fence.distance_m,
        nearest_place=fence.place_name,
        place_kind=fence.place_kind,
        suspicious=bool(reasons),
        reasons=reasons,
        policy_number=policy_number,
        policy_version=policy_version,
    )
