"""Accepting check-ins: the submissions of a group (:mod:`services.runtime.group_commit`), each one
employee's items, stored with their events in one transaction, set-based.

A group costs a fixed number of statements whatever its size and however many tenants it
spans: the read models' generation (the submitters, their zones and letters come from
:class:`~services.checkin.directory.Directory`, in memory), one ``INSERT … ON CONFLICT DO
NOTHING`` of every new check-in (a key already stored, also by a concurrent request, is simply
not inserted), one lookup of the keys that were already stored (only when some were), one
insert of the events.

Tenants: each row's tenant is its submission's, which is the token's. The group's statements
span tenants as a consumer's batch does, so they run as background work (row-level security
bound to no tenant); every key they match names the tenant. Every accepted item's row and event
therefore commit together; a failure of the database rejects the group, which the group
commit applies again in halves, so an item the database refuses fails alone.

Idempotency (per tenant, employee and key): a key already stored with the same payload
answers 201 again with the stored check-in (``replayed``), with another payload 409. Within
one submission the first valid item with a key is the one processed; later items with that key
are answered like retries (same payload as the stored check-in → replayed, another payload →
409; nothing stored under the key → the first item's answer when the payload is the same, else
409). A retry is recognised before the capture-time rules are applied again, so a client
retrying after days still learns that its check-in was stored. Two submissions of one employee
in one group are applied in their order, the later seeing the earlier's rows as stored.

Results are data (:class:`Refused` or one :class:`Outcome` per item, their problems as message
pairs): each caller puts them into words in its own request's language.

The pure decisions (which item speaks for a key, whether a capture time is acceptable) are
:mod:`services.checkin.domain`'s; this module reads and writes the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin import store
from services.checkin.directory import Context, Directory, Employee
from services.checkin.domain.capture import Rejection, screen
from services.checkin.domain.idempotency import CHECKIN_FIELDS, Candidate, first_per_key
from services.checkin.schemas import CheckinIn
from services.checkin.store import Checkin
from services.contracts.events import CheckinReceived, Location
from services.runtime import db, outbox, sql, telemetry

CONFLICT = Rejection("idempotency_key", "idempotency_conflict", "")  # its message: errors.text(type)


@dataclass(frozen=True)
class Submission:
    """One request's items, by the employee its token names."""

    tenant: str
    nip: str
    candidates: Sequence[Candidate]
    traceparent: str | None = None


@dataclass(frozen=True)
class Refused:
    """The submitter may not submit: ``unknown_employee`` or ``inactive_employee``."""

    kind: str


@dataclass
class Outcome:
    index: int
    status: int
    key: str | None
    row: Checkin | None = None
    replayed: bool = False
    problems: list[Rejection] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return self.status == 201 and not self.replayed


Result = Refused | list[Outcome]


class Acceptance:
    """``apply`` for the check-in group commit: the service's directory copy, outbox and source."""

    def __init__(self, directory: Directory, outbox_table: Any, source: str) -> None:
        self.directory = directory
        self._outbox = outbox_table
        self._source = source

    async def apply(self, session: AsyncSession, group: Sequence[Submission]) -> list[Result]:
        with telemetry.grouped("accept check-ins", group):
            return await self._apply(session, group)

    async def _apply(self, session: AsyncSession, group: Sequence[Submission]) -> list[Result]:
        # after the transaction began: a watermark read meanwhile counts it open
        now, (generation,) = await db.clock(session, store.read_models_generation())
        contexts = await self.directory.contexts(session, [(s.tenant, s.nip) for s in group], int(generation or 0))
        plans: list[_Plan | Refused] = []
        for s in group:
            context = contexts[(s.tenant, s.nip)]
            refusal = _refusal(context)
            plans.append(refusal if refusal is not None else _plan(s, context, now))  # type: ignore[arg-type]
        await self._write(session, [p for p in plans if isinstance(p, _Plan)])
        return [p if isinstance(p, Refused) else p.answer() for p in plans]

    async def _write(self, session: AsyncSession, plans: list[_Plan]) -> None:
        if not plans:
            return
        # (tenant, nip, key) → the first row of the group under it; the same employee's later
        # request under that key finds it stored
        claimed: dict[tuple[str, str, str], Checkin] = {}
        for plan in plans:
            for row in plan.rows.values():
                claimed.setdefault((row.tenant, row.employee_id, row.idempotency_key), row)
        rows = list(claimed.values())
        inserted = set(await sql.insert_ignore(
            session, Checkin, [{n: getattr(r, n) for n in _COLUMNS} for r in rows], Checkin.id,
            keys=["tenant", "employee_id", "idempotency_key"]))
        stored = await _stored(session, sorted({(p.tenant, p.nip, k) for p in plans for k in p.unresolved(inserted)}))
        events: list[outbox.Staged] = []
        for plan in plans:
            plan.settle(inserted, stored)
            events += [outbox.Staged(e, plan.tenant, plan.traceparent) for e in plan.events()]
        await outbox.stage_each(session, self._outbox, events, source=self._source)


def _refusal(context: Context | None) -> Refused | None:
    if context is None:
        return Refused("unknown_employee")
    if not context.employee.active:
        return Refused("inactive_employee")
    return None


@dataclass
class _Plan:
    """One submission between its screening and its answer."""

    tenant: str
    nip: str
    traceparent: str | None
    candidates: Sequence[Candidate]
    firsts: dict[str, Candidate]
    rows: dict[str, Checkin]  # by key: the new rows its fresh items would store
    out_of_window: dict[str, Rejection]
    inserted: set[str] = field(default_factory=set)  # keys
    stored: dict[str, Checkin] = field(default_factory=dict)  # keys held by rows stored before

    def unresolved(self, inserted_ids: set[str]) -> list[str]:
        return [k for k, r in self.rows.items() if r.id not in inserted_ids] + list(self.out_of_window)

    def settle(self, inserted_ids: set[str], stored: dict[tuple[str, str, str], Checkin]) -> None:
        self.inserted = {k for k, r in self.rows.items() if r.id in inserted_ids}
        self.stored = {k: stored[(self.tenant, self.nip, k)] for k in self.firsts
                       if (self.tenant, self.nip, k) in stored}

    def events(self) -> list[CheckinReceived]:
        """Events in item order: the relay publishes in outbox-id order."""
        return [_event(self.rows[c.key], c.body) for c in self.candidates
                if c.key in self.inserted and c is self.firsts[c.key]]

    def answer(self) -> list[Outcome]:
        answers: dict[str, Outcome] = {}
        for c in self.firsts.values():
            if c.key in self.inserted:
                answers[c.key] = Outcome(c.index, 201, c.key, self.rows[c.key])
            elif c.key in self.stored:
                answers[c.key] = _retry_of(self.stored[c.key], c)
            elif c.key in self.out_of_window:
                answers[c.key] = Outcome(c.index, 422, c.key, problems=[self.out_of_window[c.key]])
            else:  # ON CONFLICT skipped it, yet no row holds the key: check-ins are never deleted
                raise RuntimeError(f"idempotency key {c.key!r} conflicted but no stored check-in has it")
        outcomes: list[Outcome] = []
        for c in self.candidates:
            first = self.firsts[c.key]
            if c is first:
                outcomes.append(answers[c.key])
                continue
            answer = answers[c.key]
            holder = self.rows[c.key] if c.key in self.inserted else self.stored.get(c.key)
            if holder is not None:
                outcomes.append(_retry_of(holder, c))
            elif c.digest == first.digest:
                outcomes.append(Outcome(c.index, answer.status, c.key, problems=list(answer.problems)))
            else:
                outcomes.append(Outcome(c.index, 409, c.key, problems=[CONFLICT]))
        return outcomes


def _plan(s: Submission, context: Context, now: datetime) -> _Plan:
    firsts = first_per_key(s.candidates)
    fresh, out_of_window = screen(firsts.values(), context.letters, context.timezone, now)
    rows = {c.key: _new_row(c, s.tenant, context.employee, now) for c in fresh}
    return _Plan(s.tenant, s.nip, s.traceparent, s.candidates, firsts, rows, out_of_window)


def _retry_of(row: Checkin, c: Candidate) -> Outcome:
    if row.request_hash == c.digest:
        return Outcome(c.index, 201, c.key, row, replayed=True)
    return Outcome(c.index, 409, c.key, problems=[CONFLICT])


def _new_row(c: Candidate, tenant: str, employee: Employee, now: datetime) -> Checkin:
    return Checkin(
        id=str(uuid.uuid4()), tenant=tenant, employee_id=employee.nip, unit_id=employee.unit_id,
        kind=c.body.kind.value, captured_at=c.body.captured_at.astimezone(UTC), received_at=now,
        idempotency_key=c.key, request_hash=c.digest,
        payload=c.body.model_dump(mode="json", include=set(CHECKIN_FIELDS)),
    )


_COLUMNS = ("id", "tenant", "employee_id", "unit_id", "kind", "captured_at", "received_at",
            "idempotency_key", "request_hash", "payload")


async def _stored(session: AsyncSession, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], Checkin]:
    """The stored check-ins of ``(tenant, nip, key)`` triples, one query per chunk."""
    found: dict[tuple[str, str, str], Checkin] = {}
    for chunk in sql.chunks(keys, 1000):
        key = tuple_(Checkin.tenant, Checkin.employee_id, Checkin.idempotency_key)
        for row in await session.scalars(select(Checkin).where(key.in_(list(chunk)))):
            found[(row.tenant, row.employee_id, row.idempotency_key)] = row
    return found


def _event(row: Checkin, body: CheckinIn) -> CheckinReceived:
    return CheckinReceived(
        checkin_id=uuid.UUID(row.id), employee_id=row.employee_id, unit_id=row.unit_id,
        kind=body.kind, captured_at=body.captured_at, received_at=row.received_at, device_id=body.device_id,
        location=Location(**body.location.model_dump()) if body.location else None,
        activity_text=body.activity_text, attachment_ref=body.attachment_ref, meeting_ref=body.meeting_ref,
    )
