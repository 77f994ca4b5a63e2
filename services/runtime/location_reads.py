"""The seam of a logged read of someone's coordinates, for every route that hands them out: the
``purpose`` query parameter (the rule: :mod:`services.contracts.rules.purpose`) and the access-log
entry of a principal's read (``LocationRead``). Policy appends the entry to its access log in the
read's transaction; another service stages it in its outbox in the read's transaction, and policy
appends it when it arrives (docs/privacy.md).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator

from services.contracts.events import LocationData, LocationRead
from services.contracts.rules.purpose import PURPOSE_MAX, PURPOSE_MIN, stated_purpose
from services.runtime.auth import Principal

MAX_ROLES = 10  # LocationRead.actor_roles
MAX_TEXT = 200  # LocationRead.actor

Purpose = Annotated[str, Query(
    min_length=PURPOSE_MIN, max_length=PURPOSE_MAX, examples=["Verifikasi alamat rumah untuk SK WFH"],
    description=f"why the coordinates are needed ({PURPOSE_MIN}-{PURPOSE_MAX} printable characters); kept in "
                "the access log with the read"), AfterValidator(stated_purpose)]


def read_by(principal: Principal, *, employee_id: str, purpose: str, endpoint: str, data: LocationData,
            records: int, at: datetime | None = None) -> LocationRead:
    """The access-log entry of a read by ``principal`` (a fresh ``read_id``; ``at`` default now)."""
    return LocationRead(
        read_id=uuid.uuid4(), employee_id=employee_id, actor=principal.subject[:MAX_TEXT],
        actor_nip=principal.employee_id[:MAX_TEXT] if principal.employee_id else None,
        actor_roles=sorted(principal.roles)[:MAX_ROLES], purpose=purpose, endpoint=endpoint, data=data,
        records=records, at=at or datetime.now(UTC))
