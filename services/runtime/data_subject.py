"""Who may ask for their own data (UU PDP 27/2022, the data subject's rights): the caller of a
``/v1/me/…`` route about their personal data, e.g. the download of :mod:`.self_export`.

:data:`DataSubject` is a route's dependency: an employee (a unit head is one too) whose token
carries a NIP; anyone else is refused before the route runs (403 ``role_required``, or
``missing_nip`` for a token without a NIP, as every other ``/me`` route answers).
:func:`subject_of` gives the same dependency for other roles.

Guarantee: the tenant and the NIP come from the credentials only, never from the request.
"""

# No ``from __future__ import annotations``: FastAPI must see the ``Depends`` objects.

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import role

ROLES = ("employee", "unit_head")
NIP_LOC: list[str | int] = ["header", "authorization", "nip"]


@dataclass(frozen=True)
class Subject:
    """The caller, and whose data they may read: their own, in their own tenant."""

    principal: Principal
    tenant: str
    nip: str


def subject_of(*roles: str) -> Callable[..., Awaitable[Subject]]:
    """The dependency of a route about the caller's own data, for callers holding one of ``roles``."""
    async def data_subject(principal: Annotated[Principal, Depends(role(*roles))]) -> Subject:
        if not principal.employee_id:
            raise errors.forbidden("missing_nip", loc=NIP_LOC)
        return Subject(principal, principal.require_tenant(), principal.employee_id)

    return data_subject


DataSubject = Annotated[Subject, Depends(subject_of(*ROLES))]
