"""Evaluation of every ``checkin.received`` into ``checkin.evaluated`` (the handler
that stages the verdicts: :mod:`.handlers`).

Set-based: for a whole batch of check-ins it gathers the facts with one query per kind
(tenant zones and calendars, employees, letter versions, the unit tree level by level, roster days,
last fixes, absences), hands each check-in with its facts to the pure domain code
(:func:`.domain.evaluation.evaluate`) in the batch's order, and writes the employees'
last fixes with one statement. A day an absence excuses
(``contracts.rules.absence.excused_span``) is judged with ``absent``; an official trip's
alternative place is allowed on the days it excuses. A check-in's previous fix is the
latest one judged before it — in this batch or stored — so a batch gives the verdicts that judging its
check-ins one by one would give. A stored fix is only replaced by a later capture
(also when another replica wrote it meanwhile).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import CheckinEvaluated, CheckinReceived, EmployeeRecord, Place, WorkMode
from services.contracts.policy import AbsenceKind, PolicyContent, Sector, local_date
from services.contracts.rules.absence import Span, excused_span
from services.contracts.rules.calendar import TenantCalendar
from services.contracts.rules.sectors import resolve
from services.contracts.rules.versions import at_capture, until_as_known_at
from services.policy.absences import excusing
from services.policy.domain.evaluation import PreviousFix, evaluate
from services.policy.letters import versions_between
from services.policy.records import employee_record, tenant_calendar
from services.policy.store import Absence, Employee, LastFix, PolicyVersion, RosterDay, Tenant, Unit
from services.runtime import sql

DEFAULT_ZONE = "Asia/Jakarta"
NO_LETTER = PolicyContent(windows=[])  # no version covers the capture: nothing is asked

Key = tuple[str, str]  # (tenant, nip) or (tenant, unit id)


@dataclass
class Facts:
    """What the batch's verdicts depend on, read once for the whole batch."""

    zones: dict[str, str] = field(default_factory=dict)
    calendars: dict[str, TenantCalendar] = field(default_factory=dict)
    employees: dict[Key, EmployeeRecord] = field(default_factory=dict)
    versions: dict[str, list[PolicyVersion]] = field(default_factory=dict)
    units: dict[Key, Unit] = field(default_factory=dict)
    modes: dict[tuple[str, str, date], WorkMode] = field(default_factory=dict)
    fixes: dict[Key, PreviousFix] = field(default_factory=dict)
    contents: dict[tuple[str, str, int], PolicyContent] = field(default_factory=dict)
    excused: dict[Key, list[tuple[Span, Place | None]]] = field(default_factory=dict)

    def zone(self, tenant: str) -> str:
        return self.zones.get(tenant, DEFAULT_ZONE)

    def absence(self, who: Key, day: date) -> tuple[bool, list[Place]]:
        """Whether an absence excuses ``who`` on ``day``, and the places its official trips allow then."""
        spans = [(span, place) for span, place in self.excused.get(who, ()) if span.covers(day)]
        return bool(spans), [place for _, place in spans if place is not None]

    def version(self, tenant: str, day: date, captured_at: datetime) -> PolicyVersion | None:
        """The version that applied to the capture day *as known at* ``captured_at``
        (``contracts.rules.versions.at_capture``, ranges as they stood then): a later
        amendment, even one that closed this version retroactively, does not change the
        verdict. A check-in older than every version falls back to the first version
        covering its (local) ``day``."""
        return at_capture(self.versions.get(tenant, ()), day, captured_at, until_as_known_at)

    def content(self, version: PolicyVersion | None) -> PolicyContent:
        """The version's content, parsed once per batch (a letter's content is validated as a whole)."""
        if version is None:
            return NO_LETTER
        key = (version.tenant, version.policy_id, version.version)
        if key not in self.contents:
            self.contents[key] = PolicyContent.model_validate(version.content)
        return self.contents[key]

    def sector(self, tenant: str, unit_id: str, content: PolicyContent) -> Sector:
        """The unit's sector, the letter's mapping first, inherited up the unit tree
        (``contracts.rules.sectors``; a unit the directory does not hold: the letter's, else the default)."""
        parents: dict[str, str | None] = {}
        own: dict[str, Sector | None] = {}
        current: str | None = unit_id
        while current is not None and current not in parents:
            unit = self.units.get((tenant, current))
            if unit is None:
                break
            parents[current] = unit.parent_id
            own[current] = Sector(unit.sector) if unit.sector else None
            current = unit.parent_id
        return resolve(unit_id, parents, own, content.unit_sectors)


async def judge_all(session: AsyncSession, batch: Sequence[tuple[str, CheckinReceived]]) -> list[CheckinEvaluated]:
    """The verdicts on ``batch`` ((tenant, check-in) in order); remembers each employee's latest fix."""
    facts = await gather(session, batch)
    verdicts: list[CheckinEvaluated] = []
    moved: dict[Key, dict[str, object]] = {}
    for tenant, event in batch:
        tz = facts.zone(tenant)
        day = local_date(event.captured_at, tz)
        who = (tenant, event.employee_id)
        employee = facts.employees.get(who)
        version = facts.version(tenant, day, event.captured_at)
        content = facts.content(version)
        previous = facts.fixes.get(who)
        absent, also_allowed = facts.absence(who, day)
        verdicts.append(evaluate(
            event,
            content=content,
            timezone=tz,
            employee=employee,
            unit_sector=facts.sector(tenant, employee.unit_id, content) if employee else None,
            work_mode=facts.modes.get((tenant, event.employee_id, day)),
            previous=previous,
            policy_number=version.number if version else None,
            policy_version=version.version if version else None,
            absent=absent,
            also_allowed=also_allowed,
            calendar=facts.calendars.get(tenant),
        ))
        if event.location is not None and (previous is None or event.captured_at >= previous.captured_at):
            facts.fixes[who] = PreviousFix(event.captured_at, event.location.latitude, event.location.longitude)
            moved[who] = {"tenant": tenant, "nip": event.employee_id, "captured_at": event.captured_at,
                          "latitude": event.location.latitude, "longitude": event.location.longitude}
    await remember_fixes(session, list(moved.values()))
    return verdicts


async def gather(session: AsyncSession, batch: Sequence[tuple[str, CheckinReceived]]) -> Facts:
    """One query per kind of fact, whatever the size of the batch (the unit tree: one per level)."""
    facts = Facts()
    tenants = {tenant for tenant, _ in batch}
    people = list({(tenant, e.employee_id) for tenant, e in batch})
    for row in await session.scalars(select(Tenant).where(Tenant.id.in_(tenants))):
        facts.zones[row.id] = row.timezone
        facts.calendars[row.id] = tenant_calendar(row)
    for person in await session.scalars(select(Employee).where(tuple_(Employee.tenant, Employee.nip).in_(people))):
        facts.employees[(person.tenant, person.nip)] = employee_record(person)
    days = [(tenant, e.employee_id, local_date(e.captured_at, facts.zone(tenant))) for tenant, e in batch]
    first, last = min(d for _, _, d in days), max(d for _, _, d in days)
    for version in await versions_between(session, tenants, first, last):
        facts.versions.setdefault(version.tenant, []).append(version)
    await _unit_tree(session, facts, {(t, e.unit_id) for (t, _), e in facts.employees.items()})
    wanted_days = list(set(days))
    for roster in await session.scalars(select(RosterDay).where(
            tuple_(RosterDay.tenant, RosterDay.nip, RosterDay.day).in_(wanted_days))):
        facts.modes[(roster.tenant, roster.nip, roster.day)] = roster.mode  # type: ignore[assignment]
    for fix in await session.scalars(select(LastFix).where(tuple_(LastFix.tenant, LastFix.nip).in_(people))):
        facts.fixes[(fix.tenant, fix.nip)] = PreviousFix(fix.captured_at, fix.latitude, fix.longitude)
    for absence in await excusing(session, people, first, last):
        span = excused_span(absence.status, absence.start, absence.end, absence.cancelled_from)
        if span is not None:
            who = (absence.tenant, absence.employee_id)
            facts.excused.setdefault(who, []).append((span, _trip_place(absence, span)))
    return facts


def _trip_place(absence: Absence, span: Span) -> Place | None:
    """An official trip's alternative place, allowed on the days the trip excuses (kind ``other``)."""
    if absence.kind != AbsenceKind.DINAS_LUAR or absence.place_name is None \
            or absence.place_latitude is None or absence.place_longitude is None:
        return None
    return Place(name=absence.place_name, kind="other", latitude=absence.place_latitude,
                 longitude=absence.place_longitude, radius_m=absence.place_radius_m,
                 valid_from=span.start, valid_until=span.end)


async def _unit_tree(session: AsyncSession, facts: Facts, wanted: set[Key]) -> None:
    """The units in ``wanted`` and their ancestors, one query per level of the tree."""
    while wanted:
        found = list(await session.scalars(select(Unit).where(tuple_(Unit.tenant, Unit.id).in_(list(wanted)))))
        facts.units.update({(u.tenant, u.id): u for u in found})
        wanted = {(u.tenant, u.parent_id) for u in found
                  if u.parent_id is not None and (u.tenant, u.parent_id) not in facts.units}


async def remember_fixes(session: AsyncSession, fixes: Sequence[dict[str, object]]) -> None:
    """Store each employee's latest fix (rows of ``last_fixes``, one statement); a stored later capture is kept."""
    await sql.upsert(session, LastFix.__table__, fixes, ("tenant", "nip"), keep_newer="captured_at")
