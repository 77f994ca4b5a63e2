"""Whether a check-in is required of an employee on a day, and in which work mode.

Rules, in order (the first that applies decides):

1. A **non-working day** (weekend per ``content.working_days`` or a holiday)
   requires nothing.
2. An **inactive** employee is required to do nothing.
3. Kinds that only people working from home must do (:data:`WFH_ONLY_KINDS`:
   location shares, the video conference and the activity report) are not
   required on a **WFO** day. Attendance is required of everyone, in the office
   or at home.

The *work mode* of the day is, in order:

- ``"wfo"`` for an **exempt** employee: a role in ``content.exemptions.roles``
  (teacher, front-line service, unit head flags on the employee record) or a unit
  in ``content.exemptions.unit_ids``. Exemption is policy and wins over the roster,
  as the contract says: "who always works in the office, whatever the quota";
- otherwise the roster's mode for that day, if there is one;
- otherwise what the unit's sector quota implies: 100 % → ``"wfo"``,
  0 % → ``"wfh"``;
- otherwise unknown (``None``): everything is required and the geofence accepts
  any of the employee's places.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, NamedTuple

from services.contracts.events import EmployeeRecord, WorkMode
from services.contracts.policy import CheckinKind, PolicyContent, Role, Sector

WFH_ONLY_KINDS: frozenset[CheckinKind] = frozenset(
    {CheckinKind.LOCATION, CheckinKind.VIDEO_CONFERENCE, CheckinKind.ACTIVITY_REPORT}
)
"""Kinds asked only of people working from home (not part of the contract yet)."""

NotRequiredReason = Literal["non_working_day", "inactive", "wfo_day"]


class Requirement(NamedTuple):
    """Whether a check-in is required, why not if not, and the day's work mode."""

    required: bool
    mode: WorkMode | None
    reason: NotRequiredReason | None = None


def employee_roles(employee: EmployeeRecord) -> frozenset[Role]:
    """The role flags of an employee record as :class:`Role` values."""
    flags = {
        Role.TEACHER: employee.is_teacher,
        Role.FRONT_LINE: employee.is_front_line,
        Role.UNIT_HEAD: employee.is_unit_head,
    }
    return frozenset(role for role, on in flags.items() if on)


def is_exempt(employee: EmployeeRecord | None, unit_id: str | None, content: PolicyContent) -> bool:
    """Whether the policy keeps this employee in the office whatever the quota."""
    if unit_id is not None and unit_id in content.exemptions.unit_ids:
        return True
    if employee is None:
        return False
    return bool(employee_roles(employee) & set(content.exemptions.roles))


def work_mode_of(
    *,
    content: PolicyContent,
    employee: EmployeeRecord | None,
    unit_id: str | None,
    unit_sector: Sector | None,
    roster_mode: WorkMode | None,
) -> WorkMode | None:
    """The day's work mode, following the order in the module docstring."""
    if is_exempt(employee, unit_id, content):
        return "wfo"
    if roster_mode is not None:
        return roster_mode
    sector = unit_sector if unit_sector is not None else content.unit_sectors.get(unit_id or "")
    quota = content.sector_quotas.get(sector) if sector is not None else None
    if quota == 100:
        return "wfo"
    if quota == 0:
        return "wfh"
    return None


def requirement(
    kind: CheckinKind,
    day: date,
    *,
    content: PolicyContent,
    employee: EmployeeRecord | None,
    unit_id: str | None,
    unit_sector: Sector | None,
    roster_mode: WorkMode | None,
) -> Requirement:
    """Whether a check-in of ``kind`` on local ``day`` is required (module docstring)."""
    mode = work_mode_of(
        content=content, employee=employee, unit_id=unit_id,
        unit_sector=unit_sector, roster_mode=roster_mode,
    )
    if not content.is_working_day(day):
        return Requirement(False, mode, "non_working_day")
    if employee is not None and not employee.active:
        return Requirement(False, mode, "inactive")
    if mode == "wfo" and kind in WFH_ONLY_KINDS:
        return Requirement(False, mode, "wfo_day")
    return Requirement(True, mode)
