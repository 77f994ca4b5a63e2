"""Kafka subscribers of the reporting service: the read models built from other services' events.

Each runs inside the consumer's transaction together with the inbox row, so a
redelivered event changes nothing twice. :func:`subscriptions` is what app.py
registers.

A verdict (``checkin.evaluated``) that qualifies (on time or late) for a window
already closed has that window's ledger row re-decided from its facts by the one rule
(:func:`.decisions.refresh`, :mod:`.domain.ledger`): a check-in arriving after the
overdue notice turns ``missing`` into ``late`` (the notice stays sent, ``overdue``
stays true); on time always beats late. :mod:`.window_lock` keeps a verdict from
slipping between the closure's read and its write. The decisions of heads and the
BKD (``absence.updated``, ``correction.updated``, ``checkin.reviewed``) are kept by
:mod:`.decisions`, which re-decides the closed rows they concern.

Phone numbers come from ``directory.contacts.v1`` (compacted, keyed by employee), for the
dashboard's contact links alone (:mod:`.web.missing_now`): only the phone is kept (no e-mail),
and a record without one, or a tombstone under the employee's key (retention removed the details
in policy, or the employee left), deletes the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import delete, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.decisions import AbsenceUpdated, CheckinReviewed, CorrectionUpdated
from services.contracts.envelope import Envelope
from services.contracts.events import (
    CheckinEvaluated,
    DirectoryContact,
    DirectoryUpdatedV2,
    PolicyUpdated,
    RosterPublished,
)
from services.contracts.marks import CheckinsEvaluatedMark
from services.contracts.rules import retention
from services.reporting import decisions
from services.reporting.domain import ledger
from services.reporting.store import (
    Contact,
    Employee,
    EvaluatedMark,
    Evaluation,
    Expectation,
    PolicyVersion,
    Tenant,
    Unit,
    roster_tables,
)
from services.reporting.window_lock import lock_windows
from services.runtime import rosters, sql
from services.runtime.consumer import Batched, Decoded, Handler, HandlerKey, Removed
from services.runtime.service import ServiceRuntime


async def on_directory(session: AsyncSession, envelope: Envelope, event: DirectoryUpdatedV2) -> None:
    """A tenant (with its retention periods), unit or employee of ``directory.updated.v2``."""
    tenant = envelope.tenant
    if event.tenant is not None:
        t = event.tenant
        await session.merge(Tenant(id=tenant, name=t.name, timezone=t.timezone, kind=t.kind,
                                   retention=retention.stored(t.retention),
                                   calendar=t.calendar.model_dump(mode="json") if t.calendar else None))
    if event.unit is not None:
        u = event.unit
        await session.merge(Unit(tenant=tenant, id=u.id, name=u.name, effective_sector=u.effective_sector.value,
                                 sector=u.sector.value if u.sector else None, kind=u.kind, parent_id=u.parent_id,
                                 active=u.active))
    if event.employee is not None:
        e = event.employee
        await session.merge(Employee(tenant=tenant, nip=e.nip, name=e.name, unit_id=e.unit_id, active=e.active,
                                     is_teacher=e.is_teacher, is_front_line=e.is_front_line,
                                     is_unit_head=e.is_unit_head))


async def on_contact(session: AsyncSession, envelope: Envelope, event: DirectoryContact) -> None:
    """An employee's contact details: the phone kept for the dashboard's links; none, nothing kept."""
    if event.phone and event.phone.strip():
        await session.merge(Contact(tenant=envelope.tenant, nip=event.nip, phone=event.phone.strip()))
    else:
        await _forget_contact(session, envelope.tenant, event.nip)


async def on_contact_removed(session: AsyncSession, envelope: Envelope, _: Removed) -> None:
    """A tombstone under ``<tenant>/<nip>``: the details were removed in policy; reporting forgets them."""
    await _forget_contact(session, envelope.tenant, envelope.subject)


async def _forget_contact(session: AsyncSession, tenant: str, nip: str) -> None:
    await session.execute(delete(Contact).where(Contact.tenant == tenant, Contact.nip == nip))


async def on_policy(session: AsyncSession, envelope: Envelope, event: PolicyUpdated) -> None:
    await session.merge(PolicyVersion(
        tenant=envelope.tenant, policy_id=event.policy_id, version=event.version, number=event.number,
        valid_from=event.valid_from, valid_until=event.valid_until,
        effective_at=getattr(event, "effective_at", None) or envelope.time,
        content=event.content.model_dump(mode="json"),
    ))


async def on_roster(session: AsyncSession, envelope: Envelope, event: RosterPublished) -> None:
    """A range or the listed entries of a unit's roster, as ``replaces`` and ``revision`` say."""
    await rosters.apply(session, roster_tables, envelope.tenant, event)


async def on_evaluated(session: AsyncSession, batch: Sequence[Decoded]) -> None:
    """A batch of verdicts: one upsert of the evaluations, the shared locks of the windows
    they qualify for, and the closed windows' ledger rows folded in one read and one write."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    qualifying: list[tuple[str, CheckinEvaluated]] = []
    for item in batch:
        tenant, event = item.envelope.tenant, cast(CheckinEvaluated, item.event)
        rows[(tenant, str(event.checkin_id))] = {
            "tenant": tenant, "checkin_id": str(event.checkin_id), "nip": event.employee_id,
            "unit_id": event.unit_id, "kind": event.kind.value, "local_date": event.local_date,
            "window_id": event.window_id, "status": event.status, "late_minutes": event.late_minutes,
            "geofence": event.geofence, "suspicious": event.suspicious, "captured_at": event.captured_at,
            "place_kind": event.place_kind, "distance_m": event.distance_m,
            "nearest_place": event.nearest_place[:200] if event.nearest_place else None}
        if event.window_id is not None and event.status in ledger.QUALIFYING:
            qualifying.append((tenant, event))
    await lock_windows(session, {(t, e.local_date, cast(str, e.window_id)) for t, e in qualifying}, shared=True)
    await sql.upsert(session, Evaluation.__table__, list(rows.values()), ("tenant", "checkin_id"))
    if qualifying:
        await _apply_to_ledger(session, qualifying)


async def _apply_to_ledger(session: AsyncSession, verdicts: Sequence[tuple[str, CheckinEvaluated]]) -> None:
    """Re-decide the ledger rows of closed windows the verdicts fall in (where there is one)."""
    x = Expectation.__table__.c
    keys = list({(t, e.local_date, e.window_id, e.employee_id) for t, e in verdicts})
    await decisions.refresh(session, tuple_(x.tenant, x.day, x.window_id, x.nip).in_(keys))


async def on_mark(session: AsyncSession, envelope: Envelope, mark: CheckinsEvaluatedMark) -> None:
    """Keep the latest watermark mark of the pair of partitions (an older one changes nothing)."""
    await sql.upsert(session, EvaluatedMark.__table__, [{
        "partition": mark.partition, "source_partition": mark.source_partition, "partitions": mark.partitions,
        "source_partitions": mark.source_partitions, "accepted_until": mark.accepted_until}],
        ("partition", "source_partition"), keep_newer="accepted_until")


def subscriptions(rt: ServiceRuntime) -> dict[HandlerKey, Handler | Batched]:
    """The events reporting consumes and the handler of each."""
    return {
        DirectoryUpdatedV2: on_directory,
        DirectoryContact: on_contact,
        Removed(DirectoryContact): on_contact_removed,
        PolicyUpdated: on_policy,
        RosterPublished: on_roster,
        CheckinEvaluated: Batched(on_evaluated),
        CheckinsEvaluatedMark: on_mark,
        AbsenceUpdated: decisions.on_absence,
        CorrectionUpdated: decisions.on_correction,
        CheckinReviewed: decisions.on_review,
    }
