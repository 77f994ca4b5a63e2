"""The rule of ``roster.published`` (:mod:`services.contracts.rules.rosters`): an override
changes its one entry, a generation replaces its range once all its chunks are in, and a
consumer following the rule ends with policy's roster whatever the order and however often
events arrive. The consumer here keeps its facts in dicts; reporting and notify keep them in
PostgreSQL (tests/reporting/test_rosters.py, tests/notify/test_delivery_rosters.py)."""

from __future__ import annotations

import random
from datetime import date

import pytest
from pydantic import ValidationError

from services.contracts.events import RosterAssignment, RosterPublished
from services.contracts.rules.rosters import ChunkSeen, events, outcome
from tests.support.rosters import Held, a_history, deliveries, held_by_policy, published

DAY = date(2026, 3, 10)
A, B, C = "198001012005011001", "198001012005011002", "198001012005011003"


class Consumer:
    """The facts a consumer keeps, in memory, and the rule applied to them."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, date], tuple[str, str, int]] = {}  # -> (unit, mode, revision)
        self.chunks: set[tuple[str, int, int, date, date]] = set()

    def apply(self, e: RosterPublished) -> None:
        if e.replaces == "range":
            self.chunks.add((e.unit_id, e.revision, e.chunk, e.start, e.end))
        seen = [ChunkSeen(r, s, x) for u, r, _, s, x in self.chunks
                if u == e.unit_id and r >= e.revision and s <= e.end and x >= e.start]
        decided = outcome(e, {k: v[2] for k, v in self.entries.items()}, seen)
        self.entries |= {k: (e.unit_id, a.mode, e.revision) for k, a in decided.write.items()}
        if (drop := decided.drop) is not None:
            self.entries = {k: v for k, v in self.entries.items()
                            if not (v[0] == drop.unit_id and drop.start <= k[1] <= drop.end and v[2] < drop.below)}

    def held(self) -> Held:
        return {k: (unit, mode) for k, (unit, mode, _) in self.entries.items()}


def day_roster(modes: dict[str, str], revision: int) -> list[RosterPublished]:
    return events("bkd", DAY, DAY, [RosterAssignment(employee_id=n, date=DAY, mode=m)  # type: ignore[arg-type]
                                    for n, m in modes.items()], replaces="range", revision=revision)


def test_an_override_changes_its_one_entry_and_keeps_the_rest_of_the_day() -> None:
    consumer = Consumer()
    for e in day_roster({A: "wfo", B: "wfh", C: "wfh"}, revision=1):
        consumer.apply(e)
    consumer.apply(*events("bkd", DAY, DAY, [RosterAssignment(employee_id=B, date=DAY, mode="wfo")],
                           replaces="assignments", revision=2))
    assert consumer.held() == {(A, DAY): ("bkd", "wfo"), (B, DAY): ("bkd", "wfo"), (C, DAY): ("bkd", "wfh")}
    for e in day_roster({A: "wfo", B: "wfh", C: "wfh"}, revision=1):  # the generation redelivered
        consumer.apply(e)
    assert consumer.held()[(B, DAY)] == ("bkd", "wfo")


def test_chunks_of_one_generation_add_up_and_the_older_entries_go_only_with_the_last() -> None:
    consumer = Consumer()
    for e in day_roster({A: "wfo", B: "wfh", C: "wfh"}, revision=1):
        consumer.apply(e)
    first, second = events("bkd", DAY, DAY, [RosterAssignment(employee_id=A, date=DAY, mode="wfh"),
                                             RosterAssignment(employee_id=B, date=DAY, mode="wfo")],
                           replaces="range", revision=2, size=1)
    assert (first.chunk, first.chunks, second.chunk, second.chunks) == (0, 2, 1, 2)
    consumer.apply(second)
    assert consumer.held() == {(A, DAY): ("bkd", "wfo"), (B, DAY): ("bkd", "wfo"), (C, DAY): ("bkd", "wfh")}
    consumer.apply(first)  # the last one in: C, whom the new roster leaves out, goes
    assert consumer.held() == {(A, DAY): ("bkd", "wfh"), (B, DAY): ("bkd", "wfo")}


def test_an_empty_generation_is_one_event_that_empties_its_range() -> None:
    consumer = Consumer()
    for e in day_roster({A: "wfo"}, revision=1):
        consumer.apply(e)
    emptied = events("bkd", DAY, DAY, [], replaces="range", revision=2)
    assert [(e.assignments, e.chunk, e.chunks) for e in emptied] == [([], 0, 1)]
    consumer.apply(emptied[0])
    assert consumer.held() == {}


@pytest.mark.parametrize("seed", range(200))
def test_any_order_with_redeliveries_ends_with_policys_roster(seed: int) -> None:
    history = a_history(DAY)
    consumer = Consumer()
    for e in deliveries(published(history, size=4), random.Random(seed)):
        consumer.apply(e)
    assert consumer.held() == held_by_policy(history)


def test_an_event_from_before_the_fields_writes_its_entries_and_drops_nothing() -> None:
    legacy = RosterPublished.model_validate({  # as policy published it before the fields
        "unit_id": "bkd", "start": "2026-03-10", "end": "2026-03-10",
        "assignments": [{"employee_id": B, "date": "2026-03-10", "mode": "wfo"}]})
    assert (legacy.replaces, legacy.revision, legacy.chunk, legacy.chunks) == ("assignments", 0, 0, 1)
    consumer = Consumer()
    consumer.apply(RosterPublished(unit_id="bkd", start=DAY, end=DAY, assignments=[
        RosterAssignment(employee_id=A, date=DAY, mode="wfo"), RosterAssignment(employee_id=B, date=DAY, mode="wfh")]))
    consumer.apply(legacy)
    assert consumer.held() == {(A, DAY): ("bkd", "wfo"), (B, DAY): ("bkd", "wfo")}
    for e in day_roster({A: "wfh", B: "wfh"}, revision=1):  # the first revision is newer than any of them
        consumer.apply(e)
    consumer.apply(legacy)
    assert consumer.held() == {(A, DAY): ("bkd", "wfh"), (B, DAY): ("bkd", "wfh")}


@pytest.mark.parametrize("payload", [
    {"end": "2026-03-09"},  # before start
    {"chunk": 2, "chunks": 2},
    {"assignments": [{"employee_id": A, "date": "2026-03-11", "mode": "wfo"}]},  # outside start..end
    {"revision": -1},
])
def test_an_inconsistent_roster_event_is_refused(payload: dict) -> None:
    base = {"unit_id": "bkd", "start": "2026-03-10", "end": "2026-03-10", "assignments": [], "replaces": "range",
            "revision": 3}
    with pytest.raises(ValidationError):
        RosterPublished.model_validate({**base, **payload})
