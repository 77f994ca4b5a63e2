"""A notification planned for the delivery log, and when it is first due.

A message to a person waits out the tenant's quiet hours from the start (its first
attempt is the end of the quiet period); webhooks are machine-to-machine and do not.
Something planned for later (``not_before``) is first due then, never before now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.notify.domain.people import TenantView
from services.notify.settings import PERSON_CHANNELS


@dataclass(frozen=True)
class Planned:
    kind: str
    recipient: str
    channel: str
    address: str | None
    subject: str
    body: str
    language: str = "id"
    unit_id: str | None = None
    occurrence: str = ""
    not_before: datetime | None = None
    expires_at: datetime | None = None
    skipped: str | None = None
    """Why it goes nowhere (recorded ``skipped`` on the ``log`` channel, never sent)."""
    unreachable: tuple[tuple[str, str], ...] = ()  # (channel, reason) of a skipped one, for the metric


def first_attempt_time(planned: Planned, view: TenantView, now: datetime) -> datetime:
    """Now (or when scheduled), moved past the tenant's quiet hours for messages to people."""
    when = max(now, planned.not_before) if planned.not_before else now
    if planned.channel in PERSON_CHANNELS and view.quiet is not None:
        when = view.quiet.release(when) or when
    return when
