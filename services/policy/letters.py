"""Circular letters in the store: adding versions, withdrawing a scheduled one,
publishing each when it takes effect, and finding the versions that may apply
(rules: :mod:`.domain.letters` for making, closing and withdrawing versions,
:mod:`services.contracts.rules.versions` for which one applies). Every read that
chooses a version (:func:`versions_between`) leaves withdrawn versions out; the
history (:func:`versions_of`) keeps them.

``policy.updated`` is staged in the same transaction that sets the version's
``published_at``, either in the request that adds a version already due, or by
:func:`publish_due` (the scheduler loop) once its day comes. The scheduler claims
due rows with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) *and* a conditional
``UPDATE … WHERE published_at IS NULL`` whose row count must be 1, so any number
of instances publish each version exactly once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import PolicyUpdated
from services.contracts.policy import PolicyContent, local_date
from services.policy.domain import letters as rules
from services.policy.letter_schemas import PolicyVersionOut
from services.policy.store import PolicyVersion, Tenant
from services.runtime import errors, outbox
from services.runtime.service import ServiceRuntime


@dataclass(frozen=True)
class Draft:
    """What a new version says (the rest is derived)."""

    number: str
    title: str
    valid_from: date
    valid_until: date | None
    content: dict[str, Any]
    signatory: str = ""
    legal_basis: list[str] = field(default_factory=list)


def to_event(row: PolicyVersion, timezone: str) -> PolicyUpdated:
    return PolicyUpdated(
        policy_id=row.policy_id, number=row.number, version=row.version, title=row.title,
        signatory=row.signatory, legal_basis=row.legal_basis, valid_from=row.valid_from,
        valid_until=row.valid_until, timezone=timezone, content=PolicyContent.model_validate(row.content),
        effective_at=_utc(row.effective_at),
    )


def to_out(row: PolicyVersion, timezone: str, now: datetime) -> PolicyVersionOut:
    event = to_event(row, timezone)
    return PolicyVersionOut(
        **event.model_dump(), declared_valid_until=row.declared_valid_until,
        published_at=_utc(row.published_at), superseded_by=row.superseded_by,
        superseded_at=_utc(row.superseded_at), status=rules.status(row, now, local_date(now, timezone)),
        created_at=_utc(row.created_at), created_by=row.created_by, withdrawn_at=_utc(row.withdrawn_at),
        withdrawn_by=row.withdrawn_by, withdrawal_reason=row.withdrawal_reason,
    )


def _utc(instant: datetime | None) -> Any:
    if instant is None:
        return None
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


async def versions_of(session: AsyncSession, tenant: str, policy_id: str, *, lock: bool = False) -> list[PolicyVersion]:
    query = (select(PolicyVersion)
             .where(PolicyVersion.tenant == tenant, PolicyVersion.policy_id == policy_id)
             .order_by(PolicyVersion.version))
    if lock:
        query = query.with_for_update()
    return list((await session.scalars(query)).all())


async def tenant_versions(session: AsyncSession, tenant: str, first: date, last: date) -> list[PolicyVersion]:
    """Every version that may concern a day in ``first..last`` (a superset; filter with the rules)."""
    return await versions_between(session, [tenant], first, last)


async def versions_between(session: AsyncSession, tenants: Collection[str], first: date,
                           last: date) -> list[PolicyVersion]:
    """Every version of ``tenants`` that may concern a day in ``first..last`` (one query; a superset),
    withdrawn ones left out."""
    return list((await session.scalars(select(PolicyVersion).where(
        PolicyVersion.tenant.in_(tenants), PolicyVersion.withdrawn_at.is_(None),
        PolicyVersion.valid_from <= last,
        or_(PolicyVersion.declared_valid_until.is_(None), PolicyVersion.declared_valid_until >= first),
    ))).all())


async def add_version(rt: ServiceRuntime, session: AsyncSession, *, tenant: str, timezone: str, policy_id: str,
                      draft: Draft, actor: str, now: datetime) -> PolicyVersion:
    """Add the next version of ``policy_id``, closing the versions around it; publish it if already due."""
    versions = await versions_of(session, tenant, policy_id, lock=True)
    floor = rules.floor(versions, now)
    if floor is not None and draft.valid_from < floor.valid_from:
        raise errors.invalid(("body", "valid_from"), errors.text("version_starts_too_early", version=floor.version,
                                                                 valid_from=floor.valid_from))
    row = PolicyVersion(
        tenant=tenant, policy_id=policy_id, version=max((v.version for v in versions), default=0) + 1,
        number=draft.number, title=draft.title, signatory=draft.signatory, legal_basis=list(draft.legal_basis),
        valid_from=draft.valid_from, valid_until=draft.valid_until, declared_valid_until=draft.valid_until,
        effective_at=rules.effective_at(draft.valid_from, timezone, now), content=draft.content,
        created_at=now, created_by=actor,
    )
    close([*versions, row])
    session.add(row)
    await session.flush()
    if row.effective_at <= now:
        row.published_at = now
        await outbox.stage(session, rt.outbox, to_event(row, timezone), tenant=tenant, source=rt.source,
                           time=row.effective_at)
    return row


def close(versions: Sequence[PolicyVersion]) -> list[PolicyVersion]:
    """Set every live version's range as the others close it (:func:`.domain.letters.closures`);
    the versions whose end changed."""
    changed = []
    ranges = rules.closures(versions)
    for v in versions:
        if v.version not in ranges:
            continue
        closure = ranges[v.version]
        if v.valid_until != closure.valid_until:
            changed.append(v)
        v.valid_until, v.superseded_by, v.superseded_at = closure
    return changed


async def withdraw(rt: ServiceRuntime, session: AsyncSession, *, tenant: str, timezone: str, policy_id: str,
                   version: int, reason: str, actor: str, now: datetime) -> PolicyVersion:
    """Withdraw scheduled ``version`` (who, when, why kept on it); the versions it closed take their ranges
    back, and those already published are published again with it. 404 unknown, 409 not scheduled."""
    versions = await versions_of(session, tenant, policy_id, lock=True)
    row = next((v for v in versions if v.version == version), None)
    if row is None:
        raise errors.not_found(errors.text("circular_letter"))
    if not rules.withdrawable(row, now):
        raise errors.conflict("version_not_withdrawable", version=version,
                              status=rules.status(row, now, local_date(now, timezone)))
    row.withdrawn_at, row.withdrawn_by, row.withdrawal_reason = now, actor, reason
    row.superseded_by = row.superseded_at = None
    reopened = [v for v in close(versions) if v.published_at is not None]
    await session.flush()
    if reopened:
        await outbox.stage_many(session, rt.outbox, [to_event(v, timezone) for v in reopened], tenant=tenant,
                                source=rt.source)
    return row


async def publish_due(rt: ServiceRuntime, now: datetime, limit: int = 100) -> int:
    """Publish the versions whose moment has come and that are not published yet; returns how many."""
    published = 0
    async with rt.sessions() as session, session.begin():
        due = (await session.scalars(
            select(PolicyVersion)
            .where(PolicyVersion.published_at.is_(None), PolicyVersion.withdrawn_at.is_(None),
                   PolicyVersion.effective_at <= now,
                   or_(PolicyVersion.valid_until.is_(None), PolicyVersion.valid_until >= PolicyVersion.valid_from))
            .order_by(PolicyVersion.effective_at, PolicyVersion.version)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )).all()
        for row in due:
            claimed = await session.execute(
                update(PolicyVersion)
                .where(PolicyVersion.tenant == row.tenant, PolicyVersion.policy_id == row.policy_id,
                       PolicyVersion.version == row.version, PolicyVersion.published_at.is_(None),
                       PolicyVersion.withdrawn_at.is_(None))
                .values(published_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another instance got there first
            tenant = await session.get(Tenant, row.tenant)
            timezone = tenant.timezone if tenant else "Asia/Jakarta"
            await outbox.stage(session, rt.outbox, to_event(row, timezone), tenant=row.tenant, source=rt.source,
                               time=row.effective_at)
            published += 1
    if published:
        rt.wake_relay()
    return published
