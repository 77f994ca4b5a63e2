"""What a ``roster.published`` event replaces, in which order: one rule for every consumer.

Policy publishes each change of a unit's roster as the events of one ``revision`` (per
tenant, increasing in the order policy made its changes), built by :func:`events`:

- ``replaces="range"`` — a generated roster: the unit's roster from ``start`` to ``end``
  *is* the union of the assignments of the revision's ``chunks`` events (a large one is
  split to fit Kafka's message size); an (employee, day) of the unit in the range that none
  of them lists has no entry any more;
- ``replaces="assignments"`` — a unit head's override: only the listed (employee, day)
  entries change.

A consumer holds, per (employee, day), the entry and the revision that wrote it, and per
unit the chunks of ``range`` revisions it has seen (revision, chunk, range). Then, in any
order of arrival and however often an event arrives, it ends with what policy holds:

1. an assignment is written unless its entry is held at a higher revision or a ``range``
   revision of the unit higher than the event's covers its day (that one dropped or rewrote
   the entry, whether or not it listed it);
2. once every chunk of a ``range`` revision is in, the unit's entries in the range held at a
   lower revision are dropped. Never earlier: until then the entries the other chunks will
   rewrite keep their previous mode rather than none.

:func:`outcome` is that decision on the facts a consumer read; ``services.runtime.rosters``
reads them and writes the outcome for the services that keep rosters.

Entries written before a range revision by other units (an employee who moved) are not the
unit's and stay, as in policy. Events from producers before these fields read as
``assignments`` at revision 0: they write their entries and drop nothing (read as a range,
one chunk of a large roster would erase the others, an override the rest of its day).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from services.contracts.events import RosterAssignment, RosterPublished, RosterScope

CHUNK = 2000  # assignments per event: ~200 kB of JSON, well below Kafka's 1 MB message limit

Entry = tuple[str, date]  # (employee id, day)


@dataclass(frozen=True)
class ChunkSeen:
    """A chunk of a ``range`` revision of the unit that the consumer has applied."""

    revision: int
    start: date
    end: date


@dataclass(frozen=True)
class Drop:
    """Delete the unit's entries from ``start`` to ``end`` held at a revision below ``below``."""

    unit_id: str
    start: date
    end: date
    below: int


@dataclass(frozen=True)
class Outcome:
    write: dict[Entry, RosterAssignment]  # the assignments to write (at the event's revision), by entry
    drop: Drop | None


def events(unit_id: str, start: date, end: date, assignments: Sequence[RosterAssignment], *,
           replaces: RosterScope, revision: int, size: int = CHUNK) -> list[RosterPublished]:
    """The events of one roster change: chunks of at most ``size`` assignments, at least one
    (an empty range still replaces the range)."""
    parts = [assignments[i:i + size] for i in range(0, len(assignments), size)] or [[]]
    return [RosterPublished(unit_id=unit_id, start=start, end=end, assignments=list(part), replaces=replaces,
                            revision=revision, chunk=i, chunks=len(parts))
            for i, part in enumerate(parts)]


def outcome(event: RosterPublished, held: Mapping[Entry, int], seen: Iterable[ChunkSeen]) -> Outcome:
    """What applying ``event`` changes. ``held``: the revision of each entry of the event the
    consumer has (absent: none); ``seen``: the unit's range chunks it has applied that overlap
    the event's range, at the event's revision or higher (this one included)."""
    seen = list(seen)
    newer = [c for c in seen if c.revision > event.revision]
    write = {(a.employee_id, a.date): a for a in event.assignments
             if held.get((a.employee_id, a.date), 0) <= event.revision
             and not any(c.start <= a.date <= c.end for c in newer)}
    complete = sum(c.revision == event.revision for c in seen) >= event.chunks
    drop = Drop(event.unit_id, event.start, event.end, event.revision) if event.replaces == "range" and complete \
        else None
    return Outcome(write, drop)
