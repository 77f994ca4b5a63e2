"""Due-soon and overdue detection.

Every few seconds, for each tenant, the windows of today and yesterday (tenant
local time) whose deadline (end + grace + a settle delay) has passed are closed:
each expected employee without a qualifying check-in gets one ``report.overdue``.
A closure row with a primary key makes this happen once per (tenant, day, window)
also with several instances and after a restart that slept through the moment.
``report.due_soon`` works the same way a configurable time before the deadline.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts.events import ReportDueSoon, ReportOverdue
from services.contracts.policy import PolicyContent, Window, local_date, window_bounds
from services.reporting import queries
from services.reporting.expectations import expected
from services.reporting.store import Overdue, PolicyVersion, Tenant, WindowClosure
from services.runtime.db import dialect_name
from services.runtime.service import ServiceRuntime

log = structlog.get_logger(__name__)


class WindowScheduler:
    def __init__(self, rt: ServiceRuntime, *, interval: float, settle: timedelta, due_soon_before: timedelta) -> None:
        self.rt = rt
        self.interval = interval
        self.settle = settle
        self.due_soon_before = due_soon_before

    async def run(self) -> None:
        while True:
            try:
                await self.scan(datetime.now(UTC))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database down: try again next round
                log.warning("window scan failed", error=repr(exc))
            await asyncio.sleep(self.interval)

    async def scan(self, now: datetime) -> int:
        """One pass over every tenant; returns how many notices were staged."""
        async with self.rt.sessions() as session:
            tenants = (await session.scalars(select(Tenant))).all()
        staged = 0
        for tenant in tenants:
            today = local_date(now, tenant.timezone)
            for day in (today - timedelta(days=1), today):
                async with self.rt.sessions() as session:
                    version = await queries.policy_for_day(session, tenant.id, day)
                if version is None:
                    continue
                content = PolicyContent.model_validate(version.content)
                for window in content.windows:
                    staged += await self._check_window(tenant, version, content, window, day, now)
        if staged:
            self.rt.wake_relay()
        return staged

    async def _check_window(self, tenant: Tenant, version: PolicyVersion, content: PolicyContent,
                            window: Window, day, now: datetime) -> int:  # type: ignore[no-untyped-def]
        _, _, deadline = window_bounds(window, day, tenant.timezone)
        if deadline < version.effective_at:
            return 0  # the policy arrived after this window had closed
        if now >= deadline + self.settle:
            return await self._close(tenant, content, window, day, deadline, "overdue")
        reminder_at = deadline - self.due_soon_before
        if self.due_soon_before and reminder_at <= now < deadline and reminder_at >= version.effective_at:
            return await self._close(tenant, content, window, day, deadline, "due_soon")
        return 0

    async def _close(self, tenant: Tenant, content: PolicyContent, window: Window, day,  # type: ignore[no-untyped-def]
                     deadline: datetime, phase: str) -> int:
        async with self.rt.sessions() as session, session.begin():
            if not await _claim(session, tenant.id, day, window.id, phase):
                return 0
            candidates = expected(await queries.people(session, tenant.id), content, day,
                                  await queries.roster_modes(session, tenant.id, day))
            present = await queries.checked_in(session, tenant.id, day, window.id)
            absent = [p for p in candidates if p.nip not in present]
            notice = ReportOverdue if phase == "overdue" else ReportDueSoon
            for person in absent:
                if phase == "overdue":
                    session.add(Overdue(tenant=tenant.id, nip=person.nip, day=day, window_id=window.id,
                                        unit_id=person.unit_id, status="missing", deadline=deadline))
                await self.rt.stage(session, notice(
                    employee_id=person.nip, unit_id=person.unit_id, local_date=day, window_id=window.id,
                    window_name=window.name, deadline=deadline, timezone=tenant.timezone,
                ), tenant=tenant.id)
            closure = await session.get(WindowClosure, (tenant.id, day, window.id, phase))
            closure.flagged = len(absent)  # type: ignore[union-attr]
        log.info("window closed", tenant=tenant.id, day=str(day), window=window.id, phase=phase,
                 expected=len(candidates), flagged=len(absent))
        return len(absent)


async def _claim(session: AsyncSession, tenant: str, day, window_id: str, phase: str) -> bool:  # type: ignore[no-untyped-def]
    """Insert the closure row; False when another instance (or an earlier run) has it."""
    insert_ = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    result = await session.execute(
        insert_(WindowClosure)
        .values(tenant=tenant, day=day, window_id=window_id, phase=phase, closed_at=datetime.now(UTC), flagged=0)
        .on_conflict_do_nothing()
        .returning(WindowClosure.tenant)
    )
    return result.first() is not None
