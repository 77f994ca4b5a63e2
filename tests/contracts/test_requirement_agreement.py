"""Policy's verdict and reporting's expectation agree, for every combination of check-in
kind × work mode (WFO, WFH, unknown) × exemption × working or non-working day, in a window
of that kind alone and in one that mixes it with attendance.

Both sides run their real pure code on the same facts: policy's ``evaluate`` (the
verdict on one check-in) and reporting's ``place`` + ``expected_for_window`` (who a
window's reminders, overdue notices and missing counts are about), folded as reporting
folds verdicts (only ``on_time``/``late`` fill a window). The agreement asserted:

- a check-in policy judges ``not_required`` is in a window reporting does not expect of
  that employee that day (no reminder, no overdue notice, not counted missing);
- in a window reporting expects, policy's verdict fills it (``on_time`` here).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import product
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from services.contracts.events import CheckinReceived, EmployeeRecord, Location
from services.contracts.policy import CheckinKind, PolicyContent, Sector, Window
from services.contracts.rules.requirement import WFH_ONLY_KINDS
from services.policy.domain.evaluation import evaluate
from services.reporting.domain.expectations import Person, expected_for_window, place
from services.reporting.domain.ledger import QUALIFYING

K = CheckinKind
TZ = "Asia/Jakarta"
RABU, SABTU = date(2022, 2, 9), date(2022, 2, 12)
NIP = "198503122010011003"
START = time(9, 0)

MODES = ("wfo", "wfh", None)  # None: no roster, a 25 % sector → unknown
COMBINATIONS = list(product(K, MODES, (False, True), (RABU, SABTU), ("alone", "with_attendance")))
IDS = [f"{k.value}-{m or 'unknown'}-{'exempt' if e else 'not_exempt'}-{'working' if d == RABU else 'weekend'}-{w}"
       for k, m, e, d, w in COMBINATIONS]


def window_of(kind: CheckinKind, layout: str) -> Window:
    kinds = [kind] if layout == "alone" or kind == K.ATTENDANCE else [K.ATTENDANCE, kind]
    return Window(id="w", name="Jendela", start=START, end=time(10, 0), grace_minutes=15, kinds=kinds)


def policy_verdict(kind: CheckinKind, mode: str | None, exempt: bool, day: date, window: Window) -> str:
    content = PolicyContent(windows=[window])
    employee = EmployeeRecord(nip=NIP, name="Siti", unit_id="bkd", is_teacher=exempt)
    captured = datetime.combine(day, START, ZoneInfo(TZ)) + timedelta(minutes=10)
    checkin = CheckinReceived(
        checkin_id=UUID(int=1), employee_id=NIP, unit_id="bkd", kind=kind, captured_at=captured,
        received_at=captured + timedelta(seconds=2),
        location=Location(latitude=-6.12, longitude=106.15, accuracy_m=10.0),
    )
    verdict = evaluate(checkin, content=content, timezone=TZ, employee=employee, unit_sector=Sector.NON_ESSENTIAL,
                       work_mode=mode, previous=None, policy_number="800/1", policy_version=1)  # type: ignore[arg-type]
    assert verdict.window_id == window.id
    return verdict.status


def reporting_expects(mode: str | None, exempt: bool, day: date, window: Window) -> bool:
    content = PolicyContent(windows=[window])
    person = Person(nip=NIP, unit_id="bkd", is_teacher=exempt)
    placed = place([person], content, {"bkd": Sector.NON_ESSENTIAL.value}, {NIP: mode} if mode else {})
    return [p.person.nip for p in expected_for_window(placed, content, day, window, None)] == [NIP]


@pytest.mark.parametrize(("kind", "mode", "exempt", "day", "layout"), COMBINATIONS, ids=IDS)
def test_policy_and_reporting_agree(kind, mode, exempt, day, layout):
    window = window_of(kind, layout)
    status = policy_verdict(kind, mode, exempt, day, window)
    expected = reporting_expects(mode, exempt, day, window)
    assert (status == "not_required") == (not expected)
    assert (status in QUALIFYING) == expected


@pytest.mark.parametrize(("kind", "mode", "exempt", "day", "layout"), COMBINATIONS, ids=IDS)
def test_the_agreed_rule_is_the_decided_one(kind, mode, exempt, day, layout):
    """WFO staff (roster or exempt) are not expected for windows of WFH-only kinds;
    attendance, and any window offering it, is expected of everyone on a working day."""
    window = window_of(kind, layout)
    in_office = exempt or mode == "wfo"
    asked_of_wfo = any(k not in WFH_ONLY_KINDS for k in window.kinds)
    assert reporting_expects(mode, exempt, day, window) == (day == RABU and (not in_office or asked_of_wfo))


def test_every_combination_is_covered():
    assert len(COMBINATIONS) == 4 * 3 * 2 * 2 * 2
