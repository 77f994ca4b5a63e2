"""People's language and channel preferences, and the tenant's quiet hours and escalation thresholds."""


from datetime import UTC, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import audience
from services.notify.settings import NotifySettings
from services.notify.store import Preference, TenantSettings
from services.runtime import errors, sql
from services.runtime.auth import Principal
from services.runtime.service import ServiceRuntime

Language = Literal["id", "en"]
PersonChannel = Literal["email", "whatsapp"]


class PreferenceIn(BaseModel):
    language: Language = "id"
    channels: list[PersonChannel] = Field(default_factory=list, max_length=2,
                                          description="empty: the service default")


class PreferenceOut(PreferenceIn):
    nip: str
    explicit: bool = Field(description="false when these are the service defaults")


class QuietHoursIn(BaseModel):
    start: time
    end: time

    @model_validator(mode="after")
    def _differ(self) -> "QuietHoursIn":
        if self.start == self.end:
            raise ValueError("start and end must differ (send null to turn quiet hours off)")
        return self


class TenantSettingsIn(BaseModel):
    quiet_hours: QuietHoursIn | None = Field(description="local times in the tenant's zone; null: none")
    escalate_daily: int = Field(ge=0, le=50, description="missed windows in a day before the head hears; 0 off")
    escalate_weekly: int = Field(ge=0, le=250, description="missed windows in an ISO week; 0 off")


class TenantSettingsOut(TenantSettingsIn):
    timezone: str
    explicit: bool


async def upsert(session: AsyncSession, model: type[Preference | TenantSettings], **values: object) -> None:
    """Insert or overwrite one row in one statement (``merge`` reads first, and two concurrent
    first writes then collide on the primary key)."""
    keys = [c.name for c in model.__table__.primary_key]
    await sql.upsert(session, model, [values], keys, update=[k for k in values if k not in keys])


def build_router(rt: ServiceRuntime, settings: NotifySettings) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["preferences"])
    Anyone = Annotated[Principal, Depends(rt.role("employee", "unit_head", "tenant_admin"))]
    Admin = Annotated[Principal, Depends(rt.role("tenant_admin"))]
    NipPath = Annotated[str, Path(pattern=r"^\d{18}$")]

    async def read(tenant: str, nip: str) -> PreferenceOut:
        async with rt.sessions() as session:
            row = await session.get(Preference, (tenant, nip))
        if row is None:
            return PreferenceOut(nip=nip, language=settings.default_language,  # type: ignore[arg-type]
                                 channels=[], explicit=False)
        return PreferenceOut(nip=nip, language=row.language, channels=row.channels, explicit=True)  # type: ignore[arg-type]

    async def write(tenant: str, nip: str, body: PreferenceIn) -> PreferenceOut:
        async with rt.sessions() as session, session.begin():
            await upsert(session, Preference, tenant=tenant, nip=nip, language=body.language,
                         channels=list(dict.fromkeys(body.channels)), updated_at=datetime.now(UTC))
        return await read(tenant, nip)

    def own_nip(principal: Principal) -> str:
        if not principal.employee_id:
            raise errors.forbidden("missing_nip")
        return principal.employee_id

    @router.get("/preferences/me", response_model=PreferenceOut)
    async def get_mine(principal: Anyone) -> PreferenceOut:
        return await read(principal.require_tenant(), own_nip(principal))

    @router.put("/preferences/me", response_model=PreferenceOut)
    async def put_mine(body: PreferenceIn, principal: Anyone) -> PreferenceOut:
        return await write(principal.require_tenant(), own_nip(principal), body)

    @router.get("/preferences/{nip}", response_model=PreferenceOut)
    async def get_one(nip: NipPath, principal: Admin) -> PreferenceOut:
        return await read(principal.require_tenant(), nip)

    @router.put("/preferences/{nip}", response_model=PreferenceOut)
    async def put_one(nip: NipPath, body: PreferenceIn, principal: Admin) -> PreferenceOut:
        return await write(principal.require_tenant(), nip, body)

    async def current(tenant: str) -> TenantSettingsOut:
        async with rt.sessions() as session:
            view = await audience.tenant_view(session, tenant, settings)
            explicit = await session.get(TenantSettings, tenant) is not None
        quiet = QuietHoursIn(start=view.quiet.start, end=view.quiet.end) if view.quiet else None
        return TenantSettingsOut(quiet_hours=quiet, escalate_daily=view.escalate_daily,
                                 escalate_weekly=view.escalate_weekly, timezone=view.timezone, explicit=explicit)

    @router.get("/settings", response_model=TenantSettingsOut, tags=["settings"])
    async def get_settings(principal: Admin) -> TenantSettingsOut:
        return await current(principal.require_tenant())

    @router.put("/settings", response_model=TenantSettingsOut, tags=["settings"])
    async def put_settings(body: TenantSettingsIn, principal: Admin) -> TenantSettingsOut:
        tenant = principal.require_tenant()
        quiet = body.quiet_hours
        async with rt.sessions() as session, session.begin():
            await upsert(session, TenantSettings, tenant=tenant, quiet_start=quiet.start if quiet else None,
                         quiet_end=quiet.end if quiet else None, escalate_daily=body.escalate_daily,
                         escalate_weekly=body.escalate_weekly, updated_at=datetime.now(UTC))
        return await current(tenant)

    return router
