"""Who may decide a request about an employee's days (an absence, a contested verdict): pure.

The head's step belongs to the head of the employee's unit (a ``unit_head`` whose token names the
request's unit) or to the BKD (``tenant_admin``); the BKD's step to the BKD alone; nobody decides
their own request, whatever their roles. A rejection says why.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal, NamedTuple

Step = Literal["head", "bkd"]
Decision = Literal["approve", "reject"]


class Refused(NamedTuple):
    """Why a change is refused: the error type and its message (Indonesian, English)."""

    kind: str
    id: str
    en: str


def decider_problem(step: Step, *, roles: Collection[str], unit_id: str | None, nip: str | None,
                    request_unit: str, request_employee: str) -> Refused | None:
    """Why the caller (``roles``, their ``unit_id`` and ``nip``) may not take ``step``, or None."""
    if nip is not None and nip == request_employee:
        return Refused("own_request", "Tidak boleh memutuskan permohonan sendiri", "nobody decides their own request")
    if "tenant_admin" in roles:
        return None
    if step == "bkd":
        return Refused("bkd_step", "Langkah ini diputuskan oleh BKD", "this step is the BKD's decision")
    if "unit_head" in roles and unit_id == request_unit:
        return None
    return Refused("own_unit_only", "Kepala unit hanya boleh memutuskan untuk unitnya sendiri",
                   "a unit head decides for their own unit only")


def note_problem(decision: Decision, note: str) -> Refused | None:
    """A rejection must say why (the employee is told)."""
    if decision == "reject" and not note.strip():
        return Refused("note_required", "Penolakan harus disertai alasan", "a rejection needs a note")
    return None


def may_read(*, roles: Collection[str], unit_id: str | None, request_unit: str) -> bool:
    """Whether a head or the BKD may read a request of ``request_unit`` (the BKD all, a head their unit's)."""
    return "tenant_admin" in roles or ("unit_head" in roles and unit_id == request_unit)
