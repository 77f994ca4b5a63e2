"""People's language and channel preferences, and the tenant's quiet hours, escalation thresholds
and the people who hear what goes to the BKD.

Anyone with a NIP reads and writes their own preferences; a tenant admin anyone's, and
the tenant's settings. Without a row the service defaults apply (``explicit: false``).
Every write is one upsert, so two concurrent first writes cannot collide.
"""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify import audience
from services.notify.api.deps import Settings
from services.notify.schemas import PreferenceIn, PreferenceOut, QuietHoursIn, TenantSettingsIn, TenantSettingsOut
from services.notify.settings import NotifySettings
from services.notify.store import Preference, TenantSettings
from services.runtime import errors, sql
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.service import ServiceRuntime

router = APIRouter(prefix="/v1", tags=["preferences"])
Anyone = Annotated[Principal, Depends(role("employee", "unit_head", "tenant_admin"))]
Admin = Annotated[Principal, Depends(role("tenant_admin"))]
NipPath = Annotated[str, Path(pattern=r"^\d{18}$")]


async def upsert(session: AsyncSession, model: type[Preference | TenantSettings], **values: object) -> None:
    """Insert or overwrite one row in one statement (``merge`` reads first, and two concurrent
    first writes then collide on the primary key)."""
    keys = [c.name for c in model.__table__.primary_key]
    await sql.upsert(session, model, [values], keys, update=[k for k in values if k not in keys])


async def read(rt: ServiceRuntime, settings: NotifySettings, tenant: str, nip: str) -> PreferenceOut:
    async with rt.sessions() as session:
        row = await session.get(Preference, (tenant, nip))
    if row is None:
        return PreferenceOut(nip=nip, language=settings.default_language,  # type: ignore[arg-type]
                             channels=[], explicit=False)
    return PreferenceOut(nip=nip, language=row.language, channels=row.channels, explicit=True)  # type: ignore[arg-type]


async def write(rt: ServiceRuntime, settings: NotifySettings, tenant: str, nip: str,
                body: PreferenceIn) -> PreferenceOut:
    async with rt.sessions() as session, session.begin():
        await upsert(session, Preference, tenant=tenant, nip=nip, language=body.language,
                     channels=list(dict.fromkeys(body.channels)), updated_at=datetime.now(UTC))
    return await read(rt, settings, tenant, nip)


def own_nip(principal: Principal) -> str:
    if not principal.employee_id:
        raise errors.forbidden("missing_nip")
    return principal.employee_id


@router.get("/preferences/me", response_model=PreferenceOut, summary="Preferensi saya / my notice preferences")
async def get_mine(rt: Runtime, settings: Settings, principal: Anyone) -> PreferenceOut:
    """The caller's language and channels for notices; `explicit: false` when they are the service defaults."""
    return await read(rt, settings, principal.require_tenant(), own_nip(principal))


@router.put("/preferences/me", response_model=PreferenceOut, summary="Ubah preferensi saya / set my notice preferences")
async def put_mine(body: PreferenceIn, rt: Runtime, settings: Settings, principal: Anyone) -> PreferenceOut:
    """Sets the caller's language (`id` or `en`) and up to two channels; an empty channel list means the service
    default. Needs a token with a NIP."""
    return await write(rt, settings, principal.require_tenant(), own_nip(principal), body)


@router.get("/preferences/{nip}", response_model=PreferenceOut,
            summary="Preferensi pegawai / an employee's notice preferences")
async def get_one(nip: NipPath, rt: Runtime, settings: Settings, principal: Admin) -> PreferenceOut:
    """One employee's language and channels, by NIP. Tenant admin."""
    return await read(rt, settings, principal.require_tenant(), nip)


@router.put("/preferences/{nip}", response_model=PreferenceOut,
            summary="Ubah preferensi pegawai / set an employee's notice preferences")
async def put_one(nip: NipPath, body: PreferenceIn, rt: Runtime, settings: Settings,
                  principal: Admin) -> PreferenceOut:
    """Sets one employee's language and channels, by NIP. Tenant admin."""
    return await write(rt, settings, principal.require_tenant(), nip, body)


async def current(rt: ServiceRuntime, settings: NotifySettings, tenant: str) -> TenantSettingsOut:
    async with rt.sessions() as session:
        view = await audience.tenant_view(session, tenant, settings)
        explicit = await session.get(TenantSettings, tenant) is not None
    quiet = QuietHoursIn(start=view.quiet.start, end=view.quiet.end) if view.quiet else None
    return TenantSettingsOut(quiet_hours=quiet, escalate_daily=view.escalate_daily,
                             escalate_weekly=view.escalate_weekly, escalate_bkd_days=view.escalate_bkd_days,
                             bkd_recipients=list(view.bkd), timezone=view.timezone, explicit=explicit)


@router.get("/settings", response_model=TenantSettingsOut, tags=["settings"],
            summary="Pengaturan notifikasi / the tenant's notice settings")
async def get_settings(rt: Runtime, settings: Settings, principal: Admin) -> TenantSettingsOut:
    """Quiet hours (local times in the tenant's zone), escalation thresholds and the BKD staff who hear escalations
    and absences awaiting the BKD; `explicit: false` when the service defaults apply. Tenant admin."""
    return await current(rt, settings, principal.require_tenant())


@router.put("/settings", response_model=TenantSettingsOut, tags=["settings"],
            summary="Ubah pengaturan notifikasi / set the tenant's notice settings")
async def put_settings(body: TenantSettingsIn, rt: Runtime, settings: Settings,
                       principal: Admin) -> TenantSettingsOut:
    """Replaces the tenant's quiet hours, escalation thresholds (0 turns one off) and BKD recipients (NIPs). Tenant
    admin."""
    tenant = principal.require_tenant()
    quiet = body.quiet_hours
    async with rt.sessions() as session, session.begin():
        await upsert(session, TenantSettings, tenant=tenant, quiet_start=quiet.start if quiet else None,
                     quiet_end=quiet.end if quiet else None, escalate_daily=body.escalate_daily,
                     escalate_weekly=body.escalate_weekly, escalate_bkd_days=body.escalate_bkd_days,
                     bkd_recipients=list(dict.fromkeys(body.bkd_recipients)), updated_at=datetime.now(UTC))
    return await current(rt, settings, tenant)
