"""Who a person is to notify, and through which channels; what a tenant's messages follow.

A person's wanted channels are their preference, else the service default; a channel
counts only when it is on and the person has an address for it. Personal notices
(overdue, reminders, escalations, flags) fall back to the ``log`` channel so that they
stay on record; announcements (policy, roster) go only where they can be delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.notify.domain.quiet import QuietHours
from services.notify.settings import NotifySettings

ANNOUNCEMENTS = frozenset({"policy_updated", "roster", "roster_day"})
"""Kinds sent to many people: no ``log`` fallback."""


@dataclass(frozen=True)
class Person:
    nip: str
    name: str
    unit_id: str | None
    email: str | None = None
    phone: str | None = None
    language: str = "id"
    channels: list[str] = field(default_factory=list)

    def deliveries(self, settings: NotifySettings, *, fallback: bool = True) -> list[tuple[str, str | None]]:
        """(channel, address) for every wanted channel that is on and has an address; when none
        has, the ``log`` channel (so a personal notice is still on record) or, without
        ``fallback``, nothing (announcements everyone can read in the app anyway)."""
        wanted = self.channels or settings.channels
        out: list[tuple[str, str | None]] = []
        for channel in wanted:
            if channel == "email" and settings.smtp_enabled and self.email:
                out.append(("email", self.email))
            elif channel == "whatsapp" and settings.whatsapp_enabled and self.phone:
                out.append(("whatsapp", self.phone))
        if not out and fallback:
            out.append(("log", None))
        return out


@dataclass(frozen=True)
class TenantView:
    id: str
    timezone: str
    quiet: QuietHours | None
    escalate_daily: int
    escalate_weekly: int
    escalate_bkd_days: int = 0
    bkd: tuple[str, ...] = ()
    """NIPs of the people told what goes to the BKD (absences awaiting it, monthly escalations)."""
