"""Circular letters (Surat Edaran): issue, amend, extend, read history.

Nothing is overwritten: an amendment or an extension is a new version that
closes the previous one the day before it starts (rules: ``domain/letters.py``;
which version applies: ``contracts/rules/versions.py``). The version in force can
be amended while a later version is scheduled: the amendment applies until the
scheduled one starts. A scheduled version can be withdrawn (audited) before it
takes effect. A version whose day has come is published (``policy.updated``) at
once; one dated in the future is published by the scheduler when its day comes.
"""


import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, status
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.policy import local_date
from services.contracts.rules.versions import for_day
from services.policy import letters
from services.policy.domain import letters as rules
from services.policy.letter_schemas import LETTER_EXAMPLE, ExtensionIn, PolicyIn, PolicyVersionOut, WithdrawIn
from services.policy.letters import Draft
from services.policy.store import PolicyVersion, Tenant
from services.runtime import errors
from services.runtime.auth import Principal
from services.runtime.deps import Runtime, role
from services.runtime.errors import VALIDATION_RESPONSES
from services.runtime.service import ServiceRuntime

PolicyPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$", description="e.g. 800-258-bkd-2022")]
VersionPath = Annotated[int, Path(ge=1, le=100_000)]


def policy_id_from_number(number: str) -> str:
    """``800/258-BKD/2022`` → ``800-258-bkd-2022``."""
    return re.sub(r"[^a-z0-9]+", "-", number.lower()).strip("-")[:100] or "se"


def no_letter() -> Exception:
    return errors.not_found(errors.text("circular_letter"))


async def zone_of(session: AsyncSession, tenant: str) -> str:
    row = await session.get(Tenant, tenant)
    if row is None:
        raise errors.conflict("tenant_not_set")
    return row.timezone


router = APIRouter(prefix="/v1/policies", tags=["circular letters"], responses=VALIDATION_RESPONSES)
Admin = Annotated[Principal, Depends(role("tenant_admin"))]
Reader = Annotated[Principal, Depends(role("tenant_admin", "unit_head", "employee"))]


async def add(rt: ServiceRuntime, tenant: str, policy_id: str, draft: Draft, actor: str, *,
              new: bool) -> PolicyVersionOut:
    now = datetime.now(UTC)
    async with rt.sessions() as session, session.begin():
        zone = await zone_of(session, tenant)
        exists = await session.scalar(select(func.count()).select_from(PolicyVersion).where(
            PolicyVersion.tenant == tenant, PolicyVersion.policy_id == policy_id))
        if new and exists:
            raise errors.conflict("letter_exists", policy_id=policy_id)
        if not new and not exists:
            raise no_letter()
        row = await letters.add_version(rt, session, tenant=tenant, timezone=zone, policy_id=policy_id,
                                        draft=draft, actor=actor, now=now)
        out = letters.to_out(row, zone, now)
    rt.wake_relay()
    return out


LetterBody = Annotated[PolicyIn, Body(openapi_examples={"letter": {
    "summary": "Surat edaran WFH/WFO / a WFH/WFO circular letter", "value": LETTER_EXAMPLE}})]


def draft_of(body: PolicyIn) -> Draft:
    return Draft(number=body.number, title=body.title, valid_from=body.valid_from, valid_until=body.valid_until,
                 content=body.content.model_dump(mode="json"), signatory=body.signatory,
                 legal_basis=list(body.legal_basis))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PolicyVersionOut,
             summary="Issue a circular letter (version 1)",
             responses={409: {"description": "a letter with this number exists, or no tenant yet"}})
async def create_policy(rt: Runtime, body: LetterBody, principal: Admin) -> PolicyVersionOut:
    """Issues a new circular letter as version 1: its number, the dates it is in force, the working days, the
    check-in windows (times are local to the tenant's zone: WIB, WITA or WIT), the sector quotas and the exemptions.
    The letter id comes from its number; 409 when that number exists or the tenant is not set up. Published to
    reporting when it takes effect. Tenant admin."""
    return await add(rt, principal.require_tenant(), policy_id_from_number(body.number), draft_of(body),
                     principal.subject, new=True)


@router.get("", response_model=list[PolicyVersionOut], summary="Every letter of the tenant, latest version each")
async def list_policies(rt: Runtime, principal: Reader) -> list[PolicyVersionOut]:
    """Every circular letter of the tenant, each as its latest version, with whether it is in force now. Any role of
    the tenant."""
    tenant = principal.require_tenant()
    now = datetime.now(UTC)
    async with rt.sessions() as session:
        zone = await zone_of(session, tenant)
        rows = (await session.scalars(select(PolicyVersion).where(PolicyVersion.tenant == tenant)
                                      .order_by(PolicyVersion.policy_id, PolicyVersion.version))).all()
    by_letter: dict[str, list[PolicyVersion]] = {}
    for r in rows:
        by_letter.setdefault(r.policy_id, []).append(r)
    return [letters.to_out(rules.latest(vs), zone, now) for vs in by_letter.values()]


@router.get("/in-force", response_model=PolicyVersionOut, summary="The version that applies on a day",
            description="With everything known now, versions scheduled for a future day included.",
            responses={404: {"description": "no letter covers that day"}})
async def in_force(rt: Runtime, principal: Reader,
                   day: Annotated[date | None, Query(alias="date", description="a day (YYYY-MM-DD) in the tenant's "
                                                                          "zone; default: today there")] = None,
                   ) -> PolicyVersionOut:
    tenant = principal.require_tenant()
    now = datetime.now(UTC)
    async with rt.sessions() as session:
        zone = await zone_of(session, tenant)
        day = day or local_date(now, zone)
        version = for_day(await letters.tenant_versions(session, tenant, day, day), day)
    if version is None:
        raise no_letter()
    return letters.to_out(version, zone, now)


@router.get("/{policy_id}", response_model=PolicyVersionOut, summary="A letter's latest version",
            description="The version that comes last by its start (withdrawn versions left out).")
async def get_policy(rt: Runtime, policy_id: PolicyPath, principal: Reader) -> PolicyVersionOut:
    tenant = principal.require_tenant()
    async with rt.sessions() as session:
        zone = await zone_of(session, tenant)
        versions = await letters.versions_of(session, tenant, policy_id)
    if not versions:
        raise no_letter()
    return letters.to_out(rules.latest(versions), zone, datetime.now(UTC))


@router.post("/{policy_id}/versions", status_code=status.HTTP_201_CREATED, response_model=PolicyVersionOut,
             summary="Amend a letter: a new version that closes the previous one",
             description="The version before it ends the day before `valid_from`; it keeps its signed end in "
                         "`declared_valid_until`. `valid_from` may not precede the start of the last version that "
                         "took effect (422). It may precede a scheduled version: that one still takes effect on "
                         "its own date, and the new version applies until the day before.")
async def amend_policy(rt: Runtime, policy_id: PolicyPath, body: PolicyIn, principal: Admin) -> PolicyVersionOut:
    return await add(rt, principal.require_tenant(), policy_id, draft_of(body), principal.subject, new=False)


@router.post("/{policy_id}/extensions", status_code=status.HTTP_201_CREATED, response_model=PolicyVersionOut,
             summary="Extend a letter: a new version with the same content and a new end",
             description="Starts the day after the latest version ends unless `valid_from` is given; "
                         "`valid_until: null` extends until further notice.")
async def extend_policy(rt: Runtime, policy_id: PolicyPath, body: ExtensionIn,
                        principal: Admin) -> PolicyVersionOut:
    tenant = principal.require_tenant()
    async with rt.sessions() as session:
        versions = await letters.versions_of(session, tenant, policy_id)
    if not versions:
        raise no_letter()
    latest = rules.latest(versions)
    start = body.valid_from
    if start is None:
        if latest.valid_until is None:
            raise errors.conflict("open_ended_latest")
        start = latest.valid_until + timedelta(days=1)
    if body.valid_until is not None and body.valid_until < start:
        raise errors.invalid(("body", "valid_until"), errors.text("valid_until_before", start=start))
    draft = Draft(
        number=body.number or latest.number, title=body.title or latest.title, valid_from=start,
        valid_until=body.valid_until, content=dict(latest.content),
        signatory=body.signatory if body.signatory is not None else latest.signatory,
        legal_basis=body.legal_basis if body.legal_basis is not None else list(latest.legal_basis),
    )
    return await add(rt, tenant, policy_id, draft, principal.subject, new=False)


@router.get("/{policy_id}/versions", response_model=list[PolicyVersionOut],
            summary="A letter's history: every version, oldest first")
async def history(rt: Runtime, policy_id: PolicyPath, principal: Reader) -> list[PolicyVersionOut]:
    """Every version of one letter, oldest first, with who issued it and when each took effect. 404 for an unknown
    letter."""
    tenant = principal.require_tenant()
    now = datetime.now(UTC)
    async with rt.sessions() as session:
        zone = await zone_of(session, tenant)
        versions = await letters.versions_of(session, tenant, policy_id)
    if not versions:
        raise no_letter()
    return [letters.to_out(v, zone, now) for v in versions]


@router.get("/{policy_id}/versions/{version}", response_model=PolicyVersionOut, summary="One version")
async def get_version(rt: Runtime, policy_id: PolicyPath, version: VersionPath,
                      principal: Reader) -> PolicyVersionOut:
    """One version of a letter, with its full content and state. 404 when the letter or the version does not
    exist."""
    tenant = principal.require_tenant()
    async with rt.sessions() as session:
        zone = await zone_of(session, tenant)
        row = await session.get(PolicyVersion, (tenant, policy_id, version))
    if row is None:
        raise no_letter()
    return letters.to_out(row, zone, datetime.now(UTC))



@router.post("/{policy_id}/versions/{version}/withdraw", response_model=PolicyVersionOut,
             summary="Withdraw a scheduled version before it takes effect (audited)",
             description="Only a version not yet in effect (status `scheduled`) can be withdrawn; 409 for one "
                         "in force, past, void or withdrawn already. It stays in the history with who withdrew "
                         "it, when and why, and is never published. The versions it closed take their ranges "
                         "back; one already published is published again (`policy.updated`) with its range.",
             responses={404: {"description": "no such letter or version"},
                        409: {"description": "the version is not scheduled"}})
async def withdraw_version(rt: Runtime, policy_id: PolicyPath, version: VersionPath, body: WithdrawIn,
                           principal: Admin) -> PolicyVersionOut:
    tenant = principal.require_tenant()
    now = datetime.now(UTC)
    async with rt.sessions() as session, session.begin():
        zone = await zone_of(session, tenant)
        row = await letters.withdraw(rt, session, tenant=tenant, timezone=zone, policy_id=policy_id,
                                     version=version, reason=body.reason, actor=principal.subject, now=now)
        out = letters.to_out(row, zone, now)
    rt.wake_relay()
    return out
