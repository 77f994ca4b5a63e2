"""Who is told, in which language and through which channels: the read models, read.

Contact details are used only for a known recipient: details that arrived before the profile
reach nobody (a person notify does not know gets personal notices on the ``log`` channel only).
The rules (channels, fallback, a tenant's view) are :mod:`services.notify.domain.people`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.domain.people import Person, TenantView
from services.notify.domain.quiet import QuietHours
from services.notify.settings import NotifySettings
from services.notify.store import Contact, Preference, Recipient, Tenant, TenantSettings, Unit


async def tenant_view(session: AsyncSession, tenant: str, settings: NotifySettings,
                      zone_hint: str | None = None) -> TenantView:
    row = await session.get(Tenant, tenant)
    zone = row.timezone if row is not None else (zone_hint or settings.default_timezone)
    own = await session.get(TenantSettings, tenant)
    bkd: tuple[str, ...] = ()
    bkd_days = settings.escalate_bkd_days
    if own is not None:
        start, end, daily, weekly = own.quiet_start, own.quiet_end, own.escalate_daily, own.escalate_weekly
        bkd_days = settings.escalate_bkd_days if own.escalate_bkd_days is None else own.escalate_bkd_days
        bkd = tuple(own.bkd_recipients or ())
    else:
        start, end = settings.quiet_hours_start, settings.quiet_hours_end
        daily, weekly = settings.escalate_daily, settings.escalate_weekly
    quiet = QuietHours(start, end, zone) if start is not None and end is not None and start != end else None
    return TenantView(tenant, zone, quiet, daily, weekly, bkd_days, bkd)


def _person(row: Recipient | None, contact: Contact | None, nip: str, pref: Preference | None,
            settings: NotifySettings) -> Person:
    language = pref.language if pref else settings.default_language
    channels = list(pref.channels) if pref else []
    if row is None:
        return Person(nip=nip, name=f"NIP {nip}", unit_id=None, language=language, channels=channels)
    return Person(nip=row.nip, name=row.name, unit_id=row.unit_id, email=contact.email if contact else None,
                  phone=contact.phone if contact else None, language=language, channels=channels)


async def person(session: AsyncSession, tenant: str, nip: str, settings: NotifySettings) -> Person:
    row = await session.get(Recipient, (tenant, nip))
    contact = await session.get(Contact, (tenant, nip)) if row is not None else None
    pref = await session.get(Preference, (tenant, nip))
    return _person(row, contact, nip, pref, settings)


async def people(session: AsyncSession, tenant: str, settings: NotifySettings,
                 nips: list[str] | None = None) -> list[Person]:
    """Active employees of a tenant (all, or the given ones) with their preferences."""
    query = select(Recipient, Contact, Preference).outerjoin(
        Contact, (Contact.tenant == Recipient.tenant) & (Contact.nip == Recipient.nip)
    ).outerjoin(
        Preference, (Preference.tenant == Recipient.tenant) & (Preference.nip == Recipient.nip)
    ).where(Recipient.tenant == tenant, Recipient.active.is_(True))
    if nips is not None:
        query = query.where(Recipient.nip.in_(nips))
    rows = (await session.execute(query.order_by(Recipient.nip))).all()
    return [_person(r, c, r.nip, p, settings) for r, c, p in rows]


async def unit_heads(session: AsyncSession, tenant: str, unit_id: str | None, settings: NotifySettings,
                     *, exclude: str | None = None) -> list[Person]:
    """Heads of the unit; where it has none (or only the employee), those of the nearest parent."""
    seen: set[str] = set()
    while unit_id and unit_id not in seen:
        seen.add(unit_id)
        rows = (await session.scalars(select(Recipient.nip).where(
            Recipient.tenant == tenant, Recipient.unit_id == unit_id,
            Recipient.is_unit_head.is_(True), Recipient.active.is_(True)))).all()
        heads = [n for n in rows if n != exclude]
        if heads:
            return await people(session, tenant, settings, heads)
        unit = await session.get(Unit, (tenant, unit_id))
        unit_id = unit.parent_id if unit is not None else None
    return []


BKD_DESK = "bkd"
"""The recipient of a BKD notice when the tenant named nobody: on record (``log``), read by its admins."""


async def bkd(session: AsyncSession, tenant: str, view: TenantView, settings: NotifySettings) -> list[Person]:
    """The people the tenant named to hear what goes to the BKD (``PUT /v1/settings``,
    ``bkd_recipients``); when it named nobody (or nobody it named is known and active), one
    ``log`` record addressed to ``bkd``, so that the notice is on record for the tenant admin."""
    named = await people(session, tenant, settings, list(view.bkd)) if view.bkd else []
    return named or [Person(nip=BKD_DESK, name="BKD", unit_id=None, language=settings.default_language)]


async def unit_name(session: AsyncSession, tenant: str, unit_id: str | None) -> str | None:
    if not unit_id:
        return None
    unit = await session.get(Unit, (tenant, unit_id))
    return unit.name if unit is not None else None
