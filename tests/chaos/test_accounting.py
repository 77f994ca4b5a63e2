"""The chaos suite's bookkeeping, without infrastructure: which notifications a ledger calls
for, and the line it prints."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tools import chaos
from tools.chaos.parameters import ESCALATE_WEEKLY


def tenant() -> chaos.Tenant:
    return chaos.Tenant("t", "Asia/Jakarta", date(2026, 11, 23), datetime(2026, 11, 23, 1, tzinfo=UTC),
                        chaos.people(), {})


def test_each_overdue_row_calls_for_one_notice_and_thresholds_for_escalations_to_other_heads() -> None:
    people = {p.index: p for p in chaos.people()}
    absent, head = people[11], people[1]  # both in unit bkd; 1 is its head
    cells = [(absent.nip, k) for k in range(ESCALATE_WEEKLY)] + [(head.nip, k) for k in range(5)]
    expected = chaos.expected_notices(tenant(), cells)
    assert sum(n for key, n in expected.items() if key[0] == "overdue") == len(cells)
    assert expected[("escalation", head.nip, "day", absent.nip)] == 1
    assert expected[("escalation", head.nip, "week", absent.nip)] == 1
    assert not any(key[0] == "escalation" and key[3] == head.nip for key in expected)  # no other head in bkd


def test_result_line_has_the_agreed_format() -> None:
    result = chaos.Result("broker-kill", 300, 300, 300, 0, 0, 1.0, {}, [])
    assert result.line() == "FAULT broker-kill: sent=300 accepted=300 counted=300 lost=0 duplicates=0"
    assert result.ok
    assert not chaos.Result("x", 300, 299, 299, 0, 0, 1.0, {}, []).ok


def test_every_fault_has_an_action() -> None:
    for fault in chaos.FAULTS + chaos.EXTRA_FAULTS:
        assert callable(chaos.fault_action(fault))
