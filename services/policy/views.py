"""What a reader of the directory sees of an employee: need to know (UU PDP 27/2022).

Guarantee: no view built here carries a coordinate. A place shows its name, kind, radius and
validity (:class:`.schemas.PlaceOut`); exact coordinates leave policy only through the logged,
purpose-bound reads (:mod:`.api.privacy`, :mod:`.api.me`). E-mail and phone are shown to the tenant
admin, to the head of the employee's unit and to the employee; anyone else gets them as null.
Pure: no I/O.
"""

from __future__ import annotations

from services.contracts.events import EmployeeRecord, Place
from services.policy.schemas import EmployeeOut, PlaceOut
from services.runtime.auth import Principal


def sees_contacts(principal: Principal, employee: EmployeeRecord) -> bool:
    """Whether ``principal`` may see ``employee``'s e-mail and phone."""
    return (principal.has("tenant_admin")
            or (principal.has("unit_head") and principal.unit_id == employee.unit_id)
            or principal.employee_id == employee.nip)


def place_view(place: Place) -> PlaceOut:
    return PlaceOut(name=place.name, kind=place.kind, radius_m=place.radius_m, valid_from=place.valid_from,
                    valid_until=place.valid_until)


def employee_view(record: EmployeeRecord, principal: Principal) -> EmployeeOut:
    """``record`` as ``principal`` may see it."""
    contacts = sees_contacts(principal, record)
    return EmployeeOut(
        nip=record.nip, name=record.name, position=record.position, unit_id=record.unit_id,
        is_teacher=record.is_teacher, is_front_line=record.is_front_line, is_unit_head=record.is_unit_head,
        active=record.active, email=record.email if contacts else None, phone=record.phone if contacts else None,
        places=[place_view(p) for p in record.places],
    )
