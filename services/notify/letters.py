"""Notify's copy of the circular letters (``policy.updated``): which version applies to a day
(:func:`services.contracts.rules.versions.for_day`), for the working-day rule and the names of
the check-in windows people are told about."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.envelope import Envelope
from services.contracts.events import PolicyUpdated
from services.contracts.policy import PolicyContent
from services.contracts.rules.versions import for_day
from services.notify.store import LetterVersion


async def keep(session: AsyncSession, envelope: Envelope, event: PolicyUpdated) -> None:
    await session.merge(LetterVersion(
        tenant=envelope.tenant, policy_id=event.policy_id, version=event.version, valid_from=event.valid_from,
        valid_until=event.valid_until, effective_at=event.effective_at or envelope.time,
        content=event.content.model_dump(mode="json")))


async def between(session: AsyncSession, tenant: str, start: date, end: date) -> list[LetterVersion]:
    """The versions whose range meets ``start``..``end``."""
    v = LetterVersion
    return list((await session.scalars(select(v).where(
        v.tenant == tenant, v.valid_from <= end, or_(v.valid_until.is_(None), v.valid_until >= start)))).all())


async def window_name(session: AsyncSession, tenant: str, day: date, window_id: str | None) -> str | None:
    """The name the letter of ``day`` gives the window (e.g. "Lokasi pagi"); its id when the
    letter is unknown or has no such window; None without a window."""
    if window_id is None:
        return None
    version = for_day(await between(session, tenant, day, day), day)
    window = PolicyContent.model_validate(version.content).window(window_id) if version is not None else None
    return window.name if window is not None else window_id
