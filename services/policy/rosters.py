"""Rosters in the store: generating a unit's WFO/WFH plan, a unit head's
audited override of one day, and reading them back.

The rules of each day come from the letter that applies to it with everything
known now (``contracts.rules.versions.for_day``): working days (the letter's week and
holidays with the tenant's calendar, ``contracts.rules.calendar.is_working_day``), the
unit's sector (``contracts.rules.sectors``, the letter's mapping first) and so its
quota (``contracts.rules.quota``), and the exemptions (``contracts.rules.work_mode``).
WFO days already given this month before the range are the rotation's history,
so generating week by week stays fair over the month.
``roster.published`` is staged only when some assignment actually changed: a generated
roster replaces the unit's range, an override only its one entry, each under the tenant's
next roster revision (:mod:`services.contracts.rules.rosters`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import RosterAssignment, RosterScope, WorkMode
from services.contracts.policy import PolicyContent, Sector
from services.contracts.rules import rosters, sectors, versions
from services.contracts.rules.calendar import is_working_day
from services.contracts.rules.quota import quota_pct, required_in_office
from services.contracts.rules.work_mode import is_exempt
from services.policy import letters
from services.policy.domain import rostering
from services.policy.records import employee_record, tenant_calendar
from services.policy.schemas import OverrideOut, RosterDayOut, RosterOut
from services.policy.store import (
    Employee,
    PolicyVersion,
    RosterDay,
    RosterOverride,
    RosterRevision,
    RosterRun,
    Tenant,
    Unit,
)
from services.runtime import errors, outbox, sql
from services.runtime.service import ServiceRuntime


@dataclass(frozen=True)
class DayPolicy:
    version: PolicyVersion
    content: PolicyContent
    quota_pct: int


class Rules:
    """The letter, quota and exemptions of each day for one unit."""

    def __init__(self, versions: Sequence[PolicyVersion], unit_id: str, parents: dict[str, str | None],
                 own: dict[str, Sector | None]) -> None:
        self._versions = versions
        self._unit_id = unit_id
        self._parents = parents
        self._own = own
        self._contents: dict[tuple[str, int], PolicyContent] = {}

    def on(self, day: date) -> DayPolicy | None:
        version = versions.for_day(self._versions, day)
        if version is None:
            return None
        key = (version.policy_id, version.version)
        if key not in self._contents:
            self._contents[key] = PolicyContent.model_validate(version.content)
        content = self._contents[key]
        sector = sectors.resolve(self._unit_id, self._parents, self._own, content.unit_sectors)
        return DayPolicy(version, content, quota_pct(content, sector))


async def unit_rules(session: AsyncSession, tenant: str, unit_id: str, first: date, last: date) -> Rules:
    units = (await session.scalars(select(Unit).where(Unit.tenant == tenant))).all()
    parents = {u.id: u.parent_id for u in units}
    own = {u.id: Sector(u.sector) if u.sector else None for u in units}
    return Rules(await letters.tenant_versions(session, tenant, first, last), unit_id, parents, own)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


async def _unit(session: AsyncSession, tenant: str, unit_id: str) -> Unit:
    unit = await session.get(Unit, (tenant, unit_id))
    if unit is None:
        raise errors.not_found(errors.text("unit"))
    return unit


async def generate(rt: ServiceRuntime, session: AsyncSession, *, tenant: str, unit_id: str, start: date, end: date,
                   actor: str, replace_overrides: bool, now: datetime) -> RosterOut:
    await _unit(session, tenant, unit_id)
    employees = (await session.scalars(select(Employee).where(
        Employee.tenant == tenant, Employee.unit_id == unit_id, Employee.active.is_(True),
    ).order_by(Employee.nip))).all()
    records = [employee_record(e) for e in employees]
    day_rules = await unit_rules(session, tenant, unit_id, start, end)
    calendar = tenant_calendar(await session.get(Tenant, tenant))
    plans: list[rostering.DayRule] = []
    policies: dict[date, DayPolicy] = {}
    for day in _days(start, end):
        policy = day_rules.on(day)
        if policy is None:
            raise errors.conflict("no_letter_on_day", day=day)
        if not is_working_day(day, policy.content, calendar):
            continue
        exempt = frozenset(r.nip for r in records if is_exempt(r, unit_id, policy.content))
        plans.append(rostering.DayRule(day, policy.quota_pct, exempt))
        policies[day] = policy

    existing = {(r.nip, r.day): r for r in (await session.scalars(select(RosterDay).where(
        RosterDay.tenant == tenant, RosterDay.unit_id == unit_id,
        RosterDay.day >= start, RosterDay.day <= end))).all()}
    overridden = sorted((k for k, r in existing.items() if r.source == "override"), key=lambda k: (k[1], k[0]))
    if overridden and not replace_overrides:
        nip, day = overridden[0]
        raise errors.conflict("overrides_in_the_way", count=len(overridden), nip=nip, day=day)

    history = await month_history(session, tenant, unit_id, start, [r.nip for r in records])
    plan = rostering.plan([r.nip for r in records], plans, history)
    wanted = {(nip, day): mode for day, assignments in plan.items() for nip, mode in assignments.items()}
    changed = sum(1 for k, mode in wanted.items() if k not in existing or existing[k].mode != mode
                  or existing[k].source != "plan")
    changed += sum(1 for k in existing if k not in wanted)
    if changed:
        await session.execute(delete(RosterDay).where(
            RosterDay.tenant == tenant, RosterDay.unit_id == unit_id, RosterDay.day >= start, RosterDay.day <= end))
        await sql.upsert(session, RosterDay.__table__, [
            {"tenant": tenant, "nip": nip, "day": day, "unit_id": unit_id, "mode": mode, "source": "plan",
             "reason": None, "updated_at": now, "updated_by": actor}
            for (nip, day), mode in sorted(wanted.items())
        ], ["tenant", "nip", "day"])
        assignments = [RosterAssignment(employee_id=nip, date=day, mode=mode)
                       for (nip, day), mode in sorted(wanted.items())]
        await publish(rt, session, tenant, unit_id, start, end, assignments, replaces="range")
    session.add(RosterRun(tenant=tenant, unit_id=unit_id, start=start, end=end, members=len(records),
                          changed=changed, created_by=actor, created_at=now))
    return summarize(unit_id, start, end, plan, policies, changed)


async def publish(rt: ServiceRuntime, session: AsyncSession, tenant: str, unit_id: str, start: date, end: date,
                  assignments: Sequence[RosterAssignment], *, replaces: RosterScope) -> int:
    events = rosters.events(unit_id, start, end, assignments, replaces=replaces,
                            revision=await next_revision(session, tenant))
    return len(await outbox.stage_many(session, rt.outbox, events, tenant=tenant, source=rt.source))


async def next_revision(session: AsyncSession, tenant: str) -> int:
    """The tenant's next roster revision; the row stays locked until the change commits."""
    stmt = sql.insert(session, RosterRevision).values(tenant=tenant, revision=1)
    stmt = stmt.on_conflict_do_update(index_elements=["tenant"],
                                      set_={"revision": RosterRevision.__table__.c.revision + 1})
    return int((await session.execute(stmt.returning(RosterRevision.revision))).scalar_one())


async def month_history(session: AsyncSession, tenant: str, unit_id: str, start: date,
                        nips: Sequence[str]) -> dict[str, int]:
    """WFO days each member already has in this unit this month, before ``start``."""
    first = start.replace(day=1)
    if first == start or not nips:
        return {}
    rows = (await session.scalars(select(RosterDay.nip).where(
        RosterDay.tenant == tenant, RosterDay.unit_id == unit_id, RosterDay.mode == "wfo",
        RosterDay.day >= first, RosterDay.day < start))).all()
    wanted = set(nips)
    return dict(Counter(nip for nip in rows if nip in wanted))


def summarize(unit_id: str, start: date, end: date, plan: dict[date, dict[str, WorkMode]],
              policies: dict[date, DayPolicy], changed: int, reasons: dict[tuple[str, date], str] | None = None,
              ) -> RosterOut:
    days = []
    assignments = []
    wfo: Counter[str] = Counter()
    for day in sorted(plan):
        modes = plan[day]
        policy = policies.get(day)
        pct = policy.quota_pct if policy else 0
        days.append(RosterDayOut(
            date=day, quota_pct=pct, required_in_office=required_in_office(len(modes), pct),
            in_office=rostering.in_office(modes), headcount=len(modes),
            policy_number=policy.version.number if policy else None,
            policy_version=policy.version.version if policy else None))
        for nip in sorted(modes):
            assignments.append(RosterAssignment(employee_id=nip, date=day, mode=modes[nip],
                                                reason=(reasons or {}).get((nip, day))))
            wfo[nip] += modes[nip] == "wfo"
    return RosterOut(unit_id=unit_id, start=start, end=end, days=days, assignments=assignments,
                     wfo_days=dict(sorted(wfo.items())), changed=changed)


async def read(session: AsyncSession, *, tenant: str, unit_id: str, start: date, end: date) -> RosterOut:
    await _unit(session, tenant, unit_id)
    rows = (await session.scalars(select(RosterDay).where(
        RosterDay.tenant == tenant, RosterDay.unit_id == unit_id, RosterDay.day >= start, RosterDay.day <= end))).all()
    plan: dict[date, dict[str, WorkMode]] = {}
    reasons = {}
    for r in rows:
        plan.setdefault(r.day, {})[r.nip] = r.mode  # type: ignore[assignment]
        if r.reason:
            reasons[(r.nip, r.day)] = r.reason
    day_rules = await unit_rules(session, tenant, unit_id, start, end)
    policies = {day: p for day in plan if (p := day_rules.on(day)) is not None}
    return summarize(unit_id, start, end, plan, policies, 0, reasons)


async def override(rt: ServiceRuntime, session: AsyncSession, *, tenant: str, unit_id: str, day: date, nip: str,
                   mode: WorkMode, reason: str, actor: str, actor_roles: list[str],
                   now: datetime) -> OverrideOut | None:
    """Change one employee's mode on one day; ``None`` when it already is ``mode``."""
    await _unit(session, tenant, unit_id)
    rows = {r.nip: r for r in (await session.scalars(
        select(RosterDay).where(RosterDay.tenant == tenant, RosterDay.unit_id == unit_id, RosterDay.day == day)
        .with_for_update())).all()}
    row = rows.get(nip)
    if row is None:
        raise errors.not_found(errors.text("roster_entry", nip=nip, day=day))
    if row.mode == mode:
        return None
    policy = (await unit_rules(session, tenant, unit_id, day, day)).on(day)
    if policy is None:
        raise errors.conflict("no_letter_on_day", day=day)
    employee = await session.get(Employee, (tenant, nip))
    exempt = employee is not None and is_exempt(employee_record(employee), unit_id, policy.content)
    problem = rostering.override_problem({n: r.mode for n, r in rows.items()}, nip, mode,  # type: ignore[misc]
                                         policy.quota_pct, exempt)
    if problem is not None:
        raise errors.invalid(("body", "mode"), problem)
    audit = RosterOverride(tenant=tenant, unit_id=unit_id, nip=nip, day=day, old_mode=row.mode, new_mode=mode,
                           reason=reason, actor=actor, actor_roles=actor_roles, at=now)
    session.add(audit)
    row.mode, row.source, row.reason, row.updated_at, row.updated_by = mode, "override", reason, now, actor
    await publish(rt, session, tenant, unit_id, day, day,
                  [RosterAssignment(employee_id=nip, date=day, mode=mode, reason=reason)], replaces="assignments")
    return OverrideOut(unit_id=unit_id, nip=nip, date=day, old_mode=audit.old_mode, new_mode=mode,  # type: ignore[arg-type]
                       reason=reason, actor=actor, at=now)


async def overrides(session: AsyncSession, *, tenant: str, unit_id: str, start: date, end: date) -> list[OverrideOut]:
    rows = (await session.scalars(select(RosterOverride).where(
        RosterOverride.tenant == tenant, RosterOverride.unit_id == unit_id,
        RosterOverride.day >= start, RosterOverride.day <= end).order_by(RosterOverride.id))).all()
    return [OverrideOut(unit_id=r.unit_id, nip=r.nip, date=r.day, old_mode=r.old_mode, new_mode=r.new_mode,  # type: ignore[arg-type]
                        reason=r.reason, actor=r.actor, at=r.at) for r in rows]

