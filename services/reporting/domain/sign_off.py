"""The sign-off of a unit's day and the BKD's review of it: the states and their transitions (pure).

A unit head signs off the day (``signed_off``); the BKD (``tenant_admin``) then accepts it
(``accepted``, final) or returns it with a note (``returned``). A returned day is not
verified: its head may sign it off again, which clears the review (``signed_off`` once more),
and the BKD reviews the new sign-off. Repeating a step already taken changes nothing (the
request answers with the state as it is); a decision contradicting the one taken is refused.
"""

from __future__ import annotations

from typing import Literal

Decision = Literal["accepted", "returned"]
State = Literal["not_signed_off", "signed_off", "accepted", "returned"]
HeadStep = Literal["first", "again", "unchanged"]
ReviewStep = Literal["apply", "unchanged", "not_signed_off", "conflict"]

DECISIONS: dict[str, Decision] = {"accept": "accepted", "return": "returned"}


def state(signed: bool, decision: str | None) -> State:
    if not signed:
        return "not_signed_off"
    return "accepted" if decision == "accepted" else "returned" if decision == "returned" else "signed_off"


def verified(signed: bool, decision: str | None) -> bool:
    """A day counts as verified once signed off, unless the BKD returned it."""
    return signed and decision != "returned"


def head_step(signed: bool, decision: str | None) -> HeadStep:
    """What a head's sign-off does: the first one, a new one after a return, or nothing."""
    if not signed:
        return "first"
    return "again" if decision == "returned" else "unchanged"


def review_step(signed: bool, decision: str | None, wanted: Decision) -> ReviewStep:
    """What the BKD's decision does on the day's sign-off as it stands."""
    if not signed:
        return "not_signed_off"
    if decision is None:
        return "apply"
    return "unchanged" if decision == wanted else "conflict"
