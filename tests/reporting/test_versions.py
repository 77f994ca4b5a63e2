"""A letter version that takes effect in the middle of a day: reporting expects each window
under the version in force at the window's deadline, the one policy judges its last
check-ins by (``services.contracts.rules.versions.at_capture``) — not the version of the day.

The amendment here (version 2, issued at 10:00 on the test day and valid from it) moves
the check-in to the afternoon. Policy judged the morning's check-ins under version 1
(in force when they were captured); a reporting instance that looks at the day after
10:00 must still close version 1's morning windows and notify the absent, then the
afternoon window of version 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.contracts.events import PolicyUpdated
from services.contracts.policy import PolicyContent, Sector, Window
from services.contracts.rules.versions import at_capture
from services.reporting.domain.windows import day_windows
from services.reporting.store import Tenant
from tests.reporting.conftest import DAY, OVERDUE, TZ, K, apply, at, nip, outbox_events, seed, verdict, windows

A, B, C = (nip(i) for i in range(3))
STAFF = [(A, "bkd"), (B, "bkd"), (C, "bkd")]
PRACTICE = Window(id="latihan", name="Jendela latihan", start=time(8, 20), end=time(8, 50), grace_minutes=0,
                  kinds=[K.LOCATION])
AFTERNOON = Window(id="sore", name="Apel sore", start=time(15, 0), end=time(15, 30), grace_minutes=15,
                   kinds=[K.ATTENDANCE])


def amendment() -> PolicyUpdated:
    return PolicyUpdated(policy_id="se-1", number="800/300-BKD/2026", version=2, title="Perubahan",
                         valid_from=DAY, timezone=TZ,
                         content=PolicyContent(windows=[AFTERNOON], working_days=[1, 2, 3, 4, 5, 6, 7]))


async def test_an_instance_catching_up_closes_the_morning_under_the_version_policy_judged_it_by(reporting) -> None:  # type: ignore[no-untyped-def]
    rt, scheduler = reporting.rt, reporting.scheduler
    await seed(rt, "cilegon", employees=STAFF, sectors={"bkd": Sector.NON_ESSENTIAL})
    await apply(rt, "cilegon", verdict(A, "apel", "on_time", captured=at(7, 5), kind=K.ATTENDANCE),
                verdict(A, "lokasi", "on_time", captured=at(8, 10)))
    await apply(rt, "cilegon", amendment(), time_=at(10, 0))

    # First look at the day at noon (a restart): apel and lokasi of version 1 close now.
    assert await scheduler.scan(at(12, 0)) == 2 + 2
    assert sorted((p["window_id"], s) for s, p in await outbox_events(rt, OVERDUE)) == [
        ("apel", B), ("apel", C), ("lokasi", B), ("lokasi", C)]
    # Version 2's afternoon window closes at its own deadline.
    assert await scheduler.scan(at(15, 45, 11)) == 3

    from services.reporting.reports import daily_report
    async with rt.sessions() as session:
        tenant = await session.get(Tenant, "cilegon")
        report, _ = await daily_report(session, tenant, DAY, None, at(16, 0))
    assert report.policy_version == 2
    assert [(w.window_id, w.expected, w.on_time, w.missing, w.finalized) for w in report.windows] == [
        ("apel", 3, 1, 2, True), ("lokasi", 3, 1, 2, True), ("sore", 3, 0, 3, True)]


@dataclass
class Version:
    version: int
    valid_from: date
    valid_until: date | None
    effective_at: datetime
    number: str = ""
    content: dict[str, Any] = field(default_factory=dict)


def letter(number: int, effective: datetime, ws: list[Window], valid_from: date = DAY) -> Version:
    content = PolicyContent(windows=ws, working_days=[1, 2, 3, 4, 5, 6, 7]).model_dump(mode="json")
    return Version(number, valid_from, None, effective, str(number), content)


V1 = letter(1, at(0, 0) - timedelta(days=9), windows(), valid_from=DAY - timedelta(days=9))
MORNING, LOCATION = windows()
# name → versions, the day's windows (id, version, whether it closes)
CASES: dict[str, tuple[list[Version], list[tuple[str, int, bool]]]] = {
    "one version": ([V1], [("apel", 1, True), ("lokasi", 1, True)]),
    "an amendment from midnight takes the whole day": (
        [V1, letter(2, at(0, 0), [MORNING, AFTERNOON])], [("apel", 2, True), ("sore", 2, True)]),
    "an amendment at 10:00 takes the windows opening after it": (
        [V1, letter(2, at(10, 0), [MORNING, AFTERNOON])], [("apel", 1, True), ("lokasi", 1, True), ("sore", 2, True)]),
    "an amendment at 08:30 takes the window it finds open": (
        [V1, letter(2, at(8, 30), [LOCATION, AFTERNOON])],
        [("apel", 1, True), ("lokasi", 2, True), ("sore", 2, True)]),
    "an amendment adding a window already open (a practice window) has it expected": (
        [V1, letter(2, at(8, 30), [MORNING, LOCATION, PRACTICE])],
        [("apel", 1, True), ("lokasi", 2, True), ("latihan", 2, True)]),
    "a first letter at 08:30: the windows before it are listed, the one ended before it never closes": (
        [letter(1, at(8, 30), windows())], [("apel", 1, False), ("lokasi", 1, True)]),
    "no version covers the day": ([letter(1, at(0, 0), windows(), valid_from=DAY + timedelta(days=1))], []),
}


def test_the_windows_of_a_day_follow_the_version_in_force_at_their_deadline() -> None:
    for name, (versions, expected) in CASES.items():
        found = day_windows(versions, DAY, TZ)
        assert [(w.window.id, w.version.version, w.closes) for w in found] == expected, name
        for w in found:  # the version policy judges the window's last check-in by
            assert at_capture(versions, DAY, w.bounds.deadline) is w.version, name
        assert all(w.bounds.start.tzinfo == UTC for w in found)
