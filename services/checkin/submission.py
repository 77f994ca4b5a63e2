"""Accepting check-ins: one employee's items, stored with their events in one transaction.

The single POST is a batch of one. For a batch the whole request is one database
transaction without savepoints: items are validated before anything is written,
new rows go in with one ``INSERT … ON CONFLICT DO NOTHING`` (a key already stored,
also by a concurrent request, is simply not inserted), and the outbox rows of the
inserted items follow in item order. Every accepted item's row and event therefore
commit together, and a failure of the database rejects the request as a whole with
nothing stored; the client retries it and the per-item keys make that safe. A batch
costs a fixed number of statements (directory, policies, one multi-row insert of the
check-ins, one lookup of keys already stored, one multi-row insert of the events).

Idempotency (per tenant, employee and key): a key already stored with the same
payload answers 201 again with the stored check-in (``replayed``), with another
payload 409. Within one batch the first valid item with a key is the one processed;
later items with that key are answered like retries (same payload as the stored
check-in → replayed, another payload → 409; nothing stored under the key → the first
item's answer when the payload is the same, else 409). A retry is recognised before
the capture-time rules are applied again, so a client retrying after days still
learns that its check-in was stored.

The pure decisions (which item speaks for a key, whether a capture time is acceptable)
are :mod:`services.checkin.domain`'s; this module reads and writes the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.checkin.domain.capture import screen
from services.checkin.domain.days import tenant_zone
from services.checkin.domain.idempotency import CHECKIN_FIELDS, Candidate, first_per_key
from services.checkin.schemas import CheckinIn, FieldError
from services.checkin.store import Checkin, DirectoryEmployee, PolicyVersion, directory_zone, letters
from services.contracts.events import CheckinReceived, Location
from services.runtime import errors, sql


def conflict() -> FieldError:
    """The idempotency key was used before with another payload."""
    return errors.make(["idempotency_key"], "idempotency_conflict", errors.text("idempotency_conflict"))


@dataclass
class Outcome:
    index: int
    status: int
    key: str | None
    row: Checkin | None = None
    replayed: bool = False
    errors: list[FieldError] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return self.status == 201 and not self.replayed


@dataclass(frozen=True)
class Context:
    """What the read models say about the submitting employee's tenant."""

    employee: DirectoryEmployee
    timezone: str
    policies: Sequence[PolicyVersion]


async def load_context(session: AsyncSession, tenant: str, employee: DirectoryEmployee) -> Context:
    """The submitting employee with their tenant's zone and policy versions."""
    zone = await directory_zone(session, tenant)
    policies = await letters(session, tenant)
    return Context(employee, tenant_zone(zone, policies), policies)


async def store(session: AsyncSession, *, tenant: str, context: Context, candidates: Sequence[Candidate],
                now: datetime) -> tuple[list[Outcome], list[CheckinReceived]]:
    """Store what is new, answer every candidate; return the answers and the events of the
    stored items, in item order, for the caller to stage in the same transaction."""
    nip = context.employee.nip
    firsts = first_per_key(candidates)
    fresh, out_of_window = screen(firsts.values(), context.policies, context.timezone, now)
    rows = {c.key: _new_row(c, tenant, context.employee, now) for c in fresh}
    inserted = await _insert_new(session, list(rows.values()))
    unresolved = [k for k in rows if k not in inserted] + list(out_of_window)
    stored = await _stored(session, tenant, nip, unresolved)

    answers: dict[str, Outcome] = {}
    for c in firsts.values():
        if c.key in inserted:
            answers[c.key] = Outcome(c.index, 201, c.key, rows[c.key])
        elif c.key in stored:
            answers[c.key] = _retry_of(stored[c.key], c)
        elif c.key in out_of_window:
            r = out_of_window[c.key]
            answers[c.key] = Outcome(c.index, 422, c.key, errors=[errors.make([r.field], r.type, r.msg)])
        else:  # ON CONFLICT skipped it, yet no row holds the key: check-ins are never deleted
            raise RuntimeError(f"idempotency key {c.key!r} conflicted but no stored check-in has it")

    outcomes: list[Outcome] = []
    for c in candidates:
        first = firsts[c.key]
        if c is first:
            outcomes.append(answers[c.key])
            continue
        answer = answers[c.key]
        holder = rows[c.key] if c.key in inserted else stored.get(c.key)
        if holder is not None:
            outcomes.append(_retry_of(holder, c))
        elif c.digest == first.digest:
            outcomes.append(Outcome(c.index, answer.status, c.key, errors=list(answer.errors)))
        else:
            outcomes.append(Outcome(c.index, 409, c.key, errors=[conflict()]))

    # Events in item order: the relay publishes in outbox-id order.
    return outcomes, [_event(rows[c.key], c.body) for c in candidates if c.key in inserted and c is firsts[c.key]]


def _retry_of(row: Checkin, c: Candidate) -> Outcome:
    if row.request_hash == c.digest:
        return Outcome(c.index, 201, c.key, row, replayed=True)
    return Outcome(c.index, 409, c.key, errors=[conflict()])


def _new_row(c: Candidate, tenant: str, employee: DirectoryEmployee, now: datetime) -> Checkin:
    return Checkin(
        id=str(uuid.uuid4()), tenant=tenant, employee_id=employee.nip, unit_id=employee.unit_id,
        kind=c.body.kind.value, captured_at=c.body.captured_at.astimezone(UTC), received_at=now,
        idempotency_key=c.key, request_hash=c.digest,
        payload=c.body.model_dump(mode="json", include=set(CHECKIN_FIELDS)),
    )


_COLUMNS = ("id", "tenant", "employee_id", "unit_id", "kind", "captured_at", "received_at",
            "idempotency_key", "request_hash", "payload")


async def _insert_new(session: AsyncSession, rows: list[Checkin]) -> set[str]:
    """Insert rows whose key is not stored yet; return the keys actually inserted."""
    if not rows:
        return set()
    values = [{name: getattr(row, name) for name in _COLUMNS} for row in rows]
    return set(await sql.insert_ignore(session, Checkin, values, Checkin.idempotency_key,
                                       keys=["tenant", "employee_id", "idempotency_key"]))


async def _stored(session: AsyncSession, tenant: str, nip: str, keys: list[str]) -> dict[str, Checkin]:
    if not keys:
        return {}
    found = await session.scalars(
        select(Checkin).where(Checkin.tenant == tenant, Checkin.employee_id == nip,
                              Checkin.idempotency_key.in_(keys))
    )
    return {row.idempotency_key: row for row in found}


def _event(row: Checkin, body: CheckinIn) -> CheckinReceived:
    return CheckinReceived(
        checkin_id=uuid.UUID(row.id), employee_id=row.employee_id, unit_id=row.unit_id,
        kind=body.kind, captured_at=body.captured_at, received_at=row.received_at, device_id=body.device_id,
        location=Location(**body.location.model_dump()) if body.location else None,
        activity_text=body.activity_text, attachment_ref=body.attachment_ref, meeting_ref=body.meeting_ref,
    )
