"""Decisions of heads and the BKD as reporting keeps them, and the closed ledger rows they change.

Three read models, each the latest state per id — the highest ``revision`` wins, so a
redelivered or reordered event changes nothing: ``absences`` (``absence.updated``, with the
days the state excuses by :func:`services.contracts.rules.absence.excused_span`),
``corrections`` (``correction.updated``) and ``reviews`` (``checkin.reviewed``). A window not
closed yet reads them whenever its rows are built (the closure, the daily report). The rows
of a window already closed are re-decided from their facts by :func:`refresh` — the one rule
(:func:`.domain.ledger.outcome`) over the verdicts that count (a returned check-in does not),
the absences and the approved corrections — and so is a row a late verdict reaches
(:func:`services.reporting.handlers.on_evaluated`). Hence, after the closure:

- an absence approved after a window closed as missing turns its row ``excused`` (sick leave
  is often approved afterwards); the overdue notice already sent stays recorded (``overdue``);
  a cancellation turns the days from ``cancelled_from`` on back to what the check-ins say;
- an approved correction changes the row, the original verdict kept beside it;
- a returned check-in turns its row ``missing`` unless another check-in fills the window;
  another check-in in the window, or the review approved after all, fills it again;
- a row changed after its closure carries ``revised_at`` (the daily report tells a unit's
  sign-off that came before such a change), and a month already frozen has the employees
  concerned re-scored with the weights it was frozen with (:func:`.monthly.rescore`).

No notice goes out for a change after the closure: the closure sent its overdue notices once.

A decision never slips between a closure's read and its write: like a verdict, it holds the
shared lock of the windows it concerns (:mod:`.window_lock`) — a correction or review its
window's, an absence those of its days from :data:`LOCK_HORIZON` ago to tomorrow (the days a
closure may be running for; older windows are closed, and their rows are re-decided here).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from services.contracts.decisions import AbsenceUpdated, CheckinReviewed, CorrectionUpdated
from services.contracts.envelope import Envelope
from services.contracts.rules.absence import Span
from services.reporting import monthly, queries
from services.reporting.domain import ledger
from services.reporting.domain.decisions import NONE, Decisions
from services.reporting.domain.monthly import month_start
from services.reporting.store import Absence, Correction, Evaluation, Expectation, PolicyVersion, Review
from services.reporting.window_lock import lock_windows
from services.runtime import sql

Key = tuple[str, date, str, str]  # tenant, day, window, NIP
LOCK_HORIZON = timedelta(days=31)  # well beyond HADIR_REPORTING_LOOKBACK_DAYS (3)
DECIDED = ("status", "late_minutes", "outside_geofence", "suspicious", "checkin_at", "absence_kind",
           "original_status", "original_late_minutes", "original_outside_geofence", "corrected_at")


async def on_absence(session: AsyncSession, envelope: Envelope, event: AbsenceUpdated) -> None:
    """Keep the absence's latest state; re-decide the closed rows of the days it excused or excuses."""
    tenant = envelope.tenant
    stored = await _stored(session, Absence, tenant, Absence.absence_id, str(event.absence_id))
    if stored is not None and stored.revision >= event.revision:
        return
    span = event.excused()
    await _lock_days(session, tenant, [r for r in (_span_of(stored), span) if r is not None])
    await session.merge(Absence(
        tenant=tenant, absence_id=str(event.absence_id), nip=event.employee_id, unit_id=event.unit_id,
        kind=event.kind.value, start=event.start, end=event.end, status=event.status,
        cancelled_from=event.cancelled_from, excused_start=span.start if span else None,
        excused_end=span.end if span else None, revision=event.revision, at=event.at))
    x = Expectation.__table__.c
    ranges = [(stored.nip, stored.excused_start, stored.excused_end)] if stored is not None else []
    ranges += [(event.employee_id, span.start, span.end)] if span else []
    days = [and_(x.nip == nip, x.day >= first, x.day <= last) for nip, first, last in ranges if first and last]
    if days:
        await refresh(session, and_(x.tenant == tenant, or_(*days)))


async def on_correction(session: AsyncSession, envelope: Envelope, event: CorrectionUpdated) -> None:
    """Keep the correction's latest state; re-decide the window's row if it closed."""
    tenant = envelope.tenant
    stored = await _stored(session, Correction, tenant, Correction.correction_id, str(event.correction_id))
    if stored is not None and stored.revision >= event.revision:
        return
    await lock_windows(session, [(tenant, event.local_date, event.window_id)], shared=True)
    await session.merge(Correction(
        tenant=tenant, correction_id=str(event.correction_id), nip=event.employee_id, unit_id=event.unit_id,
        local_date=event.local_date, window_id=event.window_id, contested=event.contested, status=event.status,
        revision=event.revision, at=event.at))
    await refresh(session, _row(tenant, event.local_date, event.window_id, event.employee_id))


async def on_review(session: AsyncSession, envelope: Envelope, event: CheckinReviewed) -> None:
    """Keep the review's latest decision; re-decide the window's row if it closed."""
    tenant = envelope.tenant
    stored = await _stored(session, Review, tenant, Review.checkin_id, str(event.checkin_id))
    if stored is not None and stored.revision >= event.revision:
        return
    window_id = event.window_id or (await session.scalar(select(Evaluation.window_id).where(
        Evaluation.tenant == tenant, Evaluation.checkin_id == str(event.checkin_id))))
    if window_id is not None:
        await lock_windows(session, [(tenant, event.local_date, window_id)], shared=True)
    await session.merge(Review(
        tenant=tenant, checkin_id=str(event.checkin_id), nip=event.employee_id, local_date=event.local_date,
        window_id=event.window_id, decision=event.decision, revision=event.revision, at=event.at))
    if window_id is not None:
        await refresh(session, _row(tenant, event.local_date, window_id, event.employee_id))


async def refresh(session: AsyncSession, where: ColumnElement[bool], now: datetime | None = None) -> int:
    """Re-decide the closed ledger rows ``where`` selects from their facts (module docstring), in
    a few set-based statements; returns how many changed."""
    x = Expectation.__table__.c
    found = (await session.execute(
        select(x.tenant, x.day, x.window_id, x.nip, *(x[c] for c in DECIDED)).where(where).with_for_update())).all()
    if not found:
        return 0
    keys: list[Key] = [(r[0], r[1], r[2], r[3]) for r in found]
    facts = await _facts(session, keys)
    decisions = await _decisions(session, keys)
    now = now or datetime.now(UTC)
    changed: list[dict[str, Any]] = []
    for row in found:
        key: Key = (row[0], row[1], row[2], row[3])
        o = ledger.outcome(facts.get(key), closed=True, decisions=decisions.get(key, NONE))
        decided = {c: getattr(o, c) for c in DECIDED}
        if tuple(decided.values()) != tuple(row[4:]):
            changed.append({"tenant": key[0], "day": key[1], "window_id": key[2], "nip": key[3], **decided,
                            "revised_at": now})
    await sql.update_rows(session, Expectation.__table__, ("tenant", "day", "window_id", "nip"), changed)
    months: dict[tuple[str, date], set[str]] = defaultdict(set)
    for r in changed:
        months[(r["tenant"], month_start(r["day"]))].add(r["nip"])
    for (tenant, month), nips in months.items():
        await monthly.rescore(session, tenant, month, sorted(nips), now)
    return len(changed)


async def _facts(session: AsyncSession, keys: list[Key]) -> dict[Any, ledger.Fact]:
    ev = Evaluation.__table__.c
    rows = await session.execute(
        select(ev.tenant, ev.local_date, ev.window_id, ev.nip, ev.status, ev.late_minutes, ev.geofence,
               ev.suspicious, ev.captured_at)
        .where(tuple_(ev.tenant, ev.local_date, ev.window_id, ev.nip).in_(keys), queries.counted_verdicts()))
    return queries.fold_verdicts(((r[0], r[1], r[2], r[3]), *r[4:]) for r in rows)


async def _decisions(session: AsyncSession, keys: list[Key]) -> dict[Key, Decisions]:
    """The absences and approved corrections in force on each row of ``keys``."""
    a = Absence.__table__.c
    people = list({(k[0], k[3]) for k in keys})
    first, last = min(k[1] for k in keys), max(k[1] for k in keys)
    spans: dict[tuple[str, str], list[tuple[date, date, str]]] = defaultdict(list)
    for tenant, nip, start, end, kind in await session.execute(
            select(a.tenant, a.nip, a.excused_start, a.excused_end, a.kind)
            .where(tuple_(a.tenant, a.nip).in_(people), a.excused_start <= last, a.excused_end >= first)
            .order_by(a.start, a.absence_id)):
        spans[(tenant, nip)].append((start, end, kind))
    c = Correction.__table__.c
    corrections: dict[Key, list[tuple[Any, datetime]]] = defaultdict(list)
    for tenant, day, window_id, nip, contested, at in await session.execute(
            select(c.tenant, c.local_date, c.window_id, c.nip, c.contested, c.at)
            .where(tuple_(c.tenant, c.local_date, c.window_id, c.nip).in_(keys), c.status == "approved")):
        corrections[(tenant, day, window_id, nip)].append((contested, at))
    out: dict[Key, Decisions] = {}
    for key in keys:
        kind = next((k for start, end, k in spans.get((key[0], key[3]), ()) if start <= key[1] <= end), None)
        if kind is not None or key in corrections:
            out[key] = Decisions(absence_kind=kind, corrections=tuple(corrections.get(key, ())))
    return out


def _span_of(stored: Absence | None) -> Span | None:
    if stored is None or stored.excused_start is None or stored.excused_end is None:
        return None
    return Span(stored.excused_start, stored.excused_end)


async def _lock_days(session: AsyncSession, tenant: str, spans: list[Span]) -> None:
    """The shared locks of every window of the days in ``spans`` a closure may be running for."""
    today = datetime.now(UTC).date()
    first, last = today - LOCK_HORIZON, today + timedelta(days=1)
    days = {d for span in spans for d in Span(max(span.start, first), min(span.end, last)).days()
            if span.start <= last and span.end >= first}
    if not days:
        return
    contents = await session.scalars(select(PolicyVersion.content).where(PolicyVersion.tenant == tenant))
    window_ids = {str(w["id"]) for content in contents for w in content.get("windows", [])}
    await lock_windows(session, [(tenant, d, w) for d in days for w in window_ids], shared=True)


def _row(tenant: str, day: date, window_id: str, nip: str) -> ColumnElement[bool]:
    x = Expectation.__table__.c
    return and_(x.tenant == tenant, x.day == day, x.window_id == window_id, x.nip == nip)


async def _stored(session: AsyncSession, model: Any, tenant: str, key: Any, value: str) -> Any:
    """The stored state of one decision, locked for the update."""
    return await session.scalar(select(model).where(model.tenant == tenant, key == value).with_for_update())
