"""What the reporting routes share: who may read, the caller's unit scope, the tenant, downloads.

- :data:`Reader` (``tenant_admin``: the whole tenant; ``unit_head``: their own unit),
  :data:`Admin`, :data:`Head`, :data:`National` (``national_viewer``, ``platform_admin``);
- :func:`scope`: the unit a reader may see (a unit head never another unit's);
- :func:`tenant_of`: the caller's tenant from the read model (404 before it is known).
"""

# No ``from __future__ import annotations``: FastAPI must see the dependency aliases.

import re
from datetime import date
from typing import Annotated

from fastapi import Depends, Path, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.store import Tenant
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import role

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Reader = Annotated[Principal, Depends(role("tenant_admin", "unit_head"))]
Admin = Annotated[Principal, Depends(role("tenant_admin"))]
Head = Annotated[Principal, Depends(role("unit_head"))]
National = Annotated[Principal, Depends(role("national_viewer", "platform_admin"))]
DayQ = Annotated[date | None, Query(alias="date", description="a day (YYYY-MM-DD) in the tenant's zone; "
                                                             "default: today there")]
UnitQ = Annotated[str | None, Query(max_length=100)]
UnitPath = Annotated[str, Path(max_length=100, pattern=r"^[^\x00]*$")]


def scope(principal: Principal, unit_id: str | None) -> str | None:
    if principal.has("tenant_admin"):
        return unit_id
    if not principal.unit_id:
        raise errors.forbidden("token_without_unit")
    if unit_id and unit_id != principal.unit_id:
        raise errors.forbidden("not_your_unit", loc=["query", "unit_id"])
    return principal.unit_id


async def tenant_of(session: AsyncSession, principal: Principal) -> Tenant:
    tenant = await session.get(Tenant, principal.require_tenant())
    if tenant is None:
        raise errors.not_found(errors.text("tenant"))
    return tenant


def download(body: bytes, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def safe(text: str) -> str:
    """A file-name fragment: anything but letters, digits, ``_.-`` becomes ``-``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)
