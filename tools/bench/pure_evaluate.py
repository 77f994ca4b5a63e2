"""The policy domain's ``evaluate()`` alone, in a loop on one core: the ceiling the evaluator
service is compared with (``evaluator_vs_pure``). Run as ``python -m tools.bench.pure_evaluate
SECONDS``; prints one JSON object."""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from services.contracts.events import CheckinReceived, EmployeeRecord, Location, Place
from services.contracts.policy import PolicyContent, Sector
from services.policy.domain.evaluation import PreviousFix, evaluate

HOME = (-6.1202, 106.1503)


def measure(seconds: float) -> dict[str, float]:
    """Check-ins of the kinds of a morning (location near home, with a previous fix) for ``seconds``."""
    content = PolicyContent()
    employee = EmployeeRecord(nip="198001012005011001", name="Siti", unit_id="bkd", places=[
        Place(name="Rumah", kind="home", latitude=HOME[0], longitude=HOME[1], radius_m=200)])
    now = datetime(2026, 12, 7, 1, 5, tzinfo=UTC)  # a Monday, 08:05 WIB
    event = CheckinReceived(checkin_id=uuid.uuid4(), employee_id=employee.nip, kind="location",  # type: ignore[arg-type]
                            captured_at=now, received_at=now,
                            location=Location(latitude=HOME[0] + 0.0003, longitude=HOME[1], accuracy_m=12))
    previous = PreviousFix(now - timedelta(hours=1), HOME[0], HOME[1])
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(200):
            evaluate(event, content=content, timezone="Asia/Jakarta", employee=employee,
                     unit_sector=Sector.NON_ESSENTIAL, work_mode="wfh", previous=previous,
                     policy_number="800/1/2026", policy_version=1)
        count += 200
    elapsed = time.perf_counter() - started
    return {"evaluations": count, "seconds": round(elapsed, 2), "per_s": round(count / elapsed, 1),
            "us_each": round(1e6 * elapsed / count, 1)}


if __name__ == "__main__":
    print(json.dumps(measure(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)))
