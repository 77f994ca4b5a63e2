"""Counting what a scenario lost or duplicated: what the read side says (the daily report,
its per-employee export, the check-in store, notify's records) against what the client
was told, and the one line a scenario prints (``FAULT <name>: sent=… lost=… duplicates=…``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from tools import seed
from tools.chaos.environment import Environment
from tools.chaos.load import CheckinPlan
from tools.chaos.parameters import COUNTED, ESCALATE_DAILY, ESCALATE_WEEKLY, HEADS, WINDOWS
from tools.chaos.tenant import Tenant


@dataclass
class Observation:
    """What the read side says, and how it compares with what the client was told."""

    counted: int = 0
    finalized: int = 0
    counted_cells: set[tuple[str, int]] = field(default_factory=set)
    overdue_cells: list[tuple[str, int]] = field(default_factory=list)
    pending_verdicts: int = 0
    missing_in_store: int = 0
    store_duplicates: int = 0
    notices_missing: int = 0
    notice_duplicates: int = 0
    notifications: int = 0

    def settled(self, accepted: set[tuple[str, int]]) -> bool:
        return (self.finalized == WINDOWS and accepted <= self.counted_cells and self.pending_verdicts == 0
                and self.missing_in_store == 0 and self.notices_missing == 0)


async def _get_all(http: httpx.AsyncClient, url: str, headers: dict[str, str],
                   params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of a paged list (services/runtime/pages.py), following ``next_after``."""
    rows: list[dict[str, Any]] = []
    after: dict[str, str] = {}
    while True:
        r = await seed.request(http, "GET", url, expect=(200,), headers=headers,
                               params={**params, "limit": 1000, **after})
        page = r.json()
        rows += page["items"]
        if page["next_after"] is None:
            return rows
        after = {"after": page["next_after"]}


async def observe(env: Environment, http: httpx.AsyncClient, tenant: Tenant, plans: list[CheckinPlan]) -> Observation:
    admin, day = tenant.tokens["admin"], tenant.day.isoformat()
    names = {tenant.window_name(k): k for k in range(WINDOWS)}
    by_name = {p.name: p for p in tenant.people}
    obs = Observation()

    reporting = env.url("reporting")
    report = (await seed.request(http, "GET", f"{reporting}/v1/reports/daily", expect=(200,), headers=admin,
                                 params={"date": day})).json()
    obs.counted = sum(w["on_time"] + w["late"] for w in report["windows"])
    obs.finalized = sum(1 for w in report["windows"] if w["finalized"])
    export = await seed.request(http, "GET", f"{reporting}/v1/reports/daily/export", expect=(200,), headers=admin,
                                params={"date": day, "format": "csv", "sheet": "rincian"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    head = rows[0]
    nip_at, window_at, status_at = head.index("NIP"), head.index("Jendela"), head.index("Status")
    overdue_at = next(i for i, h in enumerate(head) if h.startswith("Pemberitahuan"))
    for row in rows[1:]:
        cell = (row[nip_at], names[row[window_at]])
        if row[status_at] in COUNTED:
            obs.counted_cells.add(cell)
        if row[overdue_at] == "Ya":
            obs.overdue_cells.append(cell)

    stored: Counter[tuple[str, str]] = Counter()
    status_of: dict[str, str] = {}
    for unit in ("bkd", "diskominfo"):
        for c in await _get_all(http, f"{env.url('checkin')}/v1/units/{unit}/checkins", admin, {"date": day}):
            stored[(c["employee_id"], _instant(c["captured_at"]))] += 1
            status_of[c["id"]] = c["status"]
    obs.store_duplicates = sum(n - 1 for n in stored.values())
    accepted = [p.checkin_id for p in plans if p.checkin_id is not None]
    obs.missing_in_store = sum(1 for i in accepted if i not in status_of)
    obs.pending_verdicts = sum(1 for i in accepted if status_of.get(i) == "pending")

    notes = await _get_all(http, f"{env.url('notify')}/v1/notifications", admin, {})
    obs.notifications = len(notes)
    identical = Counter((n["kind"], n["recipient"], n["channel"], n["occurrence"], n["subject"], n["body"])
                        for n in notes)
    obs.notice_duplicates = sum(n - 1 for n in identical.values())
    seen: Counter[tuple[str, ...]] = Counter()
    for n in notes:
        if n["kind"] == "overdue" and (m := re.search(r"Lokasi \d\d", n["subject"])):
            seen[("overdue", n["recipient"], str(names[m.group()]))] += 1
        elif n["kind"] == "escalation" and (m := re.search(r"Pegawai C\d\d", n["subject"])):
            seen[("escalation", n["recipient"], n["occurrence"].split(":")[0], by_name[m.group()].nip)] += 1
    obs.notices_missing = sum(max(0, n - seen[k]) for k, n in expected_notices(tenant, obs.overdue_cells).items())
    return obs


def expected_notices(tenant: Tenant, overdue_cells: list[tuple[str, int]]) -> Counter[tuple[str, ...]]:
    """One overdue notice per overdue ledger row; an escalation to each other head of the
    unit when an employee's overdue count of the day (of the week) reaches its threshold."""
    expected: Counter[tuple[str, ...]] = Counter(("overdue", nip, str(k)) for nip, k in overdue_cells)
    per_employee = Counter(nip for nip, _ in overdue_cells)
    people = {p.nip: p for p in tenant.people}
    for nip, n in per_employee.items():
        heads = [p.nip for p in tenant.people if p.index in HEADS and p.unit == people[nip].unit and p.nip != nip]
        for period, threshold in (("day", ESCALATE_DAILY), ("week", ESCALATE_WEEKLY)):
            if n >= threshold:
                expected.update(("escalation", head, period, nip) for head in heads)
    return expected


def _instant(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).isoformat()


@dataclass
class Result:
    name: str
    sent: int
    accepted: int
    counted: int
    lost: int
    duplicates: int
    seconds: float
    details: dict[str, Any]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates == 0 and self.accepted == self.sent and not self.errors

    def line(self) -> str:
        return (f"FAULT {self.name}: sent={self.sent} accepted={self.accepted} counted={self.counted} "
                f"lost={self.lost} duplicates={self.duplicates}")

    def explain(self) -> str:
        parts = " ".join(f"{k}={v}" for k, v in self.details.items())
        errors = "".join(f"\n  error: {e}" for e in self.errors[:10])
        return f"  {self.name} ({self.seconds:.0f} s): {parts}{errors}"
