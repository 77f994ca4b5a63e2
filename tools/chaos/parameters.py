"""The shape of every chaos scenario: the stream's timing, the tenant's size, the fault's
moment, and the thresholds the accounting expects (see :mod:`tools.chaos`)."""

from __future__ import annotations

import sys
import time

SERVICES = ("checkin", "policy", "notify", "reporting")
WINDOWS = 15
SPACING = 1.4  # seconds between window starts
WINDOW_LENGTH = 1.0  # seconds a window is open
LEAD = 6.0  # seconds from the letter to its first window: the read models fill meanwhile
SETTLE = 3  # HADIR_REPORTING_SETTLE_SECONDS: a window closes this long after its end
FAULT_AT = 0.3  # share of the stream after which the fault strikes
DOWNTIME = 4.0  # seconds a killed process stays down
ACCEPT_DEADLINE = 120.0  # seconds a client keeps retrying one check-in
CONVERGE_TIMEOUT = 90.0
EMPLOYEES = 24
ABSENT = {11, 12, 23, 24}  # never check in
HEADS = {1, 13}  # unit heads (they check in too)
BATCH_EVERY = 3  # windows per offline batch
DOUBLE_TAP = 7  # every 7th single check-in is sent twice at once
COUNTED = {"on_time", "late", "Tepat waktu", "Terlambat"}
ESCALATE_DAILY, ESCALATE_WEEKLY = 3, 8  # notify's defaults
VICTIM_GROUP = "hadir-policy-evaluator"  # broker-kill kills this group's coordinator


_STARTED = time.monotonic()


_STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"chaos [{time.monotonic() - _STARTED:5.0f}s] {message}", file=sys.stderr, flush=True)
